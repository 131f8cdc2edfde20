-- Hits per status code, every kept hit (bots and static files included).
SELECT http_response_status_code AS status, count(*) AS hits
FROM hits
GROUP BY http_response_status_code
ORDER BY hits DESC, status
