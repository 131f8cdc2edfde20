-- Visits per channel (Direct, Search, Social, Email, Paid, Campaign,
-- Referral): counted on each visit's first page view.
SELECT channel, count(*) AS visits
FROM hits
WHERE is_entry
GROUP BY channel
ORDER BY visits DESC, channel
