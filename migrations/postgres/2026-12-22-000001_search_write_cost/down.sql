ALTER INDEX ticket_search_all SET (fastupdate = off);
-- Turning the list off leaves what waits in it; merged now rather than by autovacuum.
SELECT gin_clean_pending_list('ticket_search_all');
ALTER INDEX ticket_search_all RESET (gin_pending_list_limit);

CREATE OR REPLACE FUNCTION meja_search_vector(body TEXT, weight "char") RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('simple'::regconfig, meja_search_words(body))
        || to_tsvector('indonesian'::regconfig, meja_search_words(body)), weight)
$$;
