#ifndef ERMES_STORE_SCHEMA_H
#define ERMES_STORE_SCHEMA_H

/* Number of migrations; the schema version of an up-to-date database. */
int ermes__schema_count(void);
/* The SQL of migration `version` (1-based), or NULL. */
const char *ermes__schema_migration(int version);

#endif
