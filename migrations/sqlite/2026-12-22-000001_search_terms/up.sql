-- The search index's vocabulary, read to turn a typed prefix into the few words of the index
-- it starts (`db::ticket_search`): FTS5 finds the newest tickets of a word without reading
-- them all, but not those of a prefix. The `instance` view reads occurrences lazily, so
-- finding the next word is a seek. A view onto the index; it stores nothing.
CREATE VIRTUAL TABLE ticket_search_terms USING fts5vocab(ticket_search, instance);
