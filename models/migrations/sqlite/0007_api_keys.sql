-- 0007: API keys for writes. The secret is stored only as its SHA-256
-- hash (keys are 256-bit random, so a fast hash is enough); the id is the
-- short public prefix of the key, safe to log.
CREATE TABLE api_keys (
    id          text PRIMARY KEY,
    name        text NOT NULL,
    scope       text NOT NULL CHECK (scope IN ('events:write', 'timelines:admin')),
    timeline_id text,
    secret_hash text NOT NULL,
    created_at  DATETIME NOT NULL,
    expires_at  DATETIME,
    revoked_at  DATETIME
);
