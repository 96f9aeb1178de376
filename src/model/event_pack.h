/* The packed event: how the store keeps an event's document.
 *
 * IntelMQ's JSON form spells every key and every number as text: a Shadowserver row of 180
 * bytes becomes 750 bytes of JSON, and writing those bytes was most of what storing an event
 * cost. The packed form keeps the same information in a quarter of the space:
 *
 *   byte 0    ERMES_EVENT_PACK_V1 (a JSON document starts with '{', so the two never mix)
 *   entries   uvarint tag = code << 3 | kind, then the kind's payload:
 *     0 FTEXT   code = field number; uvarint length, the canonical text
 *     1 FUINT   code = field number; uvarint value (the text was its plain decimal form)
 *     2 FTIME   code = field number; zigzag varint microseconds (the text was their canonical
 *               UTC form)
 *     3 FIP4    code = field number; 4 bytes;  4 FIP6: 16 bytes (the text was canonical)
 *     5 XSTR    code = extra name id; uvarint length, the text (an extra string)
 *     6 XUINT   code = extra name id; uvarint value (an extra integer in plain decimal form)
 *     7 XTYPED  code = extra name id; one byte ermes_extra_type_t, uvarint length, the text
 *
 * A value takes a binary kind only when its canonical text reads back from the binary form
 * byte for byte, so unpacking gives exactly the event that was packed. Extra names ("tag",
 * "naics") are numbered by the caller (the store keeps the dictionary), so a name is a byte or
 * two instead of its text. Fields the caller keeps elsewhere (the store's columns) can be left
 * out with the omit mask and put back by the caller after unpacking. */
#ifndef ERMES_MODEL_EVENT_PACK_H
#define ERMES_MODEL_EVENT_PACK_H

#include <stddef.h>
#include <stdint.h>

#include "ermes/event.h"

struct ermes_strbuf;

#define ERMES_EVENT_PACK_V1 0x01
#define ERMES_EVENT_MASK_WORDS ((ERMES_F_COUNT + 63) / 64)

/* The number of an extra's name (without "extra."), making one when it is new. */
typedef int (*ermes__event_name_id_fn)(void *ctx, const char *name, size_t len, uint32_t *id);
/* The name of an extra's number; ERMES_ENOTFOUND when there is none. */
typedef int (*ermes__event_name_of_fn)(void *ctx, uint32_t id, const char **name, size_t *len);

/* Appends ev's packed form to out, without the fields whose bit is set in omit (may be NULL).
 * Returns 0, ERMES_ENOMEM, ERMES_ETOOBIG, or what name_id returned. */
int ermes__event_pack(const ermes_event_t *ev, const uint64_t *omit,
                      ermes__event_name_id_fn name_id, void *ctx, struct ermes_strbuf *out);

/* Adds the fields of a packed document to ev (reset it first). A damaged document is
 * ERMES_EINVAL with the reason in d, never a read outside [doc, doc + len). */
int ermes__event_unpack(ermes_event_t *ev, const void *doc, size_t len,
                        ermes__event_name_of_fn name_of, void *ctx, ermes_diag_t *d);

/* Unpacking sets values with ermes__event_put and ermes__event_put_extra
 * (src/model/harmonize.h): the texts were harmonized before they were packed. */

#endif
