/* STIX 2.1 patterns: a hand-written lexer and recursive-descent parser for the grammar of the
 * OASIS STIXPattern.g4 (STIX 2.1 section 9), the semantic checks of the OASIS pattern
 * validator (hash values, repeated qualifiers), and the conversion between patterns and ermes
 * indicators.
 *
 * The lexer follows ANTLR's rules: the longest token wins, and between tokens of the same
 * length the rule listed first in the grammar (keywords before identifiers, identifiers
 * without hyphens before those with). The parser follows the grammar's precedence:
 * observation expressions FOLLOWEDBY < OR < AND, comparisons OR < AND, all left-associative;
 * errors name the byte offset of the token where the grammar could not go on, which is where
 * ANTLR reports them. */
#include "sharing/pattern.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"

typedef enum tok_type {
    T_EOF,
    T_INTPOS,
    T_INTNEG,
    T_FLOATPOS,
    T_FLOATNEG,
    T_HEX,
    T_BINARY,
    T_STRING,
    T_BOOL,
    T_TIMESTAMP,
    T_AND,
    T_OR,
    T_NOT,
    T_FOLLOWEDBY,
    T_LIKE,
    T_MATCHES,
    T_ISSUPERSET,
    T_ISSUBSET,
    T_EXISTS,
    T_LAST,
    T_IN,
    T_START,
    T_STOP,
    T_SECONDS,
    T_WITHIN,
    T_REPEATS,
    T_TIMES,
    T_IDENT,   /* IdentifierWithoutHyphen */
    T_IDENT_H, /* IdentifierWithHyphen */
    T_EQ,
    T_NEQ,
    T_LT,
    T_LE,
    T_GT,
    T_GE,
    T_QUOTE,
    T_COLON,
    T_DOT,
    T_COMMA,
    T_RPAREN,
    T_LPAREN,
    T_RBRACK,
    T_LBRACK,
    T_PLUS,
    T_HYPHEN,
    T_POWER,
    T_DIVIDE,
    T_ASTERISK,
    T_INVALID
} tok_type_t;

static const struct {
    const char *word;
    tok_type_t type;
} keywords[] = {
    {"AND", T_AND},
    {"OR", T_OR},
    {"NOT", T_NOT},
    {"FOLLOWEDBY", T_FOLLOWEDBY},
    {"LIKE", T_LIKE},
    {"MATCHES", T_MATCHES},
    {"ISSUPERSET", T_ISSUPERSET},
    {"ISSUBSET", T_ISSUBSET},
    {"EXISTS", T_EXISTS},
    {"LAST", T_LAST},
    {"IN", T_IN},
    {"START", T_START},
    {"STOP", T_STOP},
    {"SECONDS", T_SECONDS},
    {"true", T_BOOL},
    {"false", T_BOOL},
    {"WITHIN", T_WITHIN},
    {"REPEATS", T_REPEATS},
    {"TIMES", T_TIMES},
};

typedef struct tok {
    tok_type_t type;
    size_t off, len;
} tok_t;

typedef struct parser {
    ermes__pattern_t *p;
    const char *s;
    size_t n, pos; /* pos: where the lexer goes on */
    tok_t cur;
    int depth;
    ermes_diag_t *d;
} parser_t;

/* The grammar's WS: ASCII blanks and the Unicode spaces it lists, as UTF-8. Returns the
 * length of the space at s[i], 0 if none. */
static size_t space_len(const char *s, size_t n, size_t i)
{
    const unsigned char *u = (const unsigned char *)s + i;
    size_t left = n - i;

    if (*u == ' ' || *u == '\t' || *u == '\r' || *u == '\n' || *u == 0x0b || *u == 0x0c)
        return 1;
    if (left >= 2 && u[0] == 0xc2 && (u[1] == 0x85 || u[1] == 0xa0))
        return 2;
    if (left >= 3 && u[0] == 0xe1 && u[1] == 0x9a && u[2] == 0x80)
        return 3;
    if (left >= 3 && u[0] == 0xe2 && u[1] == 0x80 &&
        ((u[2] >= 0x80 && u[2] <= 0x8a) || u[2] == 0xa8 || u[2] == 0xa9 || u[2] == 0xaf))
        return 3;
    if (left >= 3 && u[0] == 0xe2 && u[1] == 0x81 && u[2] == 0x9f)
        return 3;
    if (left >= 3 && u[0] == 0xe3 && u[1] == 0x80 && u[2] == 0x80)
        return 3;
    return 0;
}

static int is_b64(char c)
{
    return isalnum((unsigned char)c) || c == '+' || c == '/';
}

static size_t digits(const char *s, size_t n, size_t i)
{
    size_t k = i;
    while (k < n && s[k] >= '0' && s[k] <= '9')
        k++;
    return k - i;
}

