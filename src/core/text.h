/* Untrusted text on its way to a person. Feed rows, quarantine reasons, file names and
 * organisation names come from outside; printed byte for byte they could drive the terminal
 * (set its title, clear the screen, fake lines), and written into a CSV a spreadsheet would
 * run them as formulas (issue 10, item 6). */
#ifndef ERMES_CORE_TEXT_H
#define ERMES_CORE_TEXT_H

#include <stddef.h>

#include "core/strbuf.h"

/* Appends the len bytes of s (borrowed) to b with every control character made visible:
 * C0 (0x00-0x1f, newline and tab included) and DEL as \xNN, C1 (U+0080-U+009F) as \u00NN,
 * and each byte that is not part of valid UTF-8 as \xNN (a raw 0x9b is CSI on an 8-bit
 * terminal). Valid UTF-8 otherwise passes unchanged. Returns 0, ERMES_ETOOBIG or
 * ERMES_ENOMEM (b then holds a prefix). */
int ermes__text_escape(ermes__strbuf_t *b, const char *s, size_t len);

/* The same into the fixed buffer out of cap bytes (cap > 0), without allocating (for the log):
 * the escaped text, cut at a character boundary when it does not fit, NUL-terminated. Returns
 * its length. */
size_t ermes__text_escape_buf(const char *s, size_t len, char *out, size_t cap);

/* Whether s would need escaping: 1 if it holds a character ermes__text_escape changes. */
int ermes__text_needs_escape(const char *s, size_t len);

/* OWASP's CSV injection rule: 1 if a cell of len bytes starting at s begins with '=', '+',
 * '-', '@', tab or carriage return, which a spreadsheet may read as a formula; the writer
 * then puts a single quote before it. */
int ermes__csv_cell_is_formula(const char *s, size_t len);

/* The escape a JSON string writes for byte c when c is '"', '\\' or a control character
 * (below 0x20): \" \\ \b \f \n \r \t, the others \u00XX with upper or lower case hex digits
 * (jansson writes capitals, Python's json module small letters). Writes it into out and
 * returns its length (2 or 6); 0, out untouched, for any other byte. */
size_t ermes__json_escape(unsigned char c, int upper_hex, char out[6]);

#endif
