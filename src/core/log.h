/* Logging: one line per event, to stderr, as text or JSON lines. The level is checked before
 * anything is formatted. Never log secrets, tokens or request bodies. */
#ifndef ERMES_CORE_LOG_H
#define ERMES_CORE_LOG_H

typedef enum ermes_log_level {
    ERMES_LOG_ERROR = 0,
    ERMES_LOG_WARNING,
    ERMES_LOG_NOTICE,
    ERMES_LOG_INFO,
    ERMES_LOG_DEBUG
} ermes__log_level_t;

extern int ermes__log_level;

/* Parses "error", "warning", "notice", "info", "debug"; returns the level or -1. */
int ermes__log_level_parse(const char *s);
void ermes__log_setup(int level, int json);

void ermes__log_emit(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define ermes__log(level, ...)                                                                     \
    do {                                                                                           \
        if ((level) <= ermes__log_level)                                                           \
            ermes__log_emit((level), __VA_ARGS__);                                                 \
    } while (0)

#endif