/* Length of a TimestampLiteral at s[i] ("t'...'"), 0 if there is none. */
static size_t timestamp_len(const char *s, size_t n, size_t i)
{
    const char *t = s + i;
    size_t k, left = n - i;

    /* t'YYYY-MM-DDTHH:MM:SS then optional fraction, Z' */
    if (left < 23 || t[0] != 't' || t[1] != '\'')
        return 0;
    for (k = 2; k < 6; k++)
        if (!isdigit((unsigned char)t[k]))
            return 0;
    if (t[6] != '-' || t[9] != '-' || t[12] != 'T' || t[15] != ':' || t[18] != ':')
        return 0;
    if (!((t[7] == '0' && t[8] >= '1' && t[8] <= '9') ||
          (t[7] == '1' && t[8] >= '0' && t[8] <= '2')))
        return 0;
    if (!((t[10] == '0' && t[11] >= '1' && t[11] <= '9') ||
          ((t[10] == '1' || t[10] == '2') && isdigit((unsigned char)t[11])) ||
          (t[10] == '3' && (t[11] == '0' || t[11] == '1'))))
        return 0;
    if (!(((t[13] == '0' || t[13] == '1') && isdigit((unsigned char)t[14])) ||
          (t[13] == '2' && t[14] >= '0' && t[14] <= '3')))
        return 0;
    if (!(t[16] >= '0' && t[16] <= '5' && isdigit((unsigned char)t[17])))
        return 0;
    if (!((t[19] >= '0' && t[19] <= '5' && isdigit((unsigned char)t[20])) ||
          (t[19] == '6' && t[20] == '0')))
        return 0;
    k = 21;
    if (t[k] == '.') {
        size_t m = digits(s, n, i + k + 1);
        if (m == 0)
            return 0;
        k += 1 + m;
    }
    if (k + 1 >= left || t[k] != 'Z' || t[k + 1] != '\'')
        return 0;
    return k + 2;
}

/* Length of a BinaryLiteral at s[i] ("b'<base64>'", at least one group), 0 if none. */
static size_t binary_len(const char *s, size_t n, size_t i)
{
    size_t k = i + 2, b = 0, pad = 0;

    if (n - i < 3 || s[i] != 'b' || s[i + 1] != '\'')
        return 0;
    while (k < n && is_b64(s[k])) {
        k++;
        b++;
    }
    while (k < n && s[k] == '=' && pad < 2) {
        k++;
        pad++;
    }
    if (k >= n || s[k] != '\'')
        return 0;
    if ((pad == 0 && (b == 0 || b % 4 != 0)) || (pad == 1 && b % 4 != 3) ||
        (pad == 2 && b % 4 != 2))
        return 0;
    return k + 1 - i;
}

/* Length of a HexLiteral at s[i] ("h'<pairs of hex digits>'"), 0 if none. */
static size_t hex_len(const char *s, size_t n, size_t i)
{
    size_t k = i + 2;

    if (n - i < 3 || s[i] != 'h' || s[i + 1] != '\'')
        return 0;
    while (k < n && isxdigit((unsigned char)s[k]))
        k++;
    if (k >= n || s[k] != '\'' || (k - i - 2) % 2)
        return 0;
    return k + 1 - i;
}

/* Length of a StringLiteral at s[i], 0 if it is not closed. */
static size_t string_len(const char *s, size_t n, size_t i)
{
    size_t k = i + 1;

    while (k < n) {
        if (s[k] == '\'')
            return k + 1 - i;
        if (s[k] == '\\') {
            if (k + 1 < n && (s[k + 1] == '\'' || s[k + 1] == '\\')) {
                k += 2;
                continue;
            }
            return 0;
        }
        k++;
    }
    return 0;
}

/* A number at s[i]: IntPos/IntNeg ('0' or no leading zero) or FloatPos/FloatNeg, the longest. */
static size_t number_len(const char *s, size_t n, size_t i, tok_type_t *type)
{
    size_t k = i, best = 0, d;
    int neg = 0;

    if (s[k] == '+' || s[k] == '-') {
        neg = s[k] == '-';
        k++;
    }
    if (k < n && s[k] == '0') {
        best = k + 1 - i;
        *type = neg ? T_INTNEG : T_INTPOS;
    } else if (k < n && s[k] >= '1' && s[k] <= '9') {
        best = k + digits(s, n, k) - i;
        *type = neg ? T_INTNEG : T_INTPOS;
    }
    /* [0-9]* '.' [0-9]+ */
    d = digits(s, n, k);
    if (k + d < n && s[k + d] == '.') {
        size_t f = digits(s, n, k + d + 1);
        if (f && k + d + 1 + f - i > best) {
            best = k + d + 1 + f - i;
            *type = neg ? T_FLOATNEG : T_FLOATPOS;
        }
    }
    return best;
}

static size_t ident_len(const char *s, size_t n, size_t i, int hyphen)
{
    size_t k = i;

    if (k >= n || !(isalpha((unsigned char)s[k]) || s[k] == '_'))
        return 0;
    k++;
    while (k < n && (isalnum((unsigned char)s[k]) || s[k] == '_' || (hyphen && s[k] == '-')))
        k++;
    return k - i;
}

