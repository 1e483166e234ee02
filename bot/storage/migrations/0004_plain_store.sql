-- Schema version 4: a plain store, keyed for more than one platform.
--
-- * Channels are keyed by (platform, workspace, channel) as text, so that Slack's ids
--   ('T…', 'C…') fit and no Slack channel can collide with a Discord one. Discord DMs
--   have workspace '' (they were guild 0); the console's channels were guild 1 and
--   become platform 'console'. User ids are text too.
-- * Every project has a version that each change bumps; a change is written only if
--   the version is still the one it was planned on (no lost or forked updates).
-- * The rules live in Python: the triggers of version 3 are gone, and a change writes
--   the state, event and tick it was given, in one transaction.
-- * Settings (the editor role, and more to come) are one key/value table, per workspace
--   or per channel.

DROP TRIGGER events_apply_phase;
DROP TRIGGER events_apply_check;
DROP TRIGGER events_apply_uncheck;
DROP TRIGGER events_apply_methodology;
DROP TRIGGER projects_reset;

ALTER TABLE ticks RENAME TO old_ticks;
ALTER TABLE events RENAME TO old_events;
ALTER TABLE projects RENAME TO old_projects;

CREATE TABLE projects (
    platform     TEXT    NOT NULL,
    workspace    TEXT    NOT NULL,                      -- '' for a DM or the console
    channel      TEXT    NOT NULL,
    label        TEXT    NOT NULL DEFAULT '',           -- a display name, if known
    version      INTEGER NOT NULL CHECK (version >= 0),
    phase_key    TEXT,                                  -- NULL: no phase yet
    methodology  TEXT    NOT NULL,
    iteration    INTEGER NOT NULL CHECK (iteration >= 1),
    since        TEXT,                                  -- when phase_key was set
    set_by_id    TEXT,
    set_by_name  TEXT,
    PRIMARY KEY (platform, workspace, channel)
) WITHOUT ROWID;

CREATE TABLE events (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    platform       TEXT    NOT NULL,
    workspace      TEXT    NOT NULL,
    channel        TEXT    NOT NULL,
    kind           TEXT    NOT NULL CHECK (kind IN ('phase', 'check', 'uncheck', 'methodology')),
    from_phase     TEXT,
    to_phase       TEXT,
    actor_id       TEXT    NOT NULL,
    actor_name     TEXT    NOT NULL,
    at             TEXT    NOT NULL,
    note           TEXT,
    rework         INTEGER NOT NULL DEFAULT 0 CHECK (rework IN (0, 1)),
    iteration      INTEGER NOT NULL DEFAULT 1,
    new_iteration  INTEGER NOT NULL DEFAULT 0 CHECK (new_iteration IN (0, 1)),
    detail         TEXT,
    FOREIGN KEY (platform, workspace, channel) REFERENCES projects (platform, workspace, channel)
        ON DELETE CASCADE
);

CREATE TABLE ticks (
    platform      TEXT    NOT NULL,
    workspace     TEXT    NOT NULL,
    channel       TEXT    NOT NULL,
    iteration     INTEGER NOT NULL,
    phase_key     TEXT    NOT NULL,
    activity_key  TEXT    NOT NULL,
    actor_id      TEXT    NOT NULL,
    actor_name    TEXT    NOT NULL,
    at            TEXT    NOT NULL,
    PRIMARY KEY (platform, workspace, channel, iteration, phase_key, activity_key),
    FOREIGN KEY (platform, workspace, channel) REFERENCES projects (platform, workspace, channel)
        ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE settings (
    platform     TEXT NOT NULL,
    workspace    TEXT NOT NULL,
    channel      TEXT NOT NULL,                         -- '' for a workspace-wide setting
    key          TEXT NOT NULL,
    value        TEXT NOT NULL,
    set_by_id    TEXT NOT NULL,
    set_by_name  TEXT NOT NULL,
    set_at       TEXT NOT NULL,
    PRIMARY KEY (platform, workspace, channel, key)
) WITHOUT ROWID;

INSERT INTO projects (platform, workspace, channel, version, phase_key, methodology, iteration,
                      since, set_by_id, set_by_name)
SELECT CASE guild_id WHEN 1 THEN 'console' ELSE 'discord' END,
       CASE WHEN guild_id IN (0, 1) THEN '' ELSE CAST(guild_id AS TEXT) END,
       CAST(channel_id AS TEXT),
       coalesce((SELECT max(e.id) FROM old_events AS e
                 WHERE e.guild_id = p.guild_id AND e.channel_id = p.channel_id), 0),
       phase_key, methodology, iteration, since, CAST(set_by_id AS TEXT), set_by_name
FROM old_projects AS p;

INSERT INTO events (id, platform, workspace, channel, kind, from_phase, to_phase, actor_id,
                    actor_name, at, note, rework, iteration, new_iteration, detail)
SELECT id,
       CASE guild_id WHEN 1 THEN 'console' ELSE 'discord' END,
       CASE WHEN guild_id IN (0, 1) THEN '' ELSE CAST(guild_id AS TEXT) END,
       CAST(channel_id AS TEXT),
       kind, from_phase, to_phase, CAST(actor_id AS TEXT), actor_name, at, note, rework,
       iteration, new_iteration, detail
FROM old_events;

INSERT INTO ticks (platform, workspace, channel, iteration, phase_key, activity_key, actor_id,
                   actor_name, at)
SELECT CASE guild_id WHEN 1 THEN 'console' ELSE 'discord' END,
       CASE WHEN guild_id IN (0, 1) THEN '' ELSE CAST(guild_id AS TEXT) END,
       CAST(channel_id AS TEXT),
       iteration, phase_key, activity_key, CAST(actor_id AS TEXT), actor_name, at
FROM old_ticks;

INSERT INTO settings (platform, workspace, channel, key, value, set_by_id, set_by_name, set_at)
SELECT 'discord', CAST(guild_id AS TEXT), '', 'editor_role', CAST(editor_role_id AS TEXT),
       CAST(set_by_id AS TEXT), set_by_name, set_at
FROM guild_settings WHERE editor_role_id IS NOT NULL;

INSERT INTO settings (platform, workspace, channel, key, value, set_by_id, set_by_name, set_at)
SELECT 'discord', '', '', key, value, '0', 'phasebot', '1970-01-01T00:00:00.000000+00:00'
FROM meta;

DROP TABLE old_ticks;
DROP TABLE old_events;
DROP TABLE old_projects;
DROP TABLE guild_settings;
DROP TABLE meta;

CREATE INDEX events_by_channel ON events (platform, workspace, channel, id);
