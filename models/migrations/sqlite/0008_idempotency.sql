-- 0008: Idempotency-Key records (draft-ietf-httpapi-idempotency-key-header):
-- the first response to a key, replayed to its retries. Scoped to the API
-- key; swept after expires_at.
CREATE TABLE idempotency_keys (
    key_id      text NOT NULL,
    idem_key    text NOT NULL,
    fingerprint text NOT NULL,
    -- 0 while the first request runs; its status once answered.
    status      integer NOT NULL DEFAULT 0,
    header      text NOT NULL DEFAULT '',
    body        BLOB,
    created_at  DATETIME NOT NULL,
    expires_at  DATETIME NOT NULL,
    PRIMARY KEY (key_id, idem_key)
);
CREATE INDEX idempotency_keys_expires ON idempotency_keys (expires_at);
