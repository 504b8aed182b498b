ALTER INDEX ticket_search_all SET (fastupdate = off);
ALTER INDEX ticket_search_all RESET (gin_pending_list_limit);

CREATE OR REPLACE FUNCTION meja_search_vector(body TEXT, weight "char") RETURNS tsvector
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT setweight(to_tsvector('simple'::regconfig, meja_search_words(body))
        || to_tsvector('indonesian'::regconfig, meja_search_words(body)), weight)
$$;
