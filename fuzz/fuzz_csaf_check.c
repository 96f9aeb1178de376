/* libFuzzer target for the readers of another CSAF provider's files that `ermes csaf check`
 * fetches (src/advisories/csaf_check_read.c): changes.csv, index.txt, security.txt's CSAF
 * fields, a ROLIE feed and a .sha256/.sha512 file. The first byte picks the reader, the rest is
 * the file. Checks: each path read is a relative path the reader accepts again, no line holds
 * a newline, a feed read has a content src for every entry; a failed read says why. Anything
 * else aborts. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisories/csaf_check.h"

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_csaf_check: %s\n", what);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data + 1;
    size_t len = size ? size - 1 : 0;
    ermes_diag_t d;
    char **lines = NULL;
    size_t n = 0;
    int rc;

    if (size == 0)
        return 0;
    ermes_diag_clear(&d);
    switch (data[0] % 5) {
    case 0: {
        ermes__csaf_change_t *c = NULL;
        rc = ermes__csaf_changes_read(text, len, &c, &n, &d);
        check(rc == 0 || d.reason[0], "changes.csv refused without a reason");
        for (size_t i = 0; rc == 0 && i < n; i++)
            check(ermes__csaf_relpath_ok(c[i].path, strlen(c[i].path)), "a bad path kept");
        if (rc == 0)
            ermes__csaf_changes_free(c, n);
        break;
    }
    case 1:
        rc = ermes__csaf_index_read(text, len, &lines, &n, &d);
        check(rc == 0 || d.reason[0], "index.txt refused without a reason");
        for (size_t i = 0; rc == 0 && i < n; i++)
            check(ermes__csaf_relpath_ok(lines[i], strlen(lines[i])), "a bad path kept");
        if (rc == 0)
            ermes__csaf_lines_free(lines, n);
        break;
    case 2:
        rc = ermes__csaf_security_txt_read(text, len, &lines, &n);
        for (size_t i = 0; rc == 0 && i < n; i++)
            check(!strchr(lines[i], '\n') && lines[i][0], "a CSAF field with a newline");
        if (rc == 0)
            ermes__csaf_lines_free(lines, n);
        break;
    case 3: {
        ermes__csaf_feed_t f;
        rc = ermes__csaf_feed_read(text, len, &f, &d);
        check(rc == 0 || d.reason[0], "feed refused without a reason");
        for (size_t i = 0; rc == 0 && i < f.n; i++)
            check(f.entries[i].src && f.entries[i].id, "an entry without src or id");
        if (rc == 0)
            ermes__csaf_feed_cleanup(&f);
        break;
    }
    default: {
        char hex[129];
        if (ermes__csaf_hash_file_read(text, len, 64, hex) == 0)
            check(strlen(hex) == 64, "a SHA-256 digest of another length");
        if (ermes__csaf_hash_file_read(text, len, 128, hex) == 0)
            check(strlen(hex) == 128, "a SHA-512 digest of another length");
    }
    }
    return 0;
}
