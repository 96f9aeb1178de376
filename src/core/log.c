#include "core/log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/text.h"
#include "core/time.h"

int ermes__log_level = ERMES_LOG_NOTICE;
static int log_json;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = {"ERROR", "WARNING", "NOTICE", "INFO", "DEBUG"};

int ermes__log_level_parse(const char *s)
{
    static const char *const lower[] = {"error", "warning", "notice", "info", "debug"};

    for (int i = 0; i < 5; i++)
        if (strcmp(s, lower[i]) == 0 || strcmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

void ermes__log_setup(int level, int json)
{
    ermes__log_level = level;
    log_json = json;
}

/* Writes s as a JSON string body (without quotes). */
static void json_escape(FILE *f, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
}

void ermes__log_emit(int level, const char *fmt, ...)
{
    char msg[2048], shown[4096], when[ERMES_TIME_STRLEN];
    va_list ap;

    if (level < 0 || level > ERMES_LOG_DEBUG)
        level = ERMES_LOG_ERROR;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    /* A log line is one line: newlines inside a message would let input forge entries. */
    for (char *p = msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    ermes__time_format(ermes__time_now_ms(), when);

    pthread_mutex_lock(&log_lock);
    if (log_json) {
        fprintf(stderr, "{\"time\":\"%s\",\"level\":\"%s\",\"message\":\"", when,
                level_names[level]);
        json_escape(stderr, msg);
        fputs("\"}\n", stderr);
    } else {
        /* Messages quote file names, feed values and servers' errors: on a terminal their
         * control characters would be commands, so they are shown escaped. */
        ermes__text_escape_buf(msg, strlen(msg), shown, sizeof(shown));
        fprintf(stderr, "%s %s %s\n", when, level_names[level], shown);
    }
    fflush(stderr);
    pthread_mutex_unlock(&log_lock);
}
