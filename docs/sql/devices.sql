-- Visitors (distinct visitor-days with a page view) per device; the same
-- with browser or os in place of device gives those tables.
SELECT name, count(*) AS visitors
FROM (
    SELECT DISTINCT device AS name, visitor_id, date
    FROM hits
    WHERE is_pageview
) AS visitor_days
GROUP BY name
ORDER BY visitors DESC, name
