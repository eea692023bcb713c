/** @module The ordered schema history. Append only: never edit a migration that has shipped. */

export type Migration = { version: number; name: string; sql: string };

export const migrations: readonly Migration[] = [
  {
    version: 1,
    name: 'initial',
    sql: `
      -- Every chat a channel has seen, registered or not, so main can list and register them.
      CREATE TABLE chats (
        jid TEXT PRIMARY KEY,
        name TEXT NOT NULL DEFAULT '',
        is_group INTEGER NOT NULL DEFAULT 0,
        last_message_at INTEGER
      );

      CREATE TABLE groups (
        folder TEXT PRIMARY KEY,
        jid TEXT NOT NULL UNIQUE,
        name TEXT NOT NULL,
        trigger TEXT NOT NULL,
        requires_trigger INTEGER NOT NULL DEFAULT 1,
        is_main INTEGER NOT NULL DEFAULT 0,
        container_config TEXT NOT NULL DEFAULT '{}',
        created_at INTEGER NOT NULL
      );
      CREATE UNIQUE INDEX groups_one_main ON groups (is_main) WHERE is_main = 1;

      -- seq is the only ordering the program trusts: timestamps collide and clocks jump.
      CREATE TABLE messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        chat_jid TEXT NOT NULL,
        group_folder TEXT,
        msg_id TEXT NOT NULL,
        sender_id TEXT NOT NULL,
        sender_name TEXT NOT NULL,
        text TEXT NOT NULL,
        sent_at INTEGER NOT NULL,
        triggers INTEGER NOT NULL,
        UNIQUE (chat_jid, msg_id)
      );
      CREATE INDEX messages_by_group ON messages (group_folder, seq);

      -- The last message seq whose batch has been answered, per group.
      CREATE TABLE cursors (
        group_folder TEXT PRIMARY KEY,
        seq INTEGER NOT NULL
      );

      CREATE TABLE sessions (
        group_folder TEXT PRIMARY KEY,
        session_id TEXT NOT NULL,
        updated_at INTEGER NOT NULL
      );

      -- One row per agent run; delivered_seq is the newest message the agent has been given.
      CREATE TABLE runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        group_folder TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('chat', 'task')),
        task_id TEXT,
        chat_jid TEXT NOT NULL,
        delivered_seq INTEGER,
        status TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
        attempt INTEGER NOT NULL,
        started_at INTEGER NOT NULL,
        ended_at INTEGER,
        error TEXT
      );
      CREATE INDEX runs_by_group ON runs (group_folder, id);

      -- Replies are stored here before any send; source_key makes re-ingesting a file a no-op.
      CREATE TABLE outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        source_key TEXT NOT NULL UNIQUE,
        group_folder TEXT NOT NULL,
        chat_jid TEXT NOT NULL,
        text TEXT NOT NULL,
        run_id INTEGER,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        sent_at INTEGER
      );
      CREATE INDEX outbox_pending ON outbox (status, chat_jid, id);

      CREATE TABLE tasks (
        id TEXT PRIMARY KEY,
        group_folder TEXT NOT NULL,
        chat_jid TEXT NOT NULL,
        prompt TEXT NOT NULL,
        schedule_kind TEXT NOT NULL CHECK (schedule_kind IN ('cron', 'interval', 'once')),
        schedule_value TEXT NOT NULL,
        context_mode TEXT NOT NULL CHECK (context_mode IN ('group', 'isolated')),
        status TEXT NOT NULL CHECK (status IN ('active', 'paused', 'done', 'cancelled')),
        next_run_at INTEGER,
        last_run_at INTEGER,
        created_at INTEGER NOT NULL
      );
      CREATE INDEX tasks_due ON tasks (status, next_run_at);

      CREATE TABLE task_runs (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        task_id TEXT NOT NULL,
        run_at INTEGER NOT NULL,
        duration_ms INTEGER NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('ok', 'failed')),
        error TEXT
      );
    `,
  },
  {
    version: 2,
    name: 'whatsapp',
    sql: `
      -- Baileys auth state: creds under ('creds', 'creds'), every signal key under (type, id).
      -- Values are JSON made with Baileys' BufferJSON, so Buffers survive the round trip.
      CREATE TABLE wa_auth (
        type TEXT NOT NULL,
        id TEXT NOT NULL,
        value TEXT NOT NULL,
        PRIMARY KEY (type, id)
      ) WITHOUT ROWID;

      -- Messages the bot sent: to drop their echoes and to answer Baileys' getMessage on retries.
      CREATE TABLE wa_sent (
        id TEXT PRIMARY KEY,
        chat_jid TEXT NOT NULL,
        message TEXT NOT NULL,
        sent_at INTEGER NOT NULL
      );

      -- The channel's last known state (connected, linking, logged-out, replaced...), for doctor.
      CREATE TABLE wa_status (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        state TEXT NOT NULL,
        detail TEXT NOT NULL DEFAULT '',
        updated_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 3,
    name: 'group-senders',
    sql: `
      -- Who may wake the assistant in a group: a JSON array of sender ids or phone numbers; NULL is anyone.
      ALTER TABLE groups ADD COLUMN allowed_senders TEXT;
    `,
  },
  {
    version: 4,
    name: 'pairing',
    sql: `
      -- Direct chats from people the assistant does not know: asked about once in main, then allowed or denied.
      CREATE TABLE pairings (
        jid TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        folder TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('pending', 'allowed', 'denied')),
        requested_at INTEGER NOT NULL
      );
    `,
  },
  {
    version: 5,
    name: 'outbox-dead-letters',
    sql: `
      -- A reply the channel refused again and again is set aside ('dead'), kept for the owner to see,
      -- so that the replies after it go out. SQLite cannot widen a CHECK in place: the table is rebuilt.
      CREATE TABLE outbox_new (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        source_key TEXT NOT NULL UNIQUE,
        group_folder TEXT NOT NULL,
        chat_jid TEXT NOT NULL,
        text TEXT NOT NULL,
        run_id INTEGER,
        status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        last_error TEXT,
        created_at INTEGER NOT NULL,
        sent_at INTEGER,
        refusals INTEGER NOT NULL DEFAULT 0
      );
      INSERT INTO outbox_new (id, source_key, group_folder, chat_jid, text, run_id, status, attempts, last_error, created_at, sent_at)
        SELECT id, source_key, group_folder, chat_jid, text, run_id, status, attempts, last_error, created_at, sent_at FROM outbox;
      DROP TABLE outbox;
      ALTER TABLE outbox_new RENAME TO outbox;
      CREATE INDEX outbox_pending ON outbox (status, chat_jid, id);
    `,
  },
  {
    version: 6,
    name: 'trigger-from-the-name',
    sql: `
      -- The word that wakes the assistant is "@" + ASSISTANT_NAME as configured now: a stored copy
      -- kept the old word after a rename.
      ALTER TABLE groups DROP COLUMN trigger;
    `,
  },
  {
    version: 7,
    name: 'attachments-and-quotes',
    sql: `
      -- JSON: the file a message came with (where the agent finds it, or why it is not there), and
      -- what a reply quoted.
      ALTER TABLE messages ADD COLUMN attachment TEXT;
      ALTER TABLE messages ADD COLUMN quoted TEXT;
    `,
  },
  {
    version: 8,
    name: 'outbound-files-and-quotes',
    sql: `
      -- JSON: the file a reply sends (the host's copy of it, with its name and kind; text is its
      -- caption), and the message a reply answers, for WhatsApp to show it as an answer to it.
      ALTER TABLE outbox ADD COLUMN file TEXT;
      ALTER TABLE outbox ADD COLUMN quote TEXT;
    `,
  },
  {
    version: 9,
    name: 'indexes-for-what-grows',
    sql: `
      -- Asked on every reply: how many messages came into the chat after the one answered (to
      -- quote it or not), and the group's open run. Without these SQLite walked every message the
      -- chat ever had, and every run the group ever had when none was open; and a task's last
      -- runs were found by reading every task's.
      CREATE INDEX messages_by_chat ON messages (chat_jid, seq);
      CREATE INDEX runs_open ON runs (group_folder, id) WHERE status = 'running';
      CREATE INDEX task_runs_by_task ON task_runs (task_id, id);
    `,
  },
];
