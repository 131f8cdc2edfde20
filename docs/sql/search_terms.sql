-- Visits per search term of Search visits.
SELECT search_term AS term, count(*) AS visits
FROM hits
WHERE is_entry AND search_term IS NOT NULL
GROUP BY search_term
ORDER BY visits DESC, term
