-- Visits per external entry referrer host (SPEC section 4). A referrer is
-- external when its host is not one of the site's own: the hosts given
-- with --site (then replace the own CTE with them:
-- SELECT 'example.com' AS host UNION ALL SELECT 'shop.example.com'), else
-- the virtual hosts of the log, else the host that referred at least half
-- of the page views that were not the first of their visit.
WITH vhosts AS (
    SELECT DISTINCT
        CASE WHEN lower(server_address) LIKE 'www.%'
             THEN substr(lower(server_address), 5)
             ELSE lower(server_address) END AS host
    FROM hits
    WHERE server_address IS NOT NULL
),
later AS (
    SELECT referrer_host AS host, count(*) AS n
    FROM hits
    WHERE is_pageview AND NOT is_entry AND referrer_host IS NOT NULL
    GROUP BY referrer_host
),
majority AS (
    SELECT host
    FROM later
    WHERE 2 * n >= (SELECT sum(n) FROM later)
    ORDER BY n DESC, host
    LIMIT 1
),
own AS (
    SELECT host FROM vhosts
    UNION ALL
    SELECT host FROM majority WHERE NOT EXISTS (SELECT 1 FROM vhosts)
)
SELECT referrer_host AS host, count(*) AS visits
FROM hits
WHERE is_entry
  AND referrer_host IS NOT NULL
  AND referrer_host NOT IN (SELECT host FROM own)
GROUP BY referrer_host
ORDER BY visits DESC, host
