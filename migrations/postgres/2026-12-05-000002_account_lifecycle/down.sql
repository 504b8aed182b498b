ALTER TABLE services DROP COLUMN active;
ALTER TABLE units DROP COLUMN active;
ALTER TABLE users DROP COLUMN must_change_password;
ALTER TABLE users DROP COLUMN language;
ALTER TABLE users DROP COLUMN nip;
ALTER TABLE users DROP COLUMN phone;
