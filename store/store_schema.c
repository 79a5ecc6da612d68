/*
 * store_schema.c - the versioned schema of the state database.
 *
 * Migration N takes user_version N to N+1.  A migration, once released,
 * is never edited: a change is a new migration appended here.  Instants
 * are ISO 8601 UTC text; statuses are the seed's words, constrained with
 * CHECK so that a bug cannot store a status nobody can read back.
 */
#include "store/store_int.h"

const char *const store_migrations_sql[] = {
    /* 0 -> 1: everything the mission needs. */
    "CREATE TABLE meta ("
    "  key TEXT PRIMARY KEY,"
    "  value TEXT NOT NULL);"

    /* Seed 001's HeartbeatRequest: one execution of a check. */
    "CREATE TABLE runs ("
    "  id INTEGER PRIMARY KEY,"
    "  check_name TEXT NOT NULL,"
    "  type TEXT NOT NULL CHECK (type IN ('Information','Action')),"
    "  trigger TEXT NOT NULL DEFAULT 'schedule',"
    "  status TEXT NOT NULL CHECK (status IN ('Pending','Complete')),"
    "  started TEXT NOT NULL,"
    "  execution_ms INTEGER,"
    "  from_cache INTEGER NOT NULL DEFAULT 0,"
    "  remedy_note TEXT);"
    "CREATE INDEX runs_by_check ON runs(check_name, started);"

    /* Seed 001's HeartbeatResult: one per item of a run. */
    "CREATE TABLE results ("
    "  id INTEGER PRIMARY KEY,"
    "  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
    "  item TEXT NOT NULL DEFAULT '',"
    "  status TEXT NOT NULL"
    "    CHECK (status IN ('Healthy','Degraded','Failing','Offline')),"
    "  value REAL,"
    "  message TEXT,"
    "  perfdata TEXT);"
    "CREATE INDEX results_by_run ON results(run_id);"

    /* The engine's memory of each check item between ticks. */
    "CREATE TABLE check_state ("
    "  check_name TEXT NOT NULL,"
    "  item TEXT NOT NULL DEFAULT '',"
    "  status TEXT NOT NULL,"
    "  since TEXT NOT NULL,"
    "  bad_streak INTEGER NOT NULL DEFAULT 0,"
    "  good_streak INTEGER NOT NULL DEFAULT 0,"
    "  flips TEXT NOT NULL DEFAULT '',"
    "  last_run_id INTEGER,"
    "  PRIMARY KEY (check_name, item));"
    "CREATE TABLE check_schedule ("
    "  check_name TEXT PRIMARY KEY,"
    "  first_seen TEXT NOT NULL,"
    "  last_fire TEXT,"
    "  next_due TEXT);"

    /* Alerts: one open per check and item, enforced by the partial index. */
    "CREATE TABLE alerts ("
    "  id INTEGER PRIMARY KEY,"
    "  check_name TEXT NOT NULL,"
    "  item TEXT NOT NULL DEFAULT '',"
    "  kind TEXT NOT NULL DEFAULT 'check',"
    "  priority INTEGER NOT NULL,"
    "  status TEXT NOT NULL,"
    "  message TEXT,"
    "  opened TEXT NOT NULL,"
    "  last_notified TEXT,"
    "  notify_count INTEGER NOT NULL DEFAULT 0,"
    "  level INTEGER NOT NULL DEFAULT 0,"
    "  resolved TEXT,"
    "  resolved_notified INTEGER NOT NULL DEFAULT 0,"
    "  dismissed_at TEXT,"
    "  dismissed_by TEXT,"
    "  dismiss_note TEXT,"
    "  dismissed_until TEXT,"
    "  held_by TEXT,"
    "  thread_msgid TEXT);"
    "CREATE UNIQUE INDEX alerts_one_open ON alerts(check_name, item)"
    "  WHERE resolved IS NULL;"
    "CREATE TABLE alert_events ("
    "  id INTEGER PRIMARY KEY,"
    "  alert_id INTEGER NOT NULL REFERENCES alerts(id),"
    "  at TEXT NOT NULL,"
    "  event TEXT NOT NULL,"
    "  by_whom TEXT,"
    "  detail TEXT);"
    "CREATE INDEX alert_events_by_alert ON alert_events(alert_id, at);"

    /* Heartbeat cycles (seed 000) and the tokens they issued. */
    "CREATE TABLE cycles ("
    "  id INTEGER PRIMARY KEY,"
    "  check_name TEXT NOT NULL,"
    "  opened TEXT NOT NULL,"
    "  deadline TEXT NOT NULL,"
    "  reminder_at TEXT,"
    "  reminded INTEGER NOT NULL DEFAULT 0,"
    "  quorum INTEGER NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'Pending'"
    "    CHECK (status IN ('Pending','Healthy','Failing','Held')),"
    "  verdict_at TEXT);"
    "CREATE INDEX cycles_by_check ON cycles(check_name, opened);"
    "CREATE TABLE tokens ("
    "  token TEXT PRIMARY KEY,"
    "  cycle_id INTEGER NOT NULL REFERENCES cycles(id),"
    "  recipient TEXT NOT NULL,"
    "  issued TEXT NOT NULL,"
    "  message_id TEXT,"
    "  bounced_at TEXT,"
    "  bounce_detail TEXT,"
    "  autoreply_at TEXT,"
    "  autoreply_detail TEXT);"
    "CREATE INDEX tokens_by_cycle ON tokens(cycle_id);"
    "CREATE INDEX tokens_by_msgid ON tokens(message_id);"
    "CREATE TABLE acks ("
    "  id INTEGER PRIMARY KEY,"
    "  token TEXT NOT NULL REFERENCES tokens(token),"
    "  cycle_id INTEGER NOT NULL REFERENCES cycles(id),"
    "  by_addr TEXT NOT NULL,"
    "  for_addr TEXT NOT NULL,"
    "  at TEXT NOT NULL,"
    "  verified INTEGER NOT NULL DEFAULT 1,"
    "  via TEXT NOT NULL DEFAULT 'email',"
    "  excerpt TEXT,"
    "  message_id TEXT UNIQUE);"
    "CREATE INDEX acks_by_cycle ON acks(cycle_id);"
    /* Per-address memory: bounces and missed cycles in a row (seed 000:
     * people change jobs). */
    "CREATE TABLE recipients ("
    "  address TEXT PRIMARY KEY,"
    "  missed_streak INTEGER NOT NULL DEFAULT 0,"
    "  last_confirmed TEXT,"
    "  bounced_at TEXT,"
    "  bounce_detail TEXT);"

    /* Pings and reports from targets that report in. */
    "CREATE TABLE pings ("
    "  id INTEGER PRIMARY KEY,"
    "  check_name TEXT NOT NULL,"
    "  at TEXT NOT NULL,"
    "  kind TEXT NOT NULL CHECK (kind IN ('start','success','fail','exit')),"
    "  exit_code INTEGER,"
    "  via TEXT NOT NULL DEFAULT 'http',"
    "  detail TEXT);"
    "CREATE INDEX pings_by_check ON pings(check_name, at);"

    /* The outbox: stored before sending, marked sent only on acceptance. */
    "CREATE TABLE outbox ("
    "  id INTEGER PRIMARY KEY,"
    "  created TEXT NOT NULL,"
    "  message_id TEXT NOT NULL UNIQUE,"
    "  sender TEXT NOT NULL,"
    "  kind TEXT NOT NULL DEFAULT '',"
    "  ref TEXT,"
    "  subject TEXT,"
    "  body BLOB NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'queued'"
    "    CHECK (status IN ('queued','sent','failed')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt TEXT NOT NULL,"
    "  last_error TEXT,"
    "  sent_at TEXT);"
    "CREATE INDEX outbox_due ON outbox(status, next_attempt);"
    "CREATE TABLE outbox_rcpts ("
    "  outbox_id INTEGER NOT NULL REFERENCES outbox(id) ON DELETE CASCADE,"
    "  rcpt TEXT NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'queued'"
    "    CHECK (status IN ('queued','sent','failed')),"
    "  last_error TEXT,"
    "  PRIMARY KEY (outbox_id, rcpt));"

    /* The inbox: progress per mailbox, and every message handled. */
    "CREATE TABLE inbox_state ("
    "  mailbox TEXT PRIMARY KEY,"
    "  uidvalidity INTEGER,"
    "  last_uid INTEGER NOT NULL DEFAULT 0,"
    "  last_ok TEXT,"
    "  last_attempt TEXT,"
    "  last_error TEXT);"
    "CREATE TABLE inbox_messages ("
    "  id INTEGER PRIMARY KEY,"
    "  mailbox TEXT NOT NULL,"
    "  uidvalidity INTEGER NOT NULL,"
    "  uid INTEGER NOT NULL,"
    "  message_id TEXT,"
    "  received TEXT NOT NULL,"
    "  class TEXT NOT NULL,"
    "  token TEXT,"
    "  from_addr TEXT,"
    "  detail TEXT,"
    "  UNIQUE (mailbox, uidvalidity, uid));"
    "CREATE INDEX inbox_messages_by_msgid ON inbox_messages(message_id);",

    /* 1 -> 2: reply commands ("dismiss", "snooze 2d", "note ...") are
     * acted on by the engine after the inbox recorded them; this marks
     * them done, so a crash in between neither loses nor repeats one. */
    "ALTER TABLE inbox_messages ADD COLUMN cmd_done INTEGER NOT NULL DEFAULT 0;",

    /* 2 -> 3: notices wait here between the claim that decides them and
     * the email that carries them.  The claim and the row commit
     * together; at the end of a tick every due row of one recipient
     * becomes one email (grouping), and a row waits while its recipient
     * is in quiet hours (not_before). */
    "CREATE TABLE notices ("
    "  id INTEGER PRIMARY KEY,"
    "  created TEXT NOT NULL,"
    "  rcpt TEXT NOT NULL,"
    "  alert_id INTEGER NOT NULL REFERENCES alerts(id),"
    "  message TEXT NOT NULL,"
    "  level INTEGER NOT NULL DEFAULT 0,"
    "  seq TEXT NOT NULL,"
    "  priority INTEGER NOT NULL,"
    "  not_before TEXT NOT NULL);"
    "CREATE INDEX notices_due ON notices(not_before, rcpt);",

    /* 3 -> 4: the newest start and finish of a ping check are read on
     * every ping; without this index that walked the check's whole
     * history (measured: 256 pings/s at 6,000 rows, 1,963 with it). */
    "CREATE INDEX pings_by_kind ON pings(check_name, kind, at);",

    /* 4 -> 5: a token per person notified of an alert, carried in the
     * notice's Reply-To and reference line, so a reply ("dismiss",
     * "snooze 2d", "note ...") acts on the alert it answers.  No foreign
     * key: tokens outlive the purge of old alerts, so a late reply is
     * still known as ours rather than taken for a forgery. */
    "CREATE TABLE alert_tokens ("
    "  token TEXT PRIMARY KEY,"
    "  alert_id INTEGER NOT NULL,"
    "  recipient TEXT NOT NULL COLLATE NOCASE,"
    "  issued TEXT NOT NULL,"
    "  UNIQUE (alert_id, recipient));",

    /* 5 -> 6: an alert's lifecycle.  previous_status is the status before
     * its latest change, so worse news says "now Failing, was Degraded";
     * NULL when it opened on a check never seen Healthy ("new", not "was
     * Healthy"); alerts from before read 'Healthy', as they always did.
     * cycle_id is the heartbeat cycle its latest verdict is about: each
     * cycle is an episode of its own, and its notice shows that cycle. */
    ("ALTER TABLE alerts ADD COLUMN previous_status TEXT DEFAULT 'Healthy';"
     "ALTER TABLE alerts ADD COLUMN cycle_id INTEGER;"),

    /* 6 -> 7: notices for channels (webhook, ntfy, slack, matrix,
     * command), kept as the outbox keeps mail: stored first, retried,
     * sent once.  A table of their own, not outbox rows: a channel has
     * no envelope, no recipients and no Message-ID; (channel, txn) is
     * its idempotency key. */
    "CREATE TABLE deliveries ("
    "  id INTEGER PRIMARY KEY,"
    "  created TEXT NOT NULL,"
    "  channel TEXT NOT NULL,"
    "  kind TEXT NOT NULL DEFAULT '',"
    "  ref TEXT,"
    "  txn TEXT NOT NULL,"
    "  summary TEXT,"
    "  body BLOB NOT NULL,"
    "  status TEXT NOT NULL DEFAULT 'queued'"
    "    CHECK (status IN ('queued','sent','failed')),"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt TEXT NOT NULL,"
    "  last_error TEXT,"
    "  sent_at TEXT,"
    "  UNIQUE (channel, txn));"
    "CREATE INDEX deliveries_due ON deliveries(status, next_attempt);",

    /* 7 -> 8: silences set ahead of time (Alertmanager's: matchers on
     * check name glob, item and tag, a start and an end, who and why),
     * and paused checks (until NULL: until resumed). */
    "CREATE TABLE silences ("
    "  id INTEGER PRIMARY KEY,"
    "  check_glob TEXT,"
    "  item TEXT,"
    "  tag TEXT,"
    "  starts TEXT NOT NULL,"
    "  ends TEXT NOT NULL,"
    "  created_by TEXT NOT NULL,"
    "  comment TEXT,"
    "  created TEXT NOT NULL,"
    "  expired TEXT);"
    "CREATE TABLE paused ("
    "  check_name TEXT PRIMARY KEY,"
    "  until TEXT,"
    "  by_whom TEXT NOT NULL,"
    "  note TEXT,"
    "  at TEXT NOT NULL);",

    /* 8 -> 9: a ping's run id (Healthchecks' ?rid=): a start and its
     * finish carry the same one, so overlapping runs of one job are told
     * apart and each run's duration is its own. */
    "ALTER TABLE pings ADD COLUMN rid TEXT;"
    "CREATE INDEX pings_by_rid ON pings(check_name, rid) WHERE rid IS NOT NULL;",

    /* 9 -> 10: several nodes on one database (PostgreSQL, issue 16).
     * A claim is a piece of work for one due time (a check's run, a
     * day's retention), taken by one node; a node that dies holding one
     * loses it when its lease runs out, and done marks it finished so
     * that no late node takes it again.  A lease is a role one node
     * holds at a time (the inbox poller), renewed while it lives.  nodes
     * is what `status` and the web show.  Outbox and delivery rows are
     * leased by the node sending them. */
    "CREATE TABLE claims ("
    "  kind TEXT NOT NULL,"
    "  name TEXT NOT NULL,"
    "  due TEXT NOT NULL,"
    "  node TEXT NOT NULL,"
    "  lease_until TEXT NOT NULL,"
    "  done INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (kind, name, due));"
    "CREATE TABLE leases ("
    "  name TEXT PRIMARY KEY,"
    "  node TEXT NOT NULL,"
    "  since TEXT NOT NULL,"
    "  until TEXT NOT NULL);"
    "CREATE TABLE nodes ("
    "  name TEXT PRIMARY KEY,"
    "  started TEXT NOT NULL,"
    "  last_seen TEXT NOT NULL,"
    "  pid INTEGER,"
    "  version TEXT,"
    "  holds TEXT NOT NULL DEFAULT '');"
    "ALTER TABLE outbox ADD COLUMN claimed_by TEXT;"
    "ALTER TABLE outbox ADD COLUMN lease_until TEXT;"
    "ALTER TABLE deliveries ADD COLUMN claimed_by TEXT;"
    "ALTER TABLE deliveries ADD COLUMN lease_until TEXT;",

    /* 10 -> 11: the claims a node holds now, for `status` and the web
     * (store_nodes_list): done ones, nearly every row, are left out, so
     * that counting them does not read two days of claims. */
    "CREATE INDEX claims_open ON claims(node, lease_until) WHERE done = 0;",

    /* 11 -> 12: a check's newest finish is read on every ping as
     * "ORDER BY at DESC, id DESC LIMIT 1", and at is to the second, so a
     * busy check has thousands of pings of the same at.  SQLite's index
     * on (check_name, at) ends in the rowid, which is id, and answers
     * that from its first entry; PostgreSQL's does not, and sorted every
     * ping of the newest second (measured: 2,553 rows read and 0.8 ms a
     * ping at 5,000 pings/s).  With id in the index both read one row. */
    ("CREATE INDEX pings_by_check_id ON pings(check_name, at, id);"
     "DROP INDEX pings_by_check;"),
};

const int store_migrations_count =
    (int)(sizeof store_migrations_sql / sizeof store_migrations_sql[0]);
