-- Sign-in sessions and the optional TOTP second factor (issue 14, decision 0032).

-- One row per login. The token carries the id as `sid`; a revoked session's tokens are refused by every
-- node within the account cache time (the token check reads the user's revoked, unexpired sessions).
CREATE TABLE IF NOT EXISTS user_sessions (
  id            uuid PRIMARY KEY,
  username      text NOT NULL REFERENCES users (username) ON DELETE CASCADE,
  user_agent    text NULL,
  ip            text NULL,
  second_factor boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_seen_at  timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  revoked_at    timestamptz NULL,
  revoked_by    text NULL
);
CREATE INDEX IF NOT EXISTS user_sessions_by_user ON user_sessions (username, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS user_sessions_revoked ON user_sessions (username) WHERE revoked_at IS NOT NULL;

-- The TOTP secret of a user, sealed with the node's secrets key (storage/secrets.ts). `confirmed_at` is
-- null while an enrolment awaits its first code; `last_step` is the last 30 s step accepted (replays of
-- a code, or of an older one, are refused).
CREATE TABLE IF NOT EXISTS user_totp (
  username     text PRIMARY KEY REFERENCES users (username) ON DELETE CASCADE,
  secret       text NOT NULL,
  confirmed_at timestamptz NULL,
  last_step    bigint NOT NULL DEFAULT -1,
  created_at   timestamptz NOT NULL DEFAULT now()
);