/* Skips spaces and comments, then reads the next token into ps->cur. */
static void next(parser_t *ps)
{
    const char *s = ps->s;
    size_t n = ps->n, i = ps->pos, l;
    tok_t t = {T_EOF, 0, 0};

    for (;;) {
        if (i >= n)
            break;
        if ((l = space_len(s, n, i))) {
            i += l;
            continue;
        }
        if (s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
            const char *e = NULL;
            for (size_t k = i + 2; k + 1 < n; k++)
                if (s[k] == '*' && s[k + 1] == '/') {
                    e = s + k;
                    break;
                }
            if (e) {
                i = (size_t)(e - s) + 2;
                continue;
            }
        }
        if (s[i] == '/' && i + 1 < n && s[i + 1] == '/') {
            while (i < n && s[i] != '\r' && s[i] != '\n')
                i++;
            continue;
        }
        break;
    }
    t.off = i;
    if (i >= n) {
        t.type = T_EOF;
        ps->cur = t;
        ps->pos = i;
        return;
    }
    {
        char c = s[i];
        size_t nh = ident_len(s, n, i, 0), wh = ident_len(s, n, i, 1);
        tok_type_t nt = T_INTPOS;

        if (nh) {
            /* A one-letter t, h or b before a quote may start a literal longer than it. */
            if (nh == 1 && (l = c == 't'   ? timestamp_len(s, n, i)
                                : c == 'h' ? hex_len(s, n, i)
                                : c == 'b' ? binary_len(s, n, i)
                                           : 0)) {
                t.type = c == 't' ? T_TIMESTAMP : c == 'h' ? T_HEX : T_BINARY;
                t.len = l;
            } else if (wh > nh) {
                t.type = T_IDENT_H;
                t.len = wh;
            } else {
                t.type = T_IDENT;
                t.len = nh;
                for (size_t k = 0; k < sizeof(keywords) / sizeof(keywords[0]); k++)
                    if (strlen(keywords[k].word) == nh &&
                        memcmp(keywords[k].word, s + i, nh) == 0) {
                        t.type = keywords[k].type;
                        break;
                    }
            }
        } else if ((c == '+' || c == '-' || c == '.' || isdigit((unsigned char)c)) &&
                   (l = number_len(s, n, i, &nt))) {
            t.type = nt;
            t.len = l;
        } else if (c == '\'') {
            l = string_len(s, n, i);
            t.type = l ? T_STRING : T_QUOTE;
            t.len = l ? l : 1;
        } else {
            t.len = 1;
            switch (c) {
            case '=':
                t.type = T_EQ;
                if (i + 1 < n && s[i + 1] == '=')
                    t.len = 2;
                break;
            case '!':
                if (i + 1 < n && s[i + 1] == '=') {
                    t.type = T_NEQ;
                    t.len = 2;
                } else {
                    t.type = T_INVALID;
                }
                break;
            case '<':
                t.type = T_LT;
                if (i + 1 < n && s[i + 1] == '=') {
                    t.type = T_LE;
                    t.len = 2;
                } else if (i + 1 < n && s[i + 1] == '>') {
                    t.type = T_NEQ;
                    t.len = 2;
                }
                break;
            case '>':
                t.type = T_GT;
                if (i + 1 < n && s[i + 1] == '=') {
                    t.type = T_GE;
                    t.len = 2;
                }
                break;
            case ':':
                t.type = T_COLON;
                break;
            case '.':
                t.type = T_DOT;
                break;
            case ',':
                t.type = T_COMMA;
                break;
            case ')':
                t.type = T_RPAREN;
                break;
            case '(':
                t.type = T_LPAREN;
                break;
            case ']':
                t.type = T_RBRACK;
                break;
            case '[':
                t.type = T_LBRACK;
                break;
            case '+':
                t.type = T_PLUS;
                break;
            case '-':
                t.type = T_HYPHEN;
                break;
            case '^':
                t.type = T_POWER;
                break;
            case '/':
                t.type = T_DIVIDE;
                break;
            case '*':
                t.type = T_ASTERISK;
                break;
            default:
                /* One code point, however many bytes it takes. */
                t.type = T_INVALID;
                if ((unsigned char)c >= 0xc0)
                    while (i + t.len < n && ((unsigned char)s[i + t.len] & 0xc0) == 0x80)
                        t.len++;
            }
        }
    }
    ps->cur = t;
    ps->pos = t.off + t.len;
}

static int fail(parser_t *ps, const char *expecting)
{
    ermes_diag_t *d = ps->d;
    size_t off = ps->cur.off, line = 1, col = 0;

    for (size_t k = 0; k < off; k++) {
        if (ps->s[k] == '\n') {
            line++;
            col = 0;
        } else if (((unsigned char)ps->s[k] & 0xc0) != 0x80) {
            col++;
        }
    }
    if (ps->cur.type == T_EOF)
        ermes_diag_set(d, "pattern", "at line %zu:%zu: unexpected end of pattern, expecting %s",
                       line, col, expecting);
    else
        ermes_diag_set(d, "pattern", "at line %zu:%zu: unexpected input '%.*s', expecting %s", line,
                       col, (int)(ps->cur.len > 40 ? 40 : ps->cur.len), ps->s + off, expecting);
    if (d) {
        d->offset = (long)off;
        d->line = (long)line;
        d->column = (long)col + 1;
    }
    return ERMES_EPARSE;
}

static int new_node(parser_t *ps, ermes__pat_kind_t kind, int left, int right, int *out)
{
    ermes__pattern_t *p = ps->p;

    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 16;
        ermes__pat_node_t *nn;
        if (cap > ERMES__PATTERN_MAX_LEN)
            return ERMES_ETOOBIG;
        nn = ermes__realloc(p->nodes, cap * sizeof(*nn));
        if (!nn)
            return ERMES_ENOMEM;
        p->nodes = nn;
        p->cap = cap;
    }
    memset(&p->nodes[p->n], 0, sizeof(p->nodes[0]));
    p->nodes[p->n].kind = kind;
    p->nodes[p->n].left = left;
    p->nodes[p->n].right = right;
    *out = (int)p->n++;
    return 0;
}

static int deeper(parser_t *ps)
{
    if (++ps->depth > ERMES__PATTERN_MAX_DEPTH) {
        ermes_diag_set(ps->d, "pattern", "nested more than %d levels deep",
                       ERMES__PATTERN_MAX_DEPTH);
        return ERMES_ETOOBIG;
    }
    return 0;
}

static int cmp_or(parser_t *ps, int *out);

