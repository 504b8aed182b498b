ALTER INDEX ticket_search_all RESET (fastupdate);
DROP TRIGGER telegram_chats_cache_at ON telegram_chats;
DROP TRIGGER telegram_chats_cache_ad ON telegram_chats;
DROP TRIGGER telegram_chats_cache_au ON telegram_chats;
DROP TRIGGER telegram_chats_cache_ai ON telegram_chats;
DROP TRIGGER disruptions_cache ON disruptions;
DROP FUNCTION meja_cache_changed();
DROP TRIGGER tickets_number_bi ON tickets;
DROP FUNCTION ticket_number_draw();
