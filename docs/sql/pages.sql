-- Page views and visitors (distinct visitor-days) per path.
SELECT path, sum(views) AS pageviews, count(*) AS visitors
FROM (
    SELECT url_path AS path, visitor_id, date, count(*) AS views
    FROM hits
    WHERE is_pageview
    GROUP BY url_path, visitor_id, date
) AS visitor_days
GROUP BY path
ORDER BY pageviews DESC, path
