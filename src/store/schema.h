#ifndef ERMES_STORE_SCHEMA_H
#define ERMES_STORE_SCHEMA_H

/* Number of migrations; the schema version of an up-to-date database. */
int ermes__schema_count(void);
/* The backends, as db_int.h numbers them. */
enum { ERMES__SCHEMA_SQLITE = 0, ERMES__SCHEMA_POSTGRESQL = 1 };
/* The SQL of migration `version` (1-based) on a backend, or NULL (out of range, or nothing to
 * do on that backend). */
const char *ermes__schema_migration(int version, int backend);

#endif
