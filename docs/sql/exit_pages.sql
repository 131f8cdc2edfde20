-- Visits per exit page (the path of a visit's last page view).
SELECT url_path AS path, count(*) AS visits
FROM hits
WHERE is_exit
GROUP BY url_path
ORDER BY visits DESC, path
