/* Delivery status notifications (RFC 3464): what a mail system says became of a message for
 * each of its recipients. */
#ifndef ERMES_MAIL_DSN_H
#define ERMES_MAIL_DSN_H

#include <stddef.h>

#define ERMES_DSN_MAX_RECIPIENTS 16

typedef enum {
    ERMES_DSN_UNKNOWN = 0,
    ERMES_DSN_DELIVERED, /* "delivered", and "relayed" or "expanded": handed on, not refused */
    ERMES_DSN_FAILED,    /* "failed": will not be delivered */
    ERMES_DSN_DELAYED    /* "delayed": still trying */
} ermes__dsn_action_t;

typedef struct ermes__dsn_recipient {
    /* The address ermes sent to, lower case: Original-Recipient's (the ORCPT ermes gives with
     * smtp_dsn: a forwarding system may rewrite Final-Recipient), else Final-Recipient's
     * (rfc822 type); "" when absent */
    char address[320];
    ermes__dsn_action_t action;
    char status[16]; /* the Status field, e.g. "5.1.1"; "" when absent */
} ermes__dsn_recipient_t;

typedef struct ermes__dsn {
    ermes__dsn_recipient_t recipients[ERMES_DSN_MAX_RECIPIENTS];
    size_t n;
    /* Original-Envelope-Id of the per-message block, without angle brackets: the ENVID ermes
     * gave (smtp_dsn: the notification's reference); "" when absent */
    char envid[100];
} ermes__dsn_t;

/* Reads the body of a message/delivery-status part (text, len bytes: header-style fields, the
 * per-message block first, then one block per recipient, blocks separated by empty lines,
 * CRLF or LF). A recipient block without an Action it knows, or without an rfc822 (or utf-8)
 * Final-Recipient, is kept with ERMES_DSN_UNKNOWN or an empty address; blocks past
 * ERMES_DSN_MAX_RECIPIENTS are left out. Never fails: out->n may be 0. */
void ermes__dsn_read(const char *text, size_t len, ermes__dsn_t *out);

#endif
