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
    "INSERT INTO counters VALUES ('registry', 0);"
    BUMP("networks") BUMP("asns") BUMP("domains"),
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
