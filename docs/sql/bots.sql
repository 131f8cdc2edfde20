-- Hits per bot.
SELECT bot_name AS name, count(*) AS hits
FROM hits
WHERE is_bot
GROUP BY bot_name
ORDER BY hits DESC, name
