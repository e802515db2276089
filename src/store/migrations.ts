/**
 * Schema migrations, applied in order; the database's `PRAGMA user_version` is
 * the number applied. Never edit a released entry: add a new one.
 */
export const MIGRATIONS: readonly string[] = [
  // 1: programs, members and their preferences, rounds and groups.
  `
  CREATE TABLE programs (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    platform TEXT NOT NULL,
    created_at TEXT NOT NULL
  );
  CREATE TABLE members (
    program_id INTEGER NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    name TEXT NOT NULL,
    timezone TEXT,
    timezone_override TEXT,
    attributes TEXT NOT NULL DEFAULT '{}',
    state TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'left', 'removed', 'kicked')),
    frequency INTEGER NOT NULL DEFAULT 1 CHECK (frequency >= 1),
    pause_until TEXT,
    joined_on TEXT NOT NULL,
    left_on TEXT,
    sit_outs INTEGER NOT NULL DEFAULT 0,
    last_sat_out INTEGER,
    PRIMARY KEY (program_id, user_id)
  ) WITHOUT ROWID;
  CREATE TABLE preferences (
    program_id INTEGER NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    other_id TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('prefer', 'avoid')),
    created_on TEXT NOT NULL,
    PRIMARY KEY (program_id, user_id, other_id, kind)
  ) WITHOUT ROWID;
  CREATE TABLE rounds (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    period_index INTEGER NOT NULL,
    seed TEXT NOT NULL,
    created_at TEXT NOT NULL,
    UNIQUE (program_id, period)
  );
  CREATE TABLE round_exclusions (
    round_id INTEGER NOT NULL REFERENCES rounds(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    reason TEXT NOT NULL CHECK (reason IN ('optedOut', 'paused', 'notDue', 'satOut', 'unpaired')),
    PRIMARY KEY (round_id, user_id)
  ) WITHOUT ROWID;
  CREATE TABLE groups (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    round_id INTEGER REFERENCES rounds(id) ON DELETE CASCADE,
    formed_on TEXT NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('pair', 'catch-up', 'manual')),
    created_at TEXT NOT NULL
  );
  CREATE INDEX groups_round ON groups(round_id);
  CREATE TABLE group_members (
    group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    UNIQUE (group_id, user_id)
  );
  CREATE INDEX group_members_user ON group_members(user_id);
  `,
  // 2: the outbox every message goes through, and the platform posts it produced.
  `
  CREATE TABLE outbox (
    id INTEGER PRIMARY KEY,
    program_id INTEGER NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    dedupe_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    period TEXT,
    group_id INTEGER REFERENCES groups(id) ON DELETE CASCADE,
    recipients TEXT NOT NULL,
    body TEXT NOT NULL,
    reactions TEXT NOT NULL DEFAULT '[]',
    status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    delivered TEXT NOT NULL DEFAULT '[]',
    unreachable TEXT NOT NULL DEFAULT '[]',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    sent_at TEXT
  );
  CREATE INDEX outbox_pending ON outbox(program_id, status);
  CREATE TABLE posts (
    id INTEGER PRIMARY KEY,
    outbox_id INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,
    platform_post_id TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    recipients TEXT NOT NULL
  );
  CREATE INDEX posts_outbox ON posts(outbox_id);
  `,
  // 3: feedback answers (one row per reporter and answer) and the per-program run lock.
  `
  CREATE TABLE feedback (
    group_id INTEGER NOT NULL REFERENCES groups(id) ON DELETE CASCADE,
    reporter_id TEXT NOT NULL,
    answer TEXT NOT NULL CHECK (answer IN ('met', 'missed', 'scheduled')),
    recorded_at TEXT NOT NULL,
    PRIMARY KEY (group_id, reporter_id, answer)
  ) WITHOUT ROWID;
  CREATE TABLE locks (
    program TEXT PRIMARY KEY,
    pid INTEGER NOT NULL,
    host TEXT NOT NULL,
    acquired_at TEXT NOT NULL
  );
  `,
  // 4: the conversation prompt each group's intro carries, so members are not asked the same twice.
  `
  CREATE TABLE group_icebreakers (
    group_id INTEGER PRIMARY KEY REFERENCES groups(id) ON DELETE CASCADE,
    prompt TEXT NOT NULL
  );
  `,
  // 5: delivery intents and the bot's own reactions as a step of their own. `send_started_at`
  // is written before a message's first send attempt, so a later run knows the outcome of an
  // unrecorded attempt is unknown; `reactions_pending` lists the reactions a post still lacks.
  `
  ALTER TABLE outbox ADD COLUMN send_started_at TEXT;
  ALTER TABLE posts ADD COLUMN reactions_pending TEXT NOT NULL DEFAULT '[]';
  `,
  // 6: what members wrote to the bot (inbox): messages handled once, per-conversation read cursors,
  // the last run, rounds members asked to skip, and the conversation an outbox reply goes to.
  `
  CREATE TABLE inbox_handled (
    program_id INTEGER NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    message_id TEXT NOT NULL,
    command TEXT NOT NULL,
    ok INTEGER NOT NULL,
    handled_at TEXT NOT NULL,
    PRIMARY KEY (program_id, message_id)
  ) WITHOUT ROWID;
  CREATE TABLE inbox_cursors (
    program_id INTEGER NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    conversation_id TEXT NOT NULL,
    cursor TEXT NOT NULL,
    PRIMARY KEY (program_id, conversation_id)
  ) WITHOUT ROWID;
  CREATE TABLE inbox_runs (
    program_id INTEGER PRIMARY KEY REFERENCES programs(id) ON DELETE CASCADE,
    last_run_at TEXT NOT NULL,
    handled INTEGER NOT NULL,
    ignored INTEGER NOT NULL
  );
  CREATE TABLE skips (
    program_id INTEGER NOT NULL REFERENCES programs(id) ON DELETE CASCADE,
    user_id TEXT NOT NULL,
    period TEXT NOT NULL,
    created_at TEXT NOT NULL,
    PRIMARY KEY (program_id, user_id, period)
  ) WITHOUT ROWID;
  ALTER TABLE outbox ADD COLUMN conversation_id TEXT;
  ALTER TABLE outbox ADD COLUMN reply_to TEXT;
  `,
  // 7: the private thread each group talks in (Discord, PAIRBOT_DISCORD_DELIVERY=thread).
  `
  CREATE TABLE group_threads (
    group_id INTEGER PRIMARY KEY REFERENCES groups(id) ON DELETE CASCADE,
    thread_id TEXT NOT NULL
  );
  `,
  // 8: one preference per person about another (an avoid replaces a prefer and back, setPreference);
  // where an earlier inbox kept both, the later one stays, the avoid when both are of the same day.
  `
  DELETE FROM preferences AS p WHERE EXISTS (
    SELECT 1 FROM preferences AS q
    WHERE q.program_id = p.program_id AND q.user_id = p.user_id AND q.other_id = p.other_id AND q.kind <> p.kind
      AND (q.created_on > p.created_on OR (q.created_on = p.created_on AND q.kind = 'avoid'))
  );
  `,
  // 9: each member's own copy of a message where it differs from the shared text (an intro
  // DMed to each member tells the meeting time in the reader's local time first): stored
  // with the message, so every retry sends the very text an earlier attempt may have sent.
  `
  ALTER TABLE outbox ADD COLUMN own_bodies TEXT;
  `,
  // 10: the thread an inbox reply goes to, where threads live inside a conversation (Mattermost's root post).
  `
  ALTER TABLE outbox ADD COLUMN thread_id TEXT;
  `,
  // 11: when an inbox run last read each conversation (Discord reads dormant DMs in rotation, src/core/inbox-scan.ts).
  `
  ALTER TABLE inbox_cursors ADD COLUMN checked_at TEXT;
  `,
  // 12: an outbox id is never given twice. Ids are the messages' keys on the platforms (the local
  // platform remembers them for good), and SQLite hands the ids of deleted newest rows (forget,
  // retention) to the next ones: a later message then looked delivered already. outbox_ids keeps
  // the id after every deleted one (a trigger on delete, so inserts cost nothing more).
  `
  CREATE TABLE outbox_ids (next INTEGER NOT NULL);
  INSERT INTO outbox_ids (next) SELECT COALESCE(MAX(id), 0) + 1 FROM outbox;
  CREATE TRIGGER outbox_ids_deleted AFTER DELETE ON outbox BEGIN
    UPDATE outbox_ids SET next = MAX(next, OLD.id + 1);
  END;
  `,
];
