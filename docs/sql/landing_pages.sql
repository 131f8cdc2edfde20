-- Visits and bounces per landing page (the path of a visit's first page
-- view), within one export.
WITH visit_views AS (
    SELECT visit_id, count(*) AS views
    FROM hits
    WHERE is_pageview
    GROUP BY visit_id
)
SELECT
    h.url_path AS path,
    count(*) AS visits,
    sum(CASE WHEN v.views = 1 THEN 1 ELSE 0 END) AS bounces
FROM hits AS h
JOIN visit_views AS v ON h.visit_id = v.visit_id
WHERE h.is_entry
GROUP BY h.url_path
ORDER BY visits DESC, path
