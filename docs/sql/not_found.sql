-- 404s per path, every hit (bots included).
SELECT url_path AS path, count(*) AS hits
FROM hits
WHERE http_response_status_code = 404
GROUP BY url_path
ORDER BY hits DESC, path
