-- +goose Up
-- A signing key made by a rotation signs only from active_at: until then
-- every instance has loaded it and publishes it, so whichever instance a
-- shop asks for the keys knows the key of every JWT another one signed.
-- The key it replaces has retired_at = active_at: it signs until then.
-- NULL: the key signs from created_at.
ALTER TABLE signing_keys ADD COLUMN active_at TIMESTAMPTZ;

-- +goose Down
ALTER TABLE signing_keys DROP COLUMN active_at;
