/* libFuzzer target for the delivery status reader (src/mail/dsn.c): the input is the body of a
 * message/delivery-status part, as a bounce carries it. Whatever the bytes, the reader keeps at
 * most ERMES_DSN_MAX_RECIPIENTS recipients, each address terminated, lower case, with an @ and
 * no control character or space, and a known action. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/dsn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    ermes__dsn_t x;

    ermes__dsn_read((const char *)data, size, &x);
    if (x.n > ERMES_DSN_MAX_RECIPIENTS)
        abort();
    for (size_t k = 0; k < x.n; k++) {
        const ermes__dsn_recipient_t *r = &x.recipients[k];
        size_t n = strnlen(r->address, sizeof(r->address));
        if (n == sizeof(r->address) || strnlen(r->status, sizeof(r->status)) == sizeof(r->status))
            abort();
        if (n && !strchr(r->address, '@'))
            abort();
        for (size_t i = 0; i < n; i++)
            if ((unsigned char)r->address[i] <= 0x20 || r->address[i] == 0x7f ||
                (r->address[i] >= 'A' && r->address[i] <= 'Z'))
                abort();
        if (r->action > ERMES_DSN_DELAYED)
            abort();
    }
    return 0;
}