/* objectType ':' firstPathComponent objectPathComponent* */
static int object_path(parser_t *ps, uint32_t *off, uint32_t *len)
{
    size_t start = ps->cur.off, end;

    if (ps->cur.type != T_IDENT && ps->cur.type != T_IDENT_H)
        return fail(ps, "an object type");
    next(ps);
    if (ps->cur.type != T_COLON)
        return fail(ps, "':'");
    next(ps);
    if (ps->cur.type != T_IDENT && ps->cur.type != T_STRING)
        return fail(ps, "a property name");
    end = ps->cur.off + ps->cur.len;
    next(ps);
    for (;;) {
        if (ps->cur.type == T_DOT) {
            next(ps);
            if (ps->cur.type != T_IDENT && ps->cur.type != T_STRING)
                return fail(ps, "a property name");
        } else if (ps->cur.type == T_LBRACK) {
            next(ps);
            if (ps->cur.type != T_INTPOS && ps->cur.type != T_INTNEG && ps->cur.type != T_ASTERISK)
                return fail(ps, "a list index or '*'");
            next(ps);
            if (ps->cur.type != T_RBRACK)
                return fail(ps, "']'");
        } else {
            break;
        }
        end = ps->cur.off + ps->cur.len;
        next(ps);
    }
    *off = (uint32_t)start;
    *len = (uint32_t)(end - start);
    return 0;
}

static ermes__pat_lit_t literal_of(tok_type_t t, int orderable_only)
{
    switch (t) {
    case T_INTPOS:
    case T_INTNEG:
        return ERMES__LIT_INT;
    case T_FLOATPOS:
    case T_FLOATNEG:
        return ERMES__LIT_FLOAT;
    case T_STRING:
        return ERMES__LIT_STRING;
    case T_BINARY:
        return ERMES__LIT_BINARY;
    case T_HEX:
        return ERMES__LIT_HEX;
    case T_TIMESTAMP:
        return ERMES__LIT_TIMESTAMP;
    case T_BOOL:
        return orderable_only ? ERMES__LIT_NONE : ERMES__LIT_BOOL;
    default:
        return ERMES__LIT_NONE;
    }
}

static int prop_test(parser_t *ps, int *out)
{
    ermes__pat_node_t nd;
    int rc, id;

    memset(&nd, 0, sizeof(nd));
    if (ps->cur.type == T_LPAREN) {
        next(ps);
        if ((rc = deeper(ps)) || (rc = cmp_or(ps, out)))
            return rc;
        ps->depth--;
        if (ps->cur.type != T_RPAREN)
            return fail(ps, "')'");
        next(ps);
        return 0;
    }
    if (ps->cur.type == T_NOT || ps->cur.type == T_EXISTS) {
        if (ps->cur.type == T_NOT) {
            nd.negated = 1;
            next(ps);
            if (ps->cur.type != T_EXISTS)
                return fail(ps, "EXISTS");
        }
        next(ps);
        if ((rc = object_path(ps, &nd.path_off, &nd.path_len)))
            return rc;
        nd.kind = ERMES__PAT_EXISTS;
    } else {
        if ((rc = object_path(ps, &nd.path_off, &nd.path_len)))
            return rc;
        nd.kind = ERMES__PAT_TEST;
        if (ps->cur.type == T_NOT) {
            nd.negated = 1;
            next(ps);
        }
        switch (ps->cur.type) {
        case T_EQ:
            nd.op = ERMES__PAT_EQ;
            break;
        case T_NEQ:
            nd.op = ERMES__PAT_NEQ;
            break;
        case T_LT:
            nd.op = ERMES__PAT_LT;
            break;
        case T_LE:
            nd.op = ERMES__PAT_LE;
            break;
        case T_GT:
            nd.op = ERMES__PAT_GT;
            break;
        case T_GE:
            nd.op = ERMES__PAT_GE;
            break;
        case T_IN:
            nd.op = ERMES__PAT_IN;
            break;
        case T_LIKE:
            nd.op = ERMES__PAT_LIKE;
            break;
        case T_MATCHES:
            nd.op = ERMES__PAT_MATCHES;
            break;
        case T_ISSUBSET:
            nd.op = ERMES__PAT_ISSUBSET;
            break;
        case T_ISSUPERSET:
            nd.op = ERMES__PAT_ISSUPERSET;
            break;
        default:
            return fail(ps, "a comparison operator");
        }
        next(ps);
        if (nd.op == ERMES__PAT_IN) {
            /* setLiteral: '(' ')' | '(' primitiveLiteral (',' primitiveLiteral)* ')' */
            size_t start = ps->cur.off;
            if (ps->cur.type != T_LPAREN)
                return fail(ps, "'('");
            next(ps);
            if (ps->cur.type != T_RPAREN) {
                for (;;) {
                    if (literal_of(ps->cur.type, 0) == ERMES__LIT_NONE)
                        return fail(ps, "a literal");
                    next(ps);
                    if (ps->cur.type == T_RPAREN)
                        break;
                    if (ps->cur.type != T_COMMA)
                        return fail(ps, "',' or ')'");
                    next(ps);
                }
            }
            nd.lit = ERMES__LIT_SET;
            nd.lit_off = (uint32_t)start;
            nd.lit_len = (uint32_t)(ps->cur.off + 1 - start);
        } else {
            int orderable = nd.op >= ERMES__PAT_LT && nd.op <= ERMES__PAT_GE;
            int string_only = nd.op >= ERMES__PAT_LIKE;
            nd.lit = literal_of(ps->cur.type, orderable);
            if (nd.lit == ERMES__LIT_NONE || (string_only && nd.lit != ERMES__LIT_STRING))
                return fail(ps, string_only ? "a string literal" : "a literal");
            nd.lit_off = (uint32_t)ps->cur.off;
            nd.lit_len = (uint32_t)ps->cur.len;
        }
        next(ps);
    }
    if ((rc = new_node(ps, nd.kind, -1, -1, &id)))
        return rc;
    nd.left = nd.right = -1;
    ps->p->nodes[id] = nd;
    *out = id;
    return 0;
}

static int cmp_and(parser_t *ps, int *out)
{
    int rc, l, r;

    if ((rc = prop_test(ps, &l)))
        return rc;
    while (ps->cur.type == T_AND) {
        next(ps);
        if ((rc = prop_test(ps, &r)) || (rc = new_node(ps, ERMES__PAT_CMP_AND, l, r, &l)))
            return rc;
    }
    *out = l;
    return 0;
}

