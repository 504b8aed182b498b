DROP TABLE oidc_logins;
DROP TABLE directory_group_mappings;
ALTER TABLE users DROP COLUMN auth_source;
