-- 004: device signing keys, the co-op keys that certify them, and a lookup of events by kind
-- (custody transfers are assembled from handover events).

-- A device's Ed25519 public key, registered at enrollment or later by the device itself (phones
-- enrolled before keys existed). Set once: a registered key is never replaced.
ALTER TABLE devices ADD COLUMN public_key BLOB;
ALTER TABLE devices ADD COLUMN key_registered_at_ms INTEGER;

-- Each co-op's certificate-signing key (Ed25519 seed), made on first need. It is the trust
-- anchor phones use offline; whoever reads this table can certify devices, so back it up and
-- guard it like the database itself.
CREATE TABLE coop_signing_keys (
    coop_id       TEXT PRIMARY KEY REFERENCES coops (id),
    seed          BLOB NOT NULL,
    created_at_ms INTEGER NOT NULL
) STRICT;

CREATE INDEX events_by_kind ON events (coop_id, kind, seq);