static int cmp_or(parser_t *ps, int *out)
{
    int rc, l, r;

    if ((rc = cmp_and(ps, &l)))
        return rc;
    while (ps->cur.type == T_OR) {
        next(ps);
        if ((rc = cmp_and(ps, &r)) || (rc = new_node(ps, ERMES__PAT_CMP_OR, l, r, &l)))
            return rc;
    }
    *out = l;
    return 0;
}

static int obs_exprs(parser_t *ps, int *out);

#define Q_WITHIN 1u
#define Q_REPEATS 2u
#define Q_STARTSTOP 4u

/* observationExpression: '[' comparison ']' or '(' observations ')', then qualifiers. The
 * OASIS validator rejects a qualifier repeated on one bracketed observation ("Duplicate
 * qualifier type encountered"); on a parenthesised group it lets them be. */
static int obs_expr(parser_t *ps, int *out)
{
    int rc, id, inner, simple = ps->cur.type == T_LBRACK;
    unsigned seen = 0;

    if (ps->cur.type == T_LBRACK) {
        next(ps);
        if ((rc = cmp_or(ps, &inner)))
            return rc;
        if (ps->cur.type != T_RBRACK)
            return fail(ps, "']', AND or OR");
        next(ps);
        if ((rc = new_node(ps, ERMES__PAT_OBS, inner, -1, &id)))
            return rc;
    } else if (ps->cur.type == T_LPAREN) {
        next(ps);
        if ((rc = deeper(ps)) || (rc = obs_exprs(ps, &id)))
            return rc;
        ps->depth--;
        if (ps->cur.type != T_RPAREN)
            return fail(ps, "')'");
        next(ps);
    } else {
        return fail(ps, "'[' (a pattern is made of [observation expressions])");
    }
    for (;;) {
        unsigned q;
        size_t start = ps->cur.off;
        if (ps->cur.type == T_WITHIN) {
            q = Q_WITHIN;
            next(ps);
            if (ps->cur.type != T_INTPOS && ps->cur.type != T_FLOATPOS)
                return fail(ps, "a positive number");
            next(ps);
            if (ps->cur.type != T_SECONDS)
                return fail(ps, "SECONDS");
        } else if (ps->cur.type == T_REPEATS) {
            q = Q_REPEATS;
            next(ps);
            if (ps->cur.type != T_INTPOS)
                return fail(ps, "a positive integer");
            next(ps);
            if (ps->cur.type != T_TIMES)
                return fail(ps, "TIMES");
        } else if (ps->cur.type == T_START) {
            q = Q_STARTSTOP;
            next(ps);
            if (ps->cur.type != T_TIMESTAMP)
                return fail(ps, "a timestamp t'...Z'");
            next(ps);
            if (ps->cur.type != T_STOP)
                return fail(ps, "STOP");
            next(ps);
            if (ps->cur.type != T_TIMESTAMP)
                return fail(ps, "a timestamp t'...Z'");
        } else {
            break;
        }
        if (simple && (seen & q)) {
            ermes_diag_set(ps->d, "pattern", "Duplicate qualifier type encountered: %s",
                           q == Q_WITHIN    ? "WITHIN"
                           : q == Q_REPEATS ? "REPEATS"
                                            : "STARTSTOP");
            if (ps->d)
                ps->d->offset = (long)start;
            return ERMES_EPARSE;
        }
        seen |= q;
        if ((rc = new_node(ps, ERMES__PAT_QUALIFIED, id, -1, &id)))
            return rc;
        ps->p->nodes[id].lit_off = (uint32_t)start;
        ps->p->nodes[id].lit_len = (uint32_t)(ps->cur.off + ps->cur.len - start);
        next(ps);
    }
    *out = id;
    return 0;
}

static int obs_and(parser_t *ps, int *out)
{
    int rc, l, r;

    if ((rc = obs_expr(ps, &l)))
        return rc;
    while (ps->cur.type == T_AND) {
        next(ps);
        if ((rc = obs_expr(ps, &r)) || (rc = new_node(ps, ERMES__PAT_OBS_AND, l, r, &l)))
            return rc;
    }
    *out = l;
    return 0;
}

static int obs_or(parser_t *ps, int *out)
{
    int rc, l, r;

    if ((rc = obs_and(ps, &l)))
        return rc;
    while (ps->cur.type == T_OR) {
        next(ps);
        if ((rc = obs_and(ps, &r)) || (rc = new_node(ps, ERMES__PAT_OBS_OR, l, r, &l)))
            return rc;
    }
    *out = l;
    return 0;
}

static int obs_exprs(parser_t *ps, int *out)
{
    int rc, l, r;

    if ((rc = obs_or(ps, &l)))
        return rc;
    while (ps->cur.type == T_FOLLOWEDBY) {
        next(ps);
        if ((rc = obs_or(ps, &r)) || (rc = new_node(ps, ERMES__PAT_FOLLOWEDBY, l, r, &l)))
            return rc;
    }
    *out = l;
    return 0;
}

/* ---- semantic checks ------------------------------------------------------------------------ */

/* The last two components of an object path: *prev the one before the last (or NULL). The
 * path was accepted by the parser, so re-reading it with the lexer cannot fail. */
