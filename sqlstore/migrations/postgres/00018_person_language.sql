-- +goose Up
-- The language a contact or customer reads (a BCP 47 tag of a language the
-- mail templates are written in); '' = not known, and the shop's language
-- stands for it.
ALTER TABLE contacts ADD COLUMN language TEXT NOT NULL DEFAULT '';
ALTER TABLE customers ADD COLUMN language TEXT NOT NULL DEFAULT '';

-- +goose Down
ALTER TABLE customers DROP COLUMN language;
ALTER TABLE contacts DROP COLUMN language;
