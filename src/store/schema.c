/* The schema, as numbered migrations. A database records the highest migration applied in
 * schema_version; opening it applies the missing ones in order, each in its own transaction.
 * Never edit a migration that has shipped: add the next one. */
#include "store/schema.h"

#include <stddef.h>

/* Every stored object carries tlp, owner_org_id, created_at and updated_at (DESIGN.md).
 * Times are INTEGER milliseconds since the epoch (UTC). */
#define TLP_COLUMN                                                                                 \
    "tlp TEXT NOT NULL DEFAULT 'AMBER' "                                                           \
    "CHECK (tlp IN ('CLEAR','GREEN','AMBER','AMBER+STRICT','RED')),"
#define META_COLUMNS                                                                               \
    TLP_COLUMN "owner_org_id INTEGER REFERENCES organisations(id) ON DELETE SET NULL,"             \
               "created_at INTEGER NOT NULL,"                                                      \
               "updated_at INTEGER NOT NULL"

#define BUMP_ON(T, EV)                                                                             \
    "CREATE TRIGGER " T "_" EV "_bump AFTER " EV " ON " T                                          \
    " BEGIN UPDATE counters SET value = value + 1 WHERE name = 'registry'; END;"
#define BUMP(T) BUMP_ON(T, "INSERT") BUMP_ON(T, "UPDATE") BUMP_ON(T, "DELETE")

