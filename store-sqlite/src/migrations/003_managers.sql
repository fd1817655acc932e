-- 003: the manager dashboard. Managers sign in with a name and password (Argon2id PHC string),
-- optionally a TOTP second factor; a signed-in browser holds a session token whose SHA-256 is
-- stored; every change a manager makes through the dashboard is written to the audit log.

CREATE TABLE managers (
    coop_id        TEXT    NOT NULL REFERENCES coops (id),
    name           TEXT    NOT NULL,
    display_name   TEXT    NOT NULL,
    password_hash  TEXT    NOT NULL,
    totp_secret    BLOB,
    created_at_ms  INTEGER NOT NULL,
    PRIMARY KEY (coop_id, name)
) STRICT;
-- Sign-in asks for the name only: names are unique across co-ops.
CREATE UNIQUE INDEX managers_by_name ON managers (name);

CREATE TABLE ui_sessions (
    token_hash     BLOB    PRIMARY KEY,
    coop_id        TEXT    NOT NULL,
    name           TEXT    NOT NULL,
    created_at_ms  INTEGER NOT NULL,
    expires_at_ms  INTEGER NOT NULL,
    FOREIGN KEY (coop_id, name) REFERENCES managers (coop_id, name)
) STRICT;

CREATE TABLE audit_log (
    id         INTEGER PRIMARY KEY,
    coop_id    TEXT    NOT NULL,
    manager    TEXT    NOT NULL,
    at_ms      INTEGER NOT NULL,
    action     TEXT    NOT NULL,
    detail     TEXT    NOT NULL
) STRICT;
CREATE INDEX audit_log_by_coop ON audit_log (coop_id, at_ms);
