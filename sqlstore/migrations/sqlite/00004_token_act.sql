-- +goose Up
-- The staff member a token was made for when staff open the shop as its
-- user ("Open webshop as ..."): JSON of {"sub","name","email"}, NULL for
-- every other token. The redeem names them in the audit trail and the
-- JWT's act claim.
ALTER TABLE login_tokens ADD COLUMN act TEXT;

-- +goose Down
ALTER TABLE login_tokens DROP COLUMN act;
