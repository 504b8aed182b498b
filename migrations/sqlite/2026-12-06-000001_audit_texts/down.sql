-- Going down after texts were moved leaves events naming texts that no longer exist: restore a
-- backup made before the upgrade instead.
DROP TABLE kb_votes;
DROP TABLE audit_upgrades;
DROP TABLE audit_texts;
