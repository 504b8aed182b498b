DROP TRIGGER kb_articles_au;
DROP TRIGGER kb_articles_ad;
DROP TRIGGER kb_articles_ai;
DROP TABLE kb_search;
DROP TABLE kb_articles;