static void path_tail(const ermes__pattern_t *p, const ermes__pat_node_t *nd, tok_t *prev,
                      tok_t *last)
{
    parser_t ps;
    tok_t a = {T_EOF, 0, 0}, b = {T_EOF, 0, 0};

    memset(&ps, 0, sizeof(ps));
    ps.s = p->text;
    ps.n = nd->path_off + nd->path_len;
    ps.pos = nd->path_off;
    next(&ps); /* type */
    next(&ps); /* ':' */
    next(&ps);
    while (ps.cur.type != T_EOF) {
        if (ps.cur.type == T_IDENT || ps.cur.type == T_STRING || ps.cur.type == T_ASTERISK ||
            ps.cur.type == T_INTPOS || ps.cur.type == T_INTNEG) {
            a = b;
            b = ps.cur;
        }
        next(&ps);
    }
    *prev = a;
    *last = b;
}

/* A path component's name, unquoted (names in paths have no escapes in practice; an escaped
 * one compares unequal to every hash name, which is what it should). */
static int component_is(const ermes__pattern_t *p, const tok_t *t, const char *name)
{
    const char *s = p->text + t->off;
    size_t n = t->len;

    if (t->type == T_STRING) {
        s++;
        n -= 2;
    }
    return n == strlen(name) && strncasecmp(s, name, n) == 0;
}

/* STIX 2.1 section 10.7 (hashing-algorithm-ov): the value each known algorithm produces. */
static int hash_ok(const char *alg, const char *v, size_t n)
{
    static const struct {
        const char *name;
        size_t hex;
    } fixed[] = {{"MD5", 32},     {"SHA-1", 40},    {"SHA1", 40},
                 {"SHA-256", 64}, {"SHA256", 64},   {"SHA-512", 128},
                 {"SHA512", 128}, {"SHA3-256", 64}, {"SHA3-512", 128}};

    for (size_t k = 0; k < sizeof(fixed) / sizeof(fixed[0]); k++)
        if (!strcasecmp(alg, fixed[k].name)) {
            if (n != fixed[k].hex)
                return 0;
            for (size_t i = 0; i < n; i++)
                if (!isxdigit((unsigned char)v[i]))
                    return 0;
            return 1;
        }
    if (!strcasecmp(alg, "TLSH")) {
        size_t i = 0;
        if (n == 72 && (v[0] == 'T' || v[0] == 't') && v[1] == '1')
            i = 2;
        else if (n != 70)
            return 0;
        for (; i < n; i++)
            if (!isxdigit((unsigned char)v[i]))
                return 0;
        return 1;
    }
    if (!strcasecmp(alg, "SSDEEP")) {
        /* blocksize:hash:hash */
        size_t i = 0, colons = 0;
        for (; i < n; i++) {
            if (v[i] == ':')
                colons++;
            else if (!is_b64(v[i]))
                return 0;
        }
        return colons == 2;
    }
    return 1; /* other algorithms: nothing to check */
}

static int check_hashes(ermes__pattern_t *p, ermes_diag_t *d)
{
    for (size_t i = 0; i < p->n; i++) {
        const ermes__pat_node_t *nd = &p->nodes[i];
        tok_t prev, last;
        char alg[32], val[256];
        size_t an, vn;

        if (nd->kind != ERMES__PAT_TEST || nd->lit != ERMES__LIT_STRING ||
            (nd->op != ERMES__PAT_EQ && nd->op != ERMES__PAT_NEQ))
            continue;
        path_tail(p, nd, &prev, &last);
        if (prev.type == T_EOF || !component_is(p, &prev, "hashes") ||
            (last.type != T_IDENT && last.type != T_STRING))
            continue;
        an = last.type == T_STRING ? last.len - 2 : last.len;
        if (an >= sizeof(alg))
            continue;
        memcpy(alg, p->text + last.off + (last.type == T_STRING), an);
        alg[an] = '\0';
        if (ermes__pattern_string(p, nd->lit_off, nd->lit_len, val, sizeof(val), &vn) ||
            !hash_ok(alg, val, vn)) {
            ermes_diag_set(d, "pattern", "'%.*s' is not a valid %s hash",
                           (int)(nd->lit_len > 80 ? 78 : nd->lit_len - 2),
                           p->text + nd->lit_off + 1, alg);
            if (d)
                d->offset = (long)nd->lit_off;
            return ERMES_EPARSE;
        }
    }
    return 0;
}

int ermes__pattern_parse(const char *text, size_t len, ermes__pattern_t *p, ermes_diag_t *d)
{
    parser_t ps;
    int rc, root;

    memset(p, 0, sizeof(*p));
    p->root = -1;
    if (!text && len)
        return ERMES_EINVAL;
    p->text = text ? text : "";
    p->len = len;
    if (len > ERMES__PATTERN_MAX_LEN) {
        ermes_diag_set(d, "pattern", "longer than %d bytes", ERMES__PATTERN_MAX_LEN);
        return ERMES_ETOOBIG;
    }
    memset(&ps, 0, sizeof(ps));
    ps.p = p;
    ps.s = p->text;
    ps.n = len;
    ps.d = d;
    next(&ps);
    if ((rc = obs_exprs(&ps, &root)))
        return rc;
    if (ps.cur.type != T_EOF)
        return fail(&ps, "the end of the pattern");
    p->root = root;
    return check_hashes(p, d);
}

void ermes__pattern_cleanup(ermes__pattern_t *p)
{
    if (!p)
        return;
    ermes__free(p->nodes);
    p->nodes = NULL;
    p->n = p->cap = 0;
}

int ermes__pattern_string(const ermes__pattern_t *p, uint32_t off, uint32_t len, char *buf,
                          size_t cap, size_t *n)
{
    const char *s = p->text + off + 1, *e = p->text + off + len - 1;
    size_t k = 0;

    if (len < 2)
        return ERMES_EINVAL;
    while (s < e) {
        if (*s == '\\' && s + 1 < e)
            s++;
        if (k + 1 >= cap)
            return ERMES_ETOOBIG;
        buf[k++] = *s++;
    }
    buf[k] = '\0';
    *n = k;
    return 0;
}