static const char *const migrations[] = {
    /* 1: the constituency registry, users, tokens and the audit log. */
    "CREATE TABLE organisations ("
    " id INTEGER PRIMARY KEY,"
    " short_name TEXT NOT NULL COLLATE NOCASE UNIQUE,"
    " name TEXT NOT NULL,"
    " country TEXT, sector TEXT, type TEXT,"
    " parent_id INTEGER REFERENCES organisations(id) ON DELETE RESTRICT," META_COLUMNS ");"
    "CREATE INDEX organisations_parent ON organisations(parent_id);"
    "CREATE TABLE contacts ("
    " id INTEGER PRIMARY KEY,"
    " org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,"
    " name TEXT, email TEXT NOT NULL, role TEXT NOT NULL, language TEXT NOT NULL,"
    " pgp_key TEXT," META_COLUMNS ");"
    "CREATE INDEX contacts_org ON contacts(org_id);"
    "CREATE TABLE networks ("
    " id INTEGER PRIMARY KEY,"
    " org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,"
    " cidr TEXT NOT NULL UNIQUE," /* canonical text form */
    " family INTEGER NOT NULL CHECK (family IN (4, 6)),"
    " prefix INTEGER NOT NULL,"
    " first BLOB NOT NULL," META_COLUMNS ");"
    "CREATE INDEX networks_org ON networks(org_id);"
    "CREATE TABLE asns ("
    " id INTEGER PRIMARY KEY,"
    " org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,"
    " asn INTEGER NOT NULL UNIQUE CHECK (asn BETWEEN 1 AND 4294967295)," META_COLUMNS ");"
    "CREATE INDEX asns_org ON asns(org_id);"
    "CREATE TABLE domains ("
    " id INTEGER PRIMARY KEY,"
    " org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE CASCADE,"
    " domain TEXT NOT NULL UNIQUE," META_COLUMNS ");"
    "CREATE INDEX domains_org ON domains(org_id);"
    "CREATE TABLE users ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL COLLATE NOCASE UNIQUE,"
    " role TEXT NOT NULL CHECK (role IN ('admin','analyst','constituent')),"
    " org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE RESTRICT,"
    " password_hash TEXT NOT NULL DEFAULT '',"
    " disabled INTEGER NOT NULL DEFAULT 0," META_COLUMNS ");"
    "CREATE TABLE tokens ("
    " id INTEGER PRIMARY KEY,"
    " user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    " hash BLOB NOT NULL UNIQUE,"
    " prefix TEXT NOT NULL,"
    " description TEXT NOT NULL DEFAULT '',"
    " expires_at INTEGER NOT NULL,"
    " revoked_at INTEGER,"
    " last_used_at INTEGER," META_COLUMNS ");"
    "CREATE INDEX tokens_user ON tokens(user_id);"
    "CREATE TABLE audit ("
    " id INTEGER PRIMARY KEY,"
    " at INTEGER NOT NULL,"
    " user_id INTEGER," /* no foreign key: the log outlives the users it names */
    " actor TEXT NOT NULL,"
    " action TEXT NOT NULL,"
    " object_type TEXT NOT NULL,"
    " object_id TEXT,"
    " detail TEXT,"
    " remote TEXT,"
    " tlp TEXT NOT NULL DEFAULT 'AMBER+STRICT',"
    " owner_org_id INTEGER);"
    "CREATE INDEX audit_at ON audit(at);"
    "CREATE TRIGGER audit_append_only_update BEFORE UPDATE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    "CREATE TRIGGER audit_append_only_delete BEFORE DELETE ON audit"
    " BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;"
    /* A counter every writer bumps through triggers, so a daemon notices registry changes
     * made by another process (the CLI) and rebuilds its ownership index. */
    "CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);"
    "INSERT INTO counters VALUES ('registry', 0);" BUMP("networks") BUMP("asns") BUMP("domains"),

    /* 2: intake. A report is the file as received, kept whole under DATA_DIR/reports/; its
     * row records the parser's progress (next_row) so processing resumes after a crash
     * exactly where the last committed batch ended. Every data row of a report ends as one
     * event, one duplicate (counted) or one quarantined row: rows_in = events + duplicates +
     * quarantined once the report is done. */
    "CREATE TABLE reports ("
    " id INTEGER PRIMARY KEY,"
    " feed TEXT NOT NULL,"
    " file_name TEXT,"
    " path TEXT NOT NULL,"
    " size INTEGER NOT NULL,"
    " sha256 TEXT NOT NULL,"
    " options TEXT,"
    " state TEXT NOT NULL DEFAULT 'received'"
    "  CHECK (state IN ('received','processing','done','failed')),"
    " error TEXT,"
    " next_row INTEGER NOT NULL DEFAULT 0,"
    " rows_in INTEGER NOT NULL DEFAULT 0,"
    " events INTEGER NOT NULL DEFAULT 0,"
    " duplicates INTEGER NOT NULL DEFAULT 0,"
    " quarantined INTEGER NOT NULL DEFAULT 0,"
    " received_at INTEGER NOT NULL,"
    " processed_at INTEGER,"
    " submitted_by TEXT,"
    " lease_pid INTEGER," /* the process working on it, while lease_until lasts */
    " lease_until INTEGER," META_COLUMNS ");"
    "CREATE INDEX reports_state ON reports(state);"
    "CREATE TABLE events ("
    " id INTEGER PRIMARY KEY,"
    " report_id INTEGER NOT NULL REFERENCES reports(id),"
    " row INTEGER NOT NULL,"
    " line INTEGER NOT NULL,"
    " time_source INTEGER,"
    " time_observation INTEGER NOT NULL,"
    " feed TEXT NOT NULL,"
    " taxonomy TEXT, type TEXT, identifier TEXT,"
    " source_ip BLOB," /* 4 or 16 bytes, network order: ranges compare as blobs */
    " source_asn INTEGER,"
    " source_fqdn TEXT,"
    " org_id INTEGER REFERENCES organisations(id) ON DELETE SET NULL,"
    " owner_rule TEXT,"
    " data TEXT NOT NULL," /* the event in IntelMQ's JSON form */
    " notified INTEGER NOT NULL DEFAULT 0," META_COLUMNS ","
    " UNIQUE (report_id, row));"
    "CREATE INDEX events_time ON events(time_source);"
    "CREATE INDEX events_org ON events(org_id, id);"
    "CREATE INDEX events_ip ON events(source_ip);"
    "CREATE TABLE dedup ("
    " key BLOB PRIMARY KEY,"
    " first_seen INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE quarantine ("
    " id INTEGER PRIMARY KEY,"
    " report_id INTEGER NOT NULL REFERENCES reports(id),"
    " row INTEGER NOT NULL,"
    " line INTEGER NOT NULL,"
    " raw BLOB NOT NULL,"
    " field TEXT,"
    " reason TEXT NOT NULL,"
    " state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open','retried','resolved')),"
    " retried_event_id INTEGER," META_COLUMNS ","
    " UNIQUE (report_id, row));"
    "CREATE INDEX quarantine_state ON quarantine(state, id);",

    /* 3: notifications. One row is one e-mail: the events of one constituent and one group
     * (feed or classification type) for the contacts that read one language. UNIQUE
     * (event_id, language) makes "an event is never notified twice" a guarantee of the
     * database: each event goes at most once to each language group of its constituent (a
     * contact has one language, so to each contact at most once). The send log counts what
     * each recipient got, for the per-recipient rate limit. */
    "CREATE TABLE notifications ("
    " id INTEGER PRIMARY KEY,"
    " org_id INTEGER REFERENCES organisations(id) ON DELETE SET NULL,"
    " group_key TEXT NOT NULL," /* "feed:<feed.name>" or "type:<classification.type>" */
    " language TEXT NOT NULL,"
    " reference TEXT UNIQUE," /* ERMES-YYYY-NNNNNN, set from the id on insert */
    " state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','sent','failed')),"
    " recipients TEXT NOT NULL," /* JSON array of addresses */
    " subject TEXT NOT NULL,"
    " body TEXT NOT NULL,"
    " events INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_attempt_at INTEGER NOT NULL,"
    " last_error TEXT,"
    " sent_at INTEGER,"
    " lease_until INTEGER," /* a sender is working on it until then */
    " window_start INTEGER NOT NULL,"
    " window_end INTEGER NOT NULL," META_COLUMNS ");"
    "CREATE INDEX notifications_due ON notifications(state, next_attempt_at);"
    "CREATE INDEX notifications_org ON notifications(org_id, id);"
    "CREATE TABLE notification_events ("
    " notification_id INTEGER NOT NULL REFERENCES notifications(id) ON DELETE CASCADE,"
    " event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,"
    " language TEXT NOT NULL,"
    " UNIQUE (event_id, language));"
    "CREATE INDEX notification_events_notification ON notification_events(notification_id);"
    "CREATE TABLE notification_sends ("
    " id INTEGER PRIMARY KEY,"
    " recipient TEXT NOT NULL," /* lower case */
    " notification_id INTEGER REFERENCES notifications(id) ON DELETE SET NULL,"
    " sent_at INTEGER NOT NULL);"
    "CREATE INDEX notification_sends_recipient ON notification_sends(recipient, sent_at);"
    /* What grouping scans: the events still to notify. */
    "CREATE INDEX events_unnotified ON events(org_id, created_at)"
    " WHERE notified = 0 AND tlp <> 'RED';",

    /* 4: notification delivery states. "sending" is written (and committed) before the SMTP
     * exchange starts and "sent" after it ends, so a process that dies in between leaves a
     * trace and the notification is not lost (src/notify/notify.h: at least once, with the
     * same Message-ID); "retrying" is a notification whose last attempt failed. lease_pid
     * names the process holding the lease; message_id is fixed when the notification is
     * made. SQLite cannot change a CHECK constraint in place, so the three tables are
     * rebuilt: the children are copied first and dropped before their parent, which keeps
     * ON DELETE CASCADE from emptying them; each RENAME updates the references to it. */
    "CREATE TABLE notifications_v4 ("
    " id INTEGER PRIMARY KEY,"
    " org_id INTEGER REFERENCES organisations(id) ON DELETE SET NULL,"
    " group_key TEXT NOT NULL,"
    " language TEXT NOT NULL,"
    " reference TEXT UNIQUE,"
    " message_id TEXT,"
    " state TEXT NOT NULL DEFAULT 'pending'"
    "  CHECK (state IN ('pending','sending','retrying','sent','failed')),"
    " recipients TEXT NOT NULL,"
    " subject TEXT NOT NULL,"
    " body TEXT NOT NULL,"
    " events INTEGER NOT NULL,"
    " attempts INTEGER NOT NULL DEFAULT 0,"
    " next_attempt_at INTEGER NOT NULL,"
    " last_error TEXT,"
    " sent_at INTEGER,"
    " lease_pid INTEGER,"
    " lease_until INTEGER,"
    " window_start INTEGER NOT NULL,"
    " window_end INTEGER NOT NULL," META_COLUMNS ");"
    "INSERT INTO notifications_v4 (id, org_id, group_key, language, reference, state, recipients,"
    " subject, body, events, attempts, next_attempt_at, last_error, sent_at, lease_until,"
    " window_start, window_end, tlp, owner_org_id, created_at, updated_at)"
    " SELECT id, org_id, group_key, language, reference,"
    " CASE WHEN state = 'pending' AND attempts > 0 THEN 'retrying' ELSE state END, recipients,"
    " subject, body, events, attempts, next_attempt_at, last_error, sent_at, lease_until,"
    " window_start, window_end, tlp, owner_org_id, created_at, updated_at FROM notifications;"
    "CREATE TABLE notification_events_v4 ("
    " notification_id INTEGER NOT NULL REFERENCES notifications_v4(id) ON DELETE CASCADE,"
    " event_id INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,"
    " language TEXT NOT NULL,"
    " UNIQUE (event_id, language));"
    "INSERT INTO notification_events_v4 SELECT notification_id, event_id, language"
    " FROM notification_events;"
    "CREATE TABLE notification_sends_v4 ("
    " id INTEGER PRIMARY KEY,"
    " recipient TEXT NOT NULL,"
    " notification_id INTEGER REFERENCES notifications_v4(id) ON DELETE SET NULL,"
    " sent_at INTEGER NOT NULL);"
    "INSERT INTO notification_sends_v4 SELECT id, recipient, notification_id, sent_at"
    " FROM notification_sends;"
    "DROP TABLE notification_events;"
    "DROP TABLE notification_sends;"
    "DROP TABLE notifications;"
    "ALTER TABLE notifications_v4 RENAME TO notifications;"
    "ALTER TABLE notification_events_v4 RENAME TO notification_events;"
    "ALTER TABLE notification_sends_v4 RENAME TO notification_sends;"
    "CREATE INDEX notifications_due ON notifications(state, next_attempt_at);"
    "CREATE INDEX notifications_org ON notifications(org_id, id);"
    "CREATE INDEX notification_events_notification ON notification_events(notification_id);"
    "CREATE INDEX notification_sends_recipient ON notification_sends(recipient, sent_at);",

    /* 5: deduplication moves to memory (src/intake/dedup.c); the store keeps an append-only
     * log of first sightings instead of an index keyed by random hashes, whose every insert
     * wrote a random page. */
    "CREATE TABLE dedup_log ("
    " id INTEGER PRIMARY KEY,"
    " key BLOB NOT NULL,"
    " first_seen INTEGER NOT NULL);"
    "INSERT INTO dedup_log (key, first_seen) SELECT key, first_seen FROM dedup ORDER BY first_seen;"
    "DROP TABLE dedup;"
    /* Where each event's row is in its report's file: the raw line is read from there, not
     * stored twice. */
    "ALTER TABLE events ADD COLUMN raw_offset INTEGER;"
    "ALTER TABLE events ADD COLUMN raw_length INTEGER;",

    /* 6: indicators of compromise and their sightings. An indicator is unique by its type,
     * canonical value (the detection engine's normalised form) and exact flag. The
     * 'indicators' counter moves with every change, as 'registry' does for the ownership
     * index, so a daemon notices changes made by any process and rebuilds its matcher. A
     * sighting is one (indicator, observed value, field, log, offset): the same record
     * posted twice is stored once. sighting_counts holds the same sightings per indicator,
     * constituent (0: none) and day of event time, kept in the sighting's transaction. */
    "CREATE TABLE indicators ("
    " id INTEGER PRIMARY KEY,"
    " type TEXT NOT NULL,"
    " value TEXT NOT NULL,"
    " exact INTEGER NOT NULL DEFAULT 0,"
    " valid_from INTEGER NOT NULL DEFAULT 0,"  /* 0: always */
    " valid_until INTEGER NOT NULL DEFAULT 0," /* 0: never expires */
    " confidence INTEGER NOT NULL DEFAULT -1,"
    " source TEXT NOT NULL DEFAULT '',"
    " tags TEXT NOT NULL DEFAULT '[]'," META_COLUMNS ","
    " UNIQUE (type, value, exact));"
    "CREATE INDEX indicators_valid_until ON indicators(valid_until);"
    "INSERT INTO counters VALUES ('indicators', 0);"
    "CREATE TRIGGER indicators_INSERT_bump AFTER INSERT ON indicators"
    " BEGIN UPDATE counters SET value = value + 1 WHERE name = 'indicators'; END;"
    "CREATE TRIGGER indicators_UPDATE_bump AFTER UPDATE ON indicators"
    " BEGIN UPDATE counters SET value = value + 1 WHERE name = 'indicators'; END;"
    "CREATE TRIGGER indicators_DELETE_bump AFTER DELETE ON indicators"
    " BEGIN UPDATE counters SET value = value + 1 WHERE name = 'indicators'; END;"
    "CREATE TABLE sightings ("
    " id INTEGER PRIMARY KEY,"
    " indicator_id INTEGER NOT NULL REFERENCES indicators(id) ON DELETE CASCADE,"
    " value TEXT NOT NULL,"
    " field TEXT NOT NULL,"
    " log_source TEXT NOT NULL,"
    " line INTEGER NOT NULL,"
    " byte_offset INTEGER NOT NULL,"
    " event_time INTEGER NOT NULL,"
    " sensor TEXT,"
    " internal_ip TEXT,"
    " org_id INTEGER REFERENCES organisations(id) ON DELETE SET NULL," META_COLUMNS ","
    " UNIQUE (indicator_id, value, field, log_source, byte_offset));"
    "CREATE INDEX sightings_org ON sightings(org_id, id);"
    "CREATE INDEX sightings_time ON sightings(event_time);"
    "CREATE TABLE sighting_counts ("
    " indicator_id INTEGER NOT NULL REFERENCES indicators(id) ON DELETE CASCADE,"
    " org_id INTEGER NOT NULL DEFAULT 0,"
    " day TEXT NOT NULL," /* YYYY-MM-DD of the event time, UTC */
    " count INTEGER NOT NULL,"
    " first_seen INTEGER NOT NULL,"
    " last_seen INTEGER NOT NULL,"
    " PRIMARY KEY (indicator_id, org_id, day));"
    "CREATE INDEX sighting_counts_org ON sighting_counts(org_id, day);",
    /* 7: collection. A collector's state (src/intake/collect.c): the last run and its outcome,
     * the next one, the validators of the last response (ETag, Last-Modified) for a
     * conditional GET, and the SHA-256 of the last body ingested, so an unchanged body is not
     * ingested twice. The lease keeps two processes from running one collector at once.
     * spool_claims records, in the transaction that records the report, the claim token a
     * file of the spool directory got when it was taken, so a daemon that dies between
     * recording the report and removing the file knows on restart that it was taken.
     * IF NOT EXISTS: tests that roll the schema back to an earlier migration re-apply this. */
    "CREATE TABLE IF NOT EXISTS collectors ("
    " name TEXT PRIMARY KEY,"
    " status TEXT NOT NULL DEFAULT 'new'"
    "  CHECK (status IN ('new','ok','not_modified','unchanged','error')),"
    " last_error TEXT,"
    " http_status INTEGER,"
    " last_run INTEGER,"
    " next_run INTEGER NOT NULL DEFAULT 0,"
    " last_success INTEGER,"
    " etag TEXT,"
    " last_modified TEXT,"
    " last_report_id INTEGER REFERENCES reports(id) ON DELETE SET NULL,"
    " body_sha256 TEXT,"
    " failures INTEGER NOT NULL DEFAULT 0,"
    " runs INTEGER NOT NULL DEFAULT 0,"
    " reports INTEGER NOT NULL DEFAULT 0,"
    " lease_pid INTEGER,"
    " lease_until INTEGER," META_COLUMNS ");"
    "CREATE TABLE IF NOT EXISTS spool_claims ("
    " token TEXT PRIMARY KEY,"
    " report_id INTEGER NOT NULL REFERENCES reports(id),"
    " created_at INTEGER NOT NULL);",

    /* 8: browser sessions and the dashboard's daily figures. A session is
     * found by the BLAKE2b-256 hash of its cookie, as a token is, and ends at expires_at or
     * after the idle time since last_seen (settings session_ttl, session_idle).
     * login_failures counts failed logins per user name for the lock-out (5 in 15 minutes).
     * event_daily counts events per day of storage (UTC), constituent (0: none), feed and
     * classification, kept by the intake in the transaction that stores the events
     * (ermes_store_event_daily_add), so /api/v1/stats never scans events. hidden = 1 counts
     * TLP:RED events the constituent may not see (owned by someone else). IF NOT EXISTS and
     * OR REPLACE: tests that roll the schema back re-apply this; the backfill recounts. */
    "CREATE TABLE IF NOT EXISTS sessions ("
    " id INTEGER PRIMARY KEY,"
    " hash BLOB NOT NULL UNIQUE,"
    " user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,"
    " csrf_token TEXT NOT NULL,"
    " last_seen INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " ip TEXT,"
    " user_agent TEXT," META_COLUMNS ");"
    "CREATE INDEX IF NOT EXISTS sessions_user ON sessions(user_id);"
    "CREATE INDEX IF NOT EXISTS sessions_expires ON sessions(expires_at);"
    "CREATE TABLE IF NOT EXISTS login_failures ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL COLLATE NOCASE,"
    " at INTEGER NOT NULL,"
    " ip TEXT);"
    "CREATE INDEX IF NOT EXISTS login_failures_name ON login_failures(name, at);"
    "CREATE TABLE IF NOT EXISTS event_daily ("
    " day TEXT NOT NULL," /* YYYY-MM-DD of created_at, UTC */
    " org_id INTEGER NOT NULL DEFAULT 0,"
    " feed TEXT NOT NULL DEFAULT '',"
    " taxonomy TEXT NOT NULL DEFAULT '',"
    " type TEXT NOT NULL DEFAULT '',"
    " hidden INTEGER NOT NULL DEFAULT 0,"
    " count INTEGER NOT NULL,"
    " PRIMARY KEY (day, org_id, feed, taxonomy, type, hidden)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS event_daily_org ON event_daily(org_id, day);"
    "CREATE INDEX IF NOT EXISTS reports_feed ON reports(feed, received_at);"
    "INSERT OR REPLACE INTO event_daily (day, org_id, feed, taxonomy, type, hidden, count)"
    " SELECT strftime('%Y-%m-%d', created_at / 1000, 'unixepoch'), coalesce(org_id, 0),"
    " coalesce(feed, ''), coalesce(taxonomy, ''), coalesce(type, ''),"
    " CASE WHEN tlp = 'RED' AND coalesce(owner_org_id, 0) <> coalesce(org_id, 0) THEN 1"
    " ELSE 0 END, count(*) FROM events GROUP BY 1, 2, 3, 4, 5, 6;",
    /* 9: retro-hunts. A job rescans the log archive for some indicators: those listed in
     * indicator_ids (a JSON array), else the active ones with min_indicator_id < id <=
     * max_indicator_id. The highest max_indicator_id of the range jobs is how far the daemon
     * has hunted: indicators added past it get a job of their own. Progress is written by the
     * daemon while the job runs; cancel_requested asks it to stop one. */
    "CREATE TABLE IF NOT EXISTS retrohunts ("
    " id INTEGER PRIMARY KEY,"
    " state TEXT NOT NULL DEFAULT 'queued'"
    "  CHECK (state IN ('queued','running','done','failed','cancelled')),"
    " indicator_ids TEXT,"
    " min_indicator_id INTEGER NOT NULL DEFAULT 0,"
    " max_indicator_id INTEGER NOT NULL DEFAULT 0,"
    " archive TEXT NOT NULL,"
    " indicators INTEGER NOT NULL DEFAULT 0,"
    " files_total INTEGER NOT NULL DEFAULT 0,"
    " files_done INTEGER NOT NULL DEFAULT 0,"
    " files_failed INTEGER NOT NULL DEFAULT 0,"
    " bytes_total INTEGER NOT NULL DEFAULT 0,"
    " bytes_done INTEGER NOT NULL DEFAULT 0,"
    " bytes_scanned INTEGER NOT NULL DEFAULT 0,"
    " records INTEGER NOT NULL DEFAULT 0,"
    " matches INTEGER NOT NULL DEFAULT 0,"
    " sightings INTEGER NOT NULL DEFAULT 0,"
    " current_file TEXT,"
    " error TEXT,"
    " cancel_requested INTEGER NOT NULL DEFAULT 0,"
    " retry_of INTEGER REFERENCES retrohunts(id),"
    " requested_by TEXT NOT NULL,"
    " started_at INTEGER,"
    " finished_at INTEGER," META_COLUMNS ");"
    "CREATE INDEX IF NOT EXISTS retrohunts_state ON retrohunts(state, id);",

    /* 10: the sensor role: a Suricata or Zeek box that may only submit logs. SQLite cannot
     * change the CHECK on users.role in place, so users is rebuilt as in migration 4, keeping
     * every id: its children (tokens, sessions) are copied first and dropped before it, which
     * keeps ON DELETE CASCADE from emptying them (foreign keys stay on: a PRAGMA cannot turn
     * them off inside the migration's transaction); each RENAME updates the references to
     * it. Re-running it (a schema rolled back) rebuilds the same tables again. */
    "CREATE TABLE users_v10 ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL COLLATE NOCASE UNIQUE,"
    " role TEXT NOT NULL CHECK (role IN ('admin','analyst','constituent','sensor')),"
    " org_id INTEGER NOT NULL REFERENCES organisations(id) ON DELETE RESTRICT,"
    " password_hash TEXT NOT NULL DEFAULT '',"
    " disabled INTEGER NOT NULL DEFAULT 0," META_COLUMNS ");"
    "INSERT INTO users_v10 (id, name, role, org_id, password_hash, disabled, tlp, owner_org_id,"
    " created_at, updated_at) SELECT id, name, role, org_id, password_hash, disabled, tlp,"
    " owner_org_id, created_at, updated_at FROM users;"
    "CREATE TABLE tokens_v10 ("
    " id INTEGER PRIMARY KEY,"
    " user_id INTEGER NOT NULL REFERENCES users_v10(id) ON DELETE CASCADE,"
    " hash BLOB NOT NULL UNIQUE,"
    " prefix TEXT NOT NULL,"
    " description TEXT NOT NULL DEFAULT '',"
    " expires_at INTEGER NOT NULL,"
    " revoked_at INTEGER,"
    " last_used_at INTEGER," META_COLUMNS ");"
    "INSERT INTO tokens_v10 (id, user_id, hash, prefix, description, expires_at, revoked_at,"
    " last_used_at, tlp, owner_org_id, created_at, updated_at) SELECT id, user_id, hash,"
    " prefix, description, expires_at, revoked_at, last_used_at, tlp, owner_org_id,"
    " created_at, updated_at FROM tokens;"
    "CREATE TABLE sessions_v10 ("
    " id INTEGER PRIMARY KEY,"
    " hash BLOB NOT NULL UNIQUE,"
    " user_id INTEGER NOT NULL REFERENCES users_v10(id) ON DELETE CASCADE,"
    " csrf_token TEXT NOT NULL,"
    " last_seen INTEGER NOT NULL,"
    " expires_at INTEGER NOT NULL,"
    " ip TEXT,"
    " user_agent TEXT," META_COLUMNS ");"
    "INSERT INTO sessions_v10 (id, hash, user_id, csrf_token, last_seen, expires_at, ip,"
    " user_agent, tlp, owner_org_id, created_at, updated_at) SELECT id, hash, user_id,"
    " csrf_token, last_seen, expires_at, ip, user_agent, tlp, owner_org_id, created_at,"
    " updated_at FROM sessions;"
    "DROP TABLE tokens;"
    "DROP TABLE sessions;"
    "DROP TABLE users;"
    "ALTER TABLE users_v10 RENAME TO users;"
    "ALTER TABLE tokens_v10 RENAME TO tokens;"
    "ALTER TABLE sessions_v10 RENAME TO sessions;"
    "CREATE INDEX tokens_user ON tokens(user_id);"
    "CREATE INDEX sessions_user ON sessions(user_id);"
    "CREATE INDEX sessions_expires ON sessions(expires_at);",

    /* 11: packed events. New events keep their document in events.data packed
     * (src/model/event_pack.h: a quarter of the JSON's size, which is most of what storing
     * an event costs); older rows keep their JSON text, and readers take either. event_names
     * numbers the extra names packed documents use (src/store/event_names.c): a row is never
     * changed or deleted. dedup_batches is the deduplication log as one row per intake
     * transaction (its new keys, 16 bytes each, all first seen at first_seen) instead of one
     * row per event; its keys are SipHash-2-4 (128 bits) under dedup_secret instead of
     * BLAKE2b, a fifth of the cost: dedup_log (BLAKE2b keys) is no longer written, and so the
     * events of the window before an upgrade are not recognised as duplicates after it.
     * IF NOT EXISTS: idempotent. */
    "CREATE TABLE IF NOT EXISTS event_names ("
    " id INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL UNIQUE);"
    "CREATE TABLE IF NOT EXISTS dedup_batches ("
    " id INTEGER PRIMARY KEY,"
    " first_seen INTEGER NOT NULL,"
    " keys BLOB NOT NULL);"
    /* The key of the keyed hash the batches' keys are made with (src/intake/dedup.c): random,
     * made by the first intake that needs it, the same for every process. */
    "CREATE TABLE IF NOT EXISTS dedup_secret ("
    " id INTEGER PRIMARY KEY CHECK (id = 1),"
    " secret BLOB NOT NULL);",

    /* 12: notification grouping finds the events still to notify through events_org and a
     * cursor per constituent instead of the partial index events_unnotified, which cost every
     * stored event an index insert (src/store/notifications.c). Every event of org_id with
     * id <= through_id is notified or never notifiable (TLP:RED); the events past it are read
     * as a range of events_org. Event ids only grow (events are never deleted or renumbered),
     * so an event stored later is always past the cursor. The cursor is never ahead of an
     * event still to notify: it is only ever set, in a write transaction, to just below the
     * oldest such event of the org (or to its newest event when there is none). IF NOT EXISTS
     * and OR REPLACE: tests that roll the schema back re-apply this; the backfill recomputes
     * each cursor from the events. */
    "CREATE TABLE IF NOT EXISTS notify_cursor ("
    " org_id INTEGER PRIMARY KEY REFERENCES organisations(id) ON DELETE CASCADE,"
    " through_id INTEGER NOT NULL);"
    "DROP INDEX IF EXISTS events_unnotified;"
    "INSERT OR REPLACE INTO notify_cursor (org_id, through_id)"
    " SELECT org_id, coalesce(min(CASE WHEN notified = 0 AND tlp <> 'RED' THEN id END) - 1,"
    " max(id)) FROM events WHERE org_id IS NOT NULL GROUP BY org_id;",

    /* 13: the address index leaves the events table for event_ips, which the intake writes
     * per transaction in address order (src/store/event_doc.c): a third of what one random
     * B-tree insert per event cost, the biggest part of storing an event. The events list
     * looks addresses and networks up there (it scanned every event before: no statement
     * could use events_ip). events_time goes: no statement could use it either (time
     * filters are checked along the id order the pages follow), and it cost every event an
     * index insert. IF NOT EXISTS and OR IGNORE: idempotent. */
    "CREATE TABLE IF NOT EXISTS event_ips ("
    " ip BLOB NOT NULL,"
    " id INTEGER NOT NULL,"
    " PRIMARY KEY (ip, id)) WITHOUT ROWID;"
    "INSERT OR IGNORE INTO event_ips (ip, id) SELECT source_ip, id FROM events"
    " WHERE source_ip IS NOT NULL ORDER BY source_ip, id;"
    "DROP INDEX IF EXISTS events_ip;"
    "DROP INDEX IF EXISTS events_time;",

    /* 14: events_org holds the events that have an owner only: every statement that uses it
     * names an organisation (org_id = ?, which the planner knows excludes NULL), and events
     * nobody in the constituency owns (most of a feed that covers the whole internet) no
     * longer cost an index entry each. Dropped and made again: idempotent. */
    "DROP INDEX IF EXISTS events_org;"
    "CREATE INDEX events_org ON events(org_id, id) WHERE org_id IS NOT NULL;",
};

int ermes__schema_count(void)
{
    return (int)(sizeof(migrations) / sizeof(migrations[0]));
}

const char *ermes__schema_migration(int version)
{
    if (version < 1 || version > ermes__schema_count())
        return NULL;
    return migrations[version - 1];
}
