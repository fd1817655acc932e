-- 006: what the dashboard's devices page shows about each phone's syncing. Every push and pull
-- stamps `last_sync_ms` (server time); phones that send `X-FieldTrace-Pending` also leave the
-- size of their outbox at that moment. NULL pending: the phone never said (an older app).

ALTER TABLE devices ADD COLUMN last_sync_ms INTEGER;
ALTER TABLE devices ADD COLUMN pending_count INTEGER;
