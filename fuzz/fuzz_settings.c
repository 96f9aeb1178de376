/* libFuzzer target for the settings changed while ermes runs (PUT /api/v1/settings/NAME and
 * `ermes settings set`; src/core/config.c, src/notify/group.c, src/core/config_live.c).
 *
 * The input is "NAME\nVALUE" (VALUE cut at its first NUL, as a JSON string is). The value is
 * checked as the API checks it; an accepted one is laid over the settings as a stored row, and
 * the setting then reads back exactly as given (a number or boolean as the table writes it).
 * A refused one names a field and a reason, and the settings stay as they were. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/config.h"
#include "core/config_live.h"
#include "notify/notify.h"

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_settings: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static ermes__config_t base;
    static int ready;
    char *in = malloc(size + 1), *value, before[4096], after[4096];
    const ermes__config_t *now;
    ermes_diag_t d;
    int rc, live = 0, src = 0;

    if (!in)
        return 0;
    if (!ready) {
        check(ermes__config_init(&base) == 0, "config_init");
        check(ermes__config_set(&base, "mail_from", "cert@cert.example", NULL) == 0, "mail_from");
        check(ermes__live_init(&base) == 0, "live_init");
        ready = 1;
    }
    memcpy(in, data, size);
    in[size] = '\0';
    value = strchr(in, '\n');
    if (!value || value - in > 63 || strlen(value + 1) > 4095) {
        free(in);
        return 0;
    }
    *value++ = '\0';
    ermes_diag_clear(&d);
    rc = ermes__notify_check_setting(&base, in, value, &d);
    if (rc) {
        check(rc != ERMES_ENOMEM, "out of memory");
        check(d.reason[0] != '\0', "a refusal without a reason");
        check(d.field[0] != '\0', "a refusal without a field");
        free(in);
        return 0;
    }
    check(ermes__config_setting_info(in, &live, NULL) == 0, "an accepted unknown setting");
    if (!live) {
        free(in);
        return 0;
    }
    ermes__config_get(&base, in, before, sizeof(before), NULL);
    {
        const char *names[] = {in}, *values[] = {value};
        check(ermes__live_update(names, values, 1, NULL) == 0, "live_update");
    }
    now = ermes__live_acquire(&base);
    check(ermes__config_get(now, in, after, sizeof(after), &src) == 0, "get");
    check(src == ERMES__SRC_DATABASE, "the stored value is not in force");
    if (strlen(value) < sizeof(after) - 1 && *value && value[0] != '0' && value[0] != '+' &&
        value[0] != ' ' && value[0] != '-' && strcmp(after, "true") && strcmp(after, "false"))
        check(strcmp(after, value) == 0, "the setting does not read back as given");
    ermes__live_release(now);
    /* The base (what the database lies over) is untouched. */
    check(ermes__config_get(&base, in, after, sizeof(after), NULL) == 0 && !strcmp(before, after),
          "the base changed");
    {
        check(ermes__live_update(NULL, NULL, 0, NULL) == 0, "live_update back");
    }
    free(in);
    return 0;
}
