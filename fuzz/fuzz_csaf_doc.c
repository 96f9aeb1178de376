/* libFuzzer target for the CSAF validator's own document reader (src/advisories/csaf_doc.c),
 * differential against jansson as fuzz_json_read is: whatever ermes__csaf_doc_read accepts,
 * json_loadb(JSON_REJECT_DUPLICATES) accepts too, with the same values in the same order and
 * the same types (integer or real); whatever jansson accepts, the reader accepts unless it is
 * nested deeper than the limit, holds a number longer than the scanner takes on, or holds a
 * NUL byte (the cases left to jansson by design). The copy from jansson's value
 * (ermes__csaf_doc_from_json, the validator's path when the reader declines) gives the same
 * nodes, and every interned key has the id of its name. Anything else aborts. */
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "advisories/csaf_doc.h"
#include "json_oracle.h"

#define DEPTH 16

static void check(int ok, const char *what)
{
    if (ok)
        return;
    fprintf(stderr, "fuzz_csaf_doc: %s\n", what);
    abort();
}

/* Every member's id is its key's in the table, and the lookups agree. */
static void check_ids(const ermes__csaf_keys_t *keys, const ermes__csaf_node_t *v)
{
    if (ermes__csaf_is_object(v)) {
        for (uint32_t i = 0; i < v->n; i++) {
            const ermes__csaf_member_t *m = &v->u.member[i];
            check(m->id == ermes__csaf_keys_find(keys, m->key, m->klen), "wrong key id");
            check(strlen(m->key) == m->klen, "key length");
            if (m->id)
                check(ermes__csaf_member_id(v, m->id) == &m->value, "lookup by id");
            check(ermes__csaf_member(v, m->key) == &m->value, "lookup by name");
            check_ids(keys, &m->value);
        }
    } else if (ermes__csaf_is_array(v)) {
        for (uint32_t i = 0; i < v->n; i++)
            check_ids(keys, &v->u.item[i]);
    } else if (ermes__csaf_is_string(v)) {
        check(v->u.s[v->n] == '\0', "string not terminated");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = {"a", "b", "document", "", "product_id", "x"};
    static ermes__csaf_keys_t *keys;
    static ermes__csaf_doc_t doc, copy;
    json_error_t err;
    json_t *theirs;
    int rc;

    if (!keys) {
        check(ermes__csaf_keys_new(names, sizeof(names) / sizeof(*names), &keys) == 0, "keys");
        ermes__csaf_doc_init(&doc);
        ermes__csaf_doc_init(&copy);
    }
    rc = ermes__csaf_doc_read(&doc, keys, (const char *)data, size, DEPTH);
    theirs = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
    if (rc == 0) {
        check(theirs != NULL, "accepted what jansson refuses");
        check(json_depth(theirs) <= DEPTH, "accepted past the depth limit");
        check(ermes__csaf_same_as_json(&doc.root, theirs), "values differ from jansson's");
        check_ids(keys, &doc.root);
    } else {
        check(rc == ERMES_EPARSE, "declined other than as a parse error");
        check(!theirs || json_depth(theirs) > DEPTH || json_long_number(data, size) ||
                  memchr(data, 0, size),
              "declined what jansson accepts");
    }
    if (theirs) {
        rc = ermes__csaf_doc_from_json(&copy, keys, theirs, DEPTH);
        if (json_depth(theirs) > DEPTH) {
            check(rc == ERMES_EINVAL, "copied past the depth limit");
        } else {
            check(rc == 0, "copy failed");
            check(ermes__csaf_same_as_json(&copy.root, theirs), "copy differs from jansson's");
            check_ids(keys, &copy.root);
            if (ermes__csaf_doc_read(&doc, keys, (const char *)data, size, DEPTH) == 0)
                check(ermes__csaf_equal(&doc.root, &copy.root), "read and copy differ");
        }
    }
    json_decref(theirs);
    return 0;
}
