-- Visits and bounces from the page views of any number of exports read
-- together (machines behind one load balancer, or days exported apart),
-- made the way logstats makes them (SPEC section 3): each visitor's page
-- views in time order, a new visit after a gap of more than 1800 seconds
-- (exactly 1800 continues it). visit_id numbers visits within one export
-- only; this query needs only visitor_id, which joins across exports made
-- with the same --id-key.
-- Runs as it is in DuckDB, ClickHouse and Spark SQL.
WITH views AS (
    SELECT
        visitor_id,
        timestamp,
        -- The page view before, in time order (ties in input order).
        max(timestamp) OVER (
            PARTITION BY visitor_id
            ORDER BY timestamp, input_file, input_line
            ROWS BETWEEN 1 PRECEDING AND 1 PRECEDING
        ) AS previous
    FROM hits
    WHERE is_pageview
),
starts AS (
    SELECT
        visitor_id,
        timestamp,
        CASE WHEN previous IS NULL OR timestamp > previous + INTERVAL 1800 SECOND
             THEN 1 ELSE 0 END AS starts_visit
    FROM views
),
numbered AS (
    SELECT
        visitor_id,
        timestamp,
        sum(starts_visit) OVER (
            PARTITION BY visitor_id
            ORDER BY timestamp, starts_visit DESC
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS visit
    FROM starts
),
sessions AS (
    SELECT visitor_id, visit, count(*) AS pageviews
    FROM numbered
    GROUP BY visitor_id, visit
)
SELECT
    count(*) AS visits,
    sum(CASE WHEN pageviews = 1 THEN 1 ELSE 0 END) AS bounces
FROM sessions
