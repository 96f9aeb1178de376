/* libFuzzer target for the observable extractor (src/mail/observables.c). Any bytes: the
 * extractor returns 0, keeps each (type, value) once, at most max of them, and every value is
 * canonical: an address, a network, a hash or a CVE id extracted again on its own reads back
 * as itself (domains, URLs and e-mail addresses are extracted again too, for the crash
 * checks, but re-fanging may change them: "-hxxp.example" is "-http.example" the second time). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/observables.h"

static void fail(const char *what, const char *value)
{
    fprintf(stderr, "fuzz_observables: %s: \"%s\"\n", what, value);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ermes__observables_t o, again;

    ermes__observables_init(&o, 200);
    if (ermes__observables_extract(&o, (const char *)data, size, "body"))
        return 0; /* out of memory only */
    if (o.n > 200)
        fail("more than max", "");
    for (size_t k = 0; k < o.n; k++) {
        const ermes__observable_t *ob = &o.items[k];
        int found = 0;
        for (size_t j = 0; j < k; j++)
            if (o.items[j].type == ob->type && strcmp(o.items[j].value, ob->value) == 0)
                fail("a value twice", ob->value);
        ermes__observables_init(&again, 0);
        if (ermes__observables_extract(&again, ob->value, strlen(ob->value), "v") == 0) {
            for (size_t j = 0; j < again.n; j++)
                if (again.items[j].type == ob->type && strcmp(again.items[j].value, ob->value) == 0)
                    found = 1;
            if (!found && ob->type != ERMES_OBS_DOMAIN && ob->type != ERMES_OBS_URL &&
                ob->type != ERMES_OBS_EMAIL)
                fail("a value that does not read back as itself", ob->value);
        }
        ermes__observables_cleanup(&again);
    }
    ermes__observables_cleanup(&o);
    return 0;
}
