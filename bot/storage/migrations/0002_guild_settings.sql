-- Schema version 2: per-guild settings (the role allowed to change project progress).

CREATE TABLE guild_settings (
    guild_id        INTEGER PRIMARY KEY,
    editor_role_id  INTEGER,                 -- NULL: no editor role, default permissions
    set_by_id       INTEGER NOT NULL,
    set_by_name     TEXT    NOT NULL,
    set_at          TEXT    NOT NULL
);
