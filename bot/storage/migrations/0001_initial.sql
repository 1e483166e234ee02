-- phasebot progress store, schema version 1.
-- Every channel is keyed by (guild_id, channel_id); DMs use guild_id 0 (no guild has id 0).
-- Times are UTC, ISO 8601 text with offset: '2024-05-01T12:00:00.000000+00:00'.

CREATE TABLE projects (
    guild_id     INTEGER NOT NULL,
    channel_id   INTEGER NOT NULL,
    phase_key    TEXT,                                   -- NULL: no phase yet
    methodology  TEXT    NOT NULL DEFAULT 'waterfall',
    iteration    INTEGER NOT NULL DEFAULT 1 CHECK (iteration >= 1),
    since        TEXT,                                   -- when phase_key was set
    set_by_id    INTEGER,
    set_by_name  TEXT,
    PRIMARY KEY (guild_id, channel_id)
) WITHOUT ROWID;

-- Append-only history. Rows go only with /project reset of their channel.
CREATE TABLE events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id       INTEGER NOT NULL,
    channel_id     INTEGER NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('phase', 'check', 'uncheck', 'methodology')),
    from_phase     TEXT,
    to_phase       TEXT,
    actor_id       INTEGER NOT NULL,
    actor_name     TEXT    NOT NULL,
    at             TEXT    NOT NULL,
    note           TEXT,
    rework         INTEGER NOT NULL DEFAULT 0 CHECK (rework IN (0, 1)),
    iteration      INTEGER NOT NULL DEFAULT 1,
    new_iteration  INTEGER NOT NULL DEFAULT 0 CHECK (new_iteration IN (0, 1)),
    detail         TEXT,
    FOREIGN KEY (guild_id, channel_id) REFERENCES projects (guild_id, channel_id)
        ON DELETE CASCADE
);

CREATE INDEX events_by_channel ON events (guild_id, channel_id, id);

-- Ticked activities, by the activity's stable key, per iteration and phase.
CREATE TABLE ticks (
    guild_id      INTEGER NOT NULL,
    channel_id    INTEGER NOT NULL,
    iteration     INTEGER NOT NULL,
    phase_key     TEXT    NOT NULL,
    activity_key  TEXT    NOT NULL,
    actor_id      INTEGER NOT NULL,
    actor_name    TEXT    NOT NULL,
    at            TEXT    NOT NULL,
    PRIMARY KEY (guild_id, channel_id, iteration, phase_key, activity_key),
    FOREIGN KEY (guild_id, channel_id) REFERENCES projects (guild_id, channel_id)
        ON DELETE CASCADE
) WITHOUT ROWID;

-- Small key/value facts about the bot itself (e.g. the synced command schema's hash).
CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
) WITHOUT ROWID;
