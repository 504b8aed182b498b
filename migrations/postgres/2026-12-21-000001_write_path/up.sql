-- Fewer round trips per new ticket (issue 17, the PostgreSQL write rate).

-- The number is drawn as the ticket is inserted: the writer sends "PREFIX-YEAR-" and this
-- appends the year's next value, padded to six digits as `domain::number::format_number`
-- does (and never cut: the millionth ticket of a year gets seven).
CREATE FUNCTION ticket_number_draw() RETURNS trigger AS $$
DECLARE
    seq BIGINT;
BEGIN
    IF right(NEW.number, 1) = '-' THEN
        seq := nextval(format('ticket_number_%s', split_part(NEW.number, '-', 2)));
        NEW.number := NEW.number || CASE WHEN seq < 1000000 THEN lpad(seq::text, 6, '0') ELSE seq::text END;
    END IF;
    RETURN NEW;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER tickets_number_bi BEFORE INSERT ON tickets
    FOR EACH ROW EXECUTE FUNCTION ticket_number_draw();

-- The writers keep the units' group chats and the open disruptions (src/db/hot.rs); a change
-- to either tells every listening connection, in this process and any other.
CREATE FUNCTION meja_cache_changed() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('meja_cache', TG_TABLE_NAME);
    RETURN NULL;
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER disruptions_cache AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON disruptions
    FOR EACH STATEMENT EXECUTE FUNCTION meja_cache_changed();

-- Citizens' dialogue state lives in the same table and changes with every message: only a
-- change of what makes a chat a unit's group (or no longer one) is told.
CREATE TRIGGER telegram_chats_cache_ai AFTER INSERT ON telegram_chats
    FOR EACH ROW WHEN (NEW.unit_id IS NOT NULL) EXECUTE FUNCTION meja_cache_changed();
CREATE TRIGGER telegram_chats_cache_au AFTER UPDATE ON telegram_chats
    FOR EACH ROW WHEN (OLD.unit_id IS DISTINCT FROM NEW.unit_id OR OLD.user_id IS DISTINCT FROM NEW.user_id
        OR OLD.chat_id IS DISTINCT FROM NEW.chat_id) EXECUTE FUNCTION meja_cache_changed();
CREATE TRIGGER telegram_chats_cache_ad AFTER DELETE ON telegram_chats
    FOR EACH ROW WHEN (OLD.unit_id IS NOT NULL) EXECUTE FUNCTION meja_cache_changed();
CREATE TRIGGER telegram_chats_cache_at AFTER TRUNCATE ON telegram_chats
    FOR EACH STATEMENT EXECUTE FUNCTION meja_cache_changed();

-- The search index takes each new ticket's words at once. With GIN's pending list (the
-- default) an insert is a little cheaper, but the one insert that finds the list full (4 MB,
-- every few thousand tickets) moves it all into the index and waits about 100 ms for it:
-- the write load's slowest one percent of requests were those.
ALTER INDEX ticket_search_all SET (fastupdate = off);
