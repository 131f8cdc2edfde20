-- Visitors (distinct visitor-days) and page views per country.
SELECT country, count(*) AS visitors, sum(views) AS pageviews
FROM (
    SELECT client_country AS country, visitor_id, date, count(*) AS views
    FROM hits
    WHERE is_pageview
    GROUP BY client_country, visitor_id, date
) AS visitor_days
GROUP BY country
ORDER BY visitors DESC, country
