-- The report's summary, from one export (visits and bounces are those of
-- its visit_id: exact within an export; across exports, see visits.sql).
-- Runs as it is in DuckDB, ClickHouse and Spark SQL against a table or view
-- named hits (see README.md).
SELECT
    count(*) AS hits,
    sum(CASE WHEN is_pageview THEN 1 ELSE 0 END) AS pageviews,
    -- Visitors: distinct (visitor, day) pairs with a page view.
    (SELECT count(*)
       FROM (SELECT DISTINCT visitor_id, date FROM hits WHERE is_pageview) AS visitor_days
    ) AS visitors,
    (SELECT count(DISTINCT visit_id) FROM hits) AS visits,
    -- Bounces: visits of exactly one page view.
    (SELECT count(*)
       FROM (SELECT visit_id FROM hits WHERE is_pageview
             GROUP BY visit_id HAVING count(*) = 1) AS one_page
    ) AS bounces,
    sum(http_response_body_size) AS bytes,
    sum(CASE WHEN is_bot THEN 1 ELSE 0 END) AS bot_hits,
    sum(CASE WHEN is_static THEN 1 ELSE 0 END) AS static_hits,
    sum(CASE WHEN http_response_status_code BETWEEN 400 AND 499 THEN 1 ELSE 0 END) AS status_4xx,
    sum(CASE WHEN http_response_status_code BETWEEN 500 AND 599 THEN 1 ELSE 0 END) AS status_5xx
FROM hits