/* ---- patterns to indicators ----------------------------------------------------------------- */

/* The object paths ermes can match, and what they become (STIX 2.1 section 9, appendix of
 * SCO properties). ERMES_IND_NONE: an address or a network, the value decides. */
static const struct {
    const char *path;
    ermes_ind_type_t type;
} paths[] = {
    {"ipv4-addr:value", ERMES_IND_NONE},
    {"ipv6-addr:value", ERMES_IND_NONE},
    {"domain-name:value", ERMES_IND_DOMAIN},
    {"url:value", ERMES_IND_URL},
    {"email-addr:value", ERMES_IND_EMAIL},
    {"email-message:from_ref.value", ERMES_IND_EMAIL},
    {"network-traffic:dst_ref.value", ERMES_IND_NONE},
    {"file:hashes.MD5", ERMES_IND_MD5},
    {"file:hashes.'MD5'", ERMES_IND_MD5},
    {"file:hashes.'SHA-1'", ERMES_IND_SHA1},
    {"file:hashes.SHA1", ERMES_IND_SHA1},
    {"file:hashes.'SHA1'", ERMES_IND_SHA1},
    {"file:hashes.'SHA-256'", ERMES_IND_SHA256},
    {"file:hashes.SHA256", ERMES_IND_SHA256},
    {"file:hashes.'SHA256'", ERMES_IND_SHA256},
    {"file:hashes.'SHA-512'", ERMES_IND_SHA512},
    {"file:hashes.SHA512", ERMES_IND_SHA512},
    {"file:hashes.'SHA512'", ERMES_IND_SHA512},
    {"x-ja3:value", ERMES_IND_JA3},
    {"x-ja4:value", ERMES_IND_JA4},
};

static int path_type(const ermes__pattern_t *p, const ermes__pat_node_t *nd, ermes_ind_type_t *type)
{
    const char *s = p->text + nd->path_off;
    size_t n = nd->path_len;

    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++)
        if (strlen(paths[i].path) == n && strncasecmp(paths[i].path, s, n) == 0) {
            *type = paths[i].type;
            return 0;
        }
    return ERMES_EUNSUPPORTED;
}

typedef struct conv {
    const ermes__pattern_t *p;
    ermes__pattern_ind_cb cb;
    void *ctx;
    ermes_diag_t *d;
    int emit; /* 0: the first pass, which only checks */
} conv_t;

static int unsupported(conv_t *c, const ermes__pat_node_t *nd, const char *why)
{
    if (nd && nd->path_len)
        ermes_diag_set(c->d, "pattern", "%s, at \"%.*s\"", why,
                       (int)(nd->path_len > 60 ? 60 : nd->path_len), c->p->text + nd->path_off);
    else
        ermes_diag_set(c->d, "pattern", "%s", why);
    return ERMES_EUNSUPPORTED;
}

static int emit_value(conv_t *c, const ermes__pat_node_t *nd, ermes_ind_type_t type, uint32_t off,
                      uint32_t len, int like)
{
    char v[2048];
    size_t n;

    if (ermes__pattern_string(c->p, off, len, v, sizeof(v), &n))
        return unsupported(c, nd, "a value longer than 2047 bytes");
    if (like) {
        /* domain-name:value LIKE '%.example.org': the name's subdomains, which an ermes
         * domain indicator covers with the name itself. Any other wildcard is not ours. */
        if (n < 3 || v[0] != '%' || v[1] != '.' || strpbrk(v + 2, "%_"))
            return unsupported(c, nd, "only LIKE '%.domain' is an ermes indicator");
        memmove(v, v + 2, n - 1);
        n -= 2;
    }
    if (!n)
        return unsupported(c, nd, "an empty value");
    return c->emit ? c->cb(c->ctx, type, v, n, 0) : 0;
}

static int walk(conv_t *c, int id)
{
    const ermes__pat_node_t *nd = &c->p->nodes[id];
    ermes_ind_type_t type;
    int rc;

    switch (nd->kind) {
    case ERMES__PAT_OBS_OR:
    case ERMES__PAT_CMP_OR:
        if ((rc = walk(c, nd->left)))
            return rc;
        return walk(c, nd->right);
    case ERMES__PAT_OBS:
        return walk(c, nd->left);
    case ERMES__PAT_FOLLOWEDBY:
        return unsupported(c, NULL, "FOLLOWEDBY is not an ermes indicator");
    case ERMES__PAT_OBS_AND:
    case ERMES__PAT_CMP_AND:
        return unsupported(c, NULL, "AND is not supported: only OR-ed comparisons");
    case ERMES__PAT_QUALIFIED:
        return unsupported(c, NULL, "qualifiers (WITHIN, REPEATS, START/STOP) are not supported");
    case ERMES__PAT_EXISTS:
        return unsupported(c, nd, "EXISTS is not an ermes indicator");
    case ERMES__PAT_TEST:
        break;
    }
    if (nd->negated)
        return unsupported(c, nd, "NOT is not an ermes indicator");
    if (path_type(c->p, nd, &type))
        return unsupported(c, nd, "object path is not supported");
    switch (nd->op) {
    case ERMES__PAT_EQ:
        if (nd->lit != ERMES__LIT_STRING)
            return unsupported(c, nd, "only string values are ermes indicators");
        return emit_value(c, nd, type, nd->lit_off, nd->lit_len, 0);
    case ERMES__PAT_IN: {
        /* Each string of the set is one indicator; re-read the set's tokens. */
        parser_t ps;
        memset(&ps, 0, sizeof(ps));
        ps.s = c->p->text;
        ps.n = nd->lit_off + nd->lit_len;
        ps.pos = nd->lit_off;
        next(&ps);
        for (next(&ps); ps.cur.type != T_EOF && ps.cur.type != T_RPAREN; next(&ps)) {
            if (ps.cur.type == T_COMMA)
                continue;
            if (ps.cur.type != T_STRING)
                return unsupported(c, nd, "only string values are ermes indicators");
            if ((rc = emit_value(c, nd, type, (uint32_t)ps.cur.off, (uint32_t)ps.cur.len, 0)))
                return rc;
        }
        return 0;
    }
    case ERMES__PAT_ISSUBSET:
        /* An address inside the network: an ermes CIDR indicator. */
        if (type != ERMES_IND_NONE)
            return unsupported(c, nd, "ISSUBSET is an indicator on addresses only");
        return emit_value(c, nd, ERMES_IND_NONE, nd->lit_off, nd->lit_len, 0);
    case ERMES__PAT_LIKE:
        if (type != ERMES_IND_DOMAIN)
            return unsupported(c, nd, "LIKE is an indicator on domain names only");
        return emit_value(c, nd, type, nd->lit_off, nd->lit_len, 1);
    default:
        return unsupported(c, nd, "only =, IN, ISSUBSET and LIKE '%.domain' are ermes indicators");
    }
}

