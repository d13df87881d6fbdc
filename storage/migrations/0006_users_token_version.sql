-- Token revocation: every token carries the user's token version at issue; bumping it (password change,
-- disable, explicit revoke) invalidates all older tokens within the gateway's account cache time.
ALTER TABLE users ADD COLUMN IF NOT EXISTS token_version integer NOT NULL DEFAULT 0;
ALTER TABLE users ADD COLUMN IF NOT EXISTS updated_at timestamptz NOT NULL DEFAULT now();
