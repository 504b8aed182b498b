ALTER TABLE requesters DROP COLUMN language;
DROP TABLE csat;