int ermes__pattern_indicators(const ermes__pattern_t *p, ermes__pattern_ind_cb cb, void *ctx,
                              ermes_diag_t *d)
{
    conv_t c = {p, cb, ctx, d, 0};
    int rc;

    if (p->root < 0)
        return ERMES_EINVAL;
    /* Two passes: nothing reaches cb unless the whole pattern converts. */
    if ((rc = walk(&c, p->root)))
        return rc;
    c.emit = 1;
    return walk(&c, p->root);
}

/* ---- indicators to patterns ----------------------------------------------------------------- */

static int put_quoted(char *buf, size_t cap, size_t *k, const char *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (v[i] == '\'' || v[i] == '\\') {
            if (*k + 1 >= cap)
                return ERMES_ETOOBIG;
            buf[(*k)++] = '\\';
        }
        if (*k + 1 >= cap)
            return ERMES_ETOOBIG;
        buf[(*k)++] = v[i];
    }
    buf[*k] = '\0';
    return 0;
}

static int put(char *buf, size_t cap, size_t *k, const char *s)
{
    size_t n = strlen(s);
    if (*k + n >= cap)
        return ERMES_ETOOBIG;
    memcpy(buf + *k, s, n + 1);
    *k += n;
    return 0;
}

int ermes__pattern_from_indicator(ermes_ind_type_t type, const char *value, size_t len,
                                  unsigned flags, char *buf, size_t cap)
{
    const char *path;
    size_t k = 0;
    int rc;

    if (!cap)
        return ERMES_ETOOBIG;
    switch (type) {
    case ERMES_IND_IPV4:
        path = "ipv4-addr:value";
        break;
    case ERMES_IND_IPV6:
        path = "ipv6-addr:value";
        break;
    case ERMES_IND_CIDR:
        path = memchr(value, ':', len) ? "ipv6-addr:value" : "ipv4-addr:value";
        break;
    case ERMES_IND_DOMAIN:
        path = "domain-name:value";
        break;
    case ERMES_IND_URL:
        path = "url:value";
        break;
    case ERMES_IND_EMAIL:
        path = "email-addr:value";
        break;
    case ERMES_IND_MD5:
        path = "file:hashes.MD5";
        break;
    case ERMES_IND_SHA1:
        path = "file:hashes.'SHA-1'";
        break;
    case ERMES_IND_SHA256:
        path = "file:hashes.'SHA-256'";
        break;
    case ERMES_IND_SHA512:
        path = "file:hashes.'SHA-512'";
        break;
    case ERMES_IND_JA3:
        path = "x-ja3:value";
        break;
    case ERMES_IND_JA4:
        path = "x-ja4:value";
        break;
    default:
        return ERMES_EINVAL;
    }
    if ((rc = put(buf, cap, &k, "[")) || (rc = put(buf, cap, &k, path)) ||
        (rc = put(buf, cap, &k, " = '")) || (rc = put_quoted(buf, cap, &k, value, len)) ||
        (rc = put(buf, cap, &k, "'")))
        return rc;
    if (type == ERMES_IND_DOMAIN && !(flags & ERMES_IND_EXACT)) {
        if ((rc = put(buf, cap, &k, " OR domain-name:value LIKE '%.")) ||
            (rc = put_quoted(buf, cap, &k, value, len)) || (rc = put(buf, cap, &k, "'")))
            return rc;
    }
    return put(buf, cap, &k, "]");
}

/* ---- the detection engine's entry point ------------------------------------------------------ */

typedef struct legacy {
    ermes_stix_value_cb cb;
    void *ctx;
} legacy_t;

static int legacy_cb(void *ctx, ermes_ind_type_t type, const char *value, size_t len,
                     unsigned flags)
{
    legacy_t *l = ctx;
    (void)flags;
    return l->cb(l->ctx, type, value, len);
}

int ermes_stix_pattern_parse(const char *pattern, size_t len, ermes_stix_value_cb add_cb, void *ctx,
                             ermes_diag_t *d)
{
    ermes__pattern_t p;
    legacy_t l = {add_cb, ctx};
    int rc;

    rc = ermes__pattern_parse(pattern, len, &p, d);
    if (rc == ERMES_ETOOBIG)
        rc = ERMES_EPARSE;
    if (rc == 0)
        rc = ermes__pattern_indicators(&p, legacy_cb, &l, d);
    ermes__pattern_cleanup(&p);
    return rc;
}
