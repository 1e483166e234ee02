-- Schema version 3: every change is one statement.
--
-- A change is recorded by inserting its event; these triggers apply the event to the
-- channel's current state (projects, ticks) inside that same statement. So a change
-- is atomic on its own, and changes arriving together can share one transaction.
-- A reset is one UPDATE that clears the phase; its trigger clears the channel's
-- ticks and history in the same statement.

CREATE TRIGGER events_apply_phase AFTER INSERT ON events WHEN NEW.kind = 'phase'
BEGIN
    INSERT INTO projects (guild_id, channel_id, phase_key, iteration, since, set_by_id,
                          set_by_name)
    VALUES (NEW.guild_id, NEW.channel_id, NEW.to_phase, NEW.iteration, NEW.at,
            NEW.actor_id, NEW.actor_name)
    ON CONFLICT (guild_id, channel_id) DO UPDATE SET
        phase_key = excluded.phase_key, iteration = excluded.iteration,
        since = excluded.since, set_by_id = excluded.set_by_id,
        set_by_name = excluded.set_by_name;
END;

-- OR IGNORE: a phasebot still running the schema-2 code inserts the tick itself first.
CREATE TRIGGER events_apply_check AFTER INSERT ON events WHEN NEW.kind = 'check'
BEGIN
    INSERT OR IGNORE INTO ticks (guild_id, channel_id, iteration, phase_key, activity_key, actor_id,
                       actor_name, at)
    VALUES (NEW.guild_id, NEW.channel_id, NEW.iteration, NEW.to_phase, NEW.detail,
            NEW.actor_id, NEW.actor_name, NEW.at);
END;

CREATE TRIGGER events_apply_uncheck AFTER INSERT ON events WHEN NEW.kind = 'uncheck'
BEGIN
    DELETE FROM ticks
    WHERE guild_id = NEW.guild_id AND channel_id = NEW.channel_id
      AND iteration = NEW.iteration AND phase_key = NEW.to_phase
      AND activity_key = NEW.detail;
END;

CREATE TRIGGER events_apply_methodology AFTER INSERT ON events WHEN NEW.kind = 'methodology'
BEGIN
    INSERT INTO projects (guild_id, channel_id, methodology)
    VALUES (NEW.guild_id, NEW.channel_id, NEW.detail)
    ON CONFLICT (guild_id, channel_id) DO UPDATE SET methodology = excluded.methodology;
END;

CREATE TRIGGER projects_reset AFTER UPDATE OF phase_key ON projects
WHEN NEW.phase_key IS NULL
BEGIN
    DELETE FROM ticks WHERE guild_id = NEW.guild_id AND channel_id = NEW.channel_id;
    DELETE FROM events WHERE guild_id = NEW.guild_id AND channel_id = NEW.channel_id;
END;
