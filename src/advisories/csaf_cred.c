/* Credentials for another CSAF provider, checked (src/advisories/csaf_cred.h). */
#include "advisories/csaf_cred.h"

#include <gnutls/gnutls.h>
#include <gnutls/pkcs12.h>
#include <gnutls/x509.h>
#include <jansson.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/secret_box.h"
#include "core/strbuf.h"
#include "core/url.h"

/* RFC 9110 token characters. */
static int tchar(unsigned char ch)
{
    return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
           (ch && strchr("!#$%&'*+-.^_`|~", ch));
}

static int pem_ok(const char *pem)
{
    size_t n = strlen(pem);

    if (strncmp(pem, "-----BEGIN ", 11) != 0)
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)pem[i] < 0x20 && pem[i] != '\n' && pem[i] != '\r')
            return 0;
    return 1;
}

int ermes__csaf_cred_build(const char *url, const char *const *headers, size_t n, const char *cert,
                           const char *key, ermes__csaf_cred_t *out, ermes_diag_t *d)
{
    char with_scheme[1100];
    json_t *arr = NULL;
    size_t names = 0, total = 0;
    int rc = ERMES_EINVAL;

    memset(out, 0, sizeof(*out));
    if (!url || !*url || strlen(url) > 1000 || strpbrk(url, " \t\r\n")) {
        ermes_diag_set(d, "url", "the provider: a domain or an http(s) URL");
        return ERMES_EINVAL;
    }
    snprintf(with_scheme, sizeof(with_scheme), "%s%s", strstr(url, "://") ? "" : "https://", url);
    if ((strncmp(with_scheme, "https://", 8) && strncmp(with_scheme, "http://", 7)) ||
        ermes__url_origin(NULL, with_scheme, out->origin, sizeof(out->origin))) {
        ermes_diag_set(d, "url", "the provider: a domain or an http(s) URL");
        return ERMES_EINVAL;
    }
    if (n > ERMES_CSAF_CRED_HEADERS_MAX) {
        ermes_diag_set(d, "headers", "at most %d header lines", ERMES_CSAF_CRED_HEADERS_MAX);
        return ERMES_EINVAL;
    }
    if (!n && !cert && !key) {
        ermes_diag_set(d, "headers", "give header lines, a client certificate and key, or both");
        return ERMES_EINVAL;
    }
    if (!cert != !key) {
        ermes_diag_set(d, cert ? "client_key" : "client_cert",
                       "a client certificate and its key go together");
        return ERMES_EINVAL;
    }
    /* A chain of real certificates runs to kilobytes; the key is sealed, within a sealed
     * secret's cap. Said apart from the form, so that an API caller gets a 413. */
    if (cert && strlen(cert) > ERMES_CSAF_CRED_CERT_MAX) {
        ermes_diag_set(d, "client_cert", "at most %d bytes", ERMES_CSAF_CRED_CERT_MAX);
        return ERMES_ETOOBIG;
    }
    if (key && strlen(key) > ERMES_CSAF_CRED_KEY_MAX) {
        ermes_diag_set(d, "client_key", "at most %d bytes", ERMES_CSAF_CRED_KEY_MAX);
        return ERMES_ETOOBIG;
    }
    if ((cert && !pem_ok(cert)) || (key && !pem_ok(key))) {
        ermes_diag_set(d, cert && !pem_ok(cert) ? "client_cert" : "client_key",
                       "PEM text (-----BEGIN ...)");
        return ERMES_EINVAL;
    }
    if (n && !(arr = json_array()))
        return ERMES_ENOMEM;
    for (size_t i = 0; i < n; i++) {
        const char *h = headers[i], *colon = h ? strchr(h, ':') : NULL;
        size_t nl;
        if (!colon || colon == h) {
            ermes_diag_set(d, "headers", "line %zu is not \"Name: value\"", i + 1);
            goto out;
        }
        for (const char *p = h; p < colon; p++)
            if (!tchar((unsigned char)*p)) {
                ermes_diag_set(d, "headers", "line %zu: the name is not an HTTP token", i + 1);
                goto out;
            }
        for (const char *p = colon + 1; *p; p++)
            if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f) {
                ermes_diag_set(d, "headers", "line %zu: a control character in the value", i + 1);
                goto out;
            }
        total += strlen(h) + 4;
        nl = (size_t)(colon - h);
        if (total > ERMES__SECRET_MAX - 64 || names + nl + 2 >= sizeof(out->header_names)) {
            ermes_diag_set(d, "headers", "longer than %d bytes in all", ERMES__SECRET_MAX - 64);
            goto out;
        }
        names += (size_t)snprintf(out->header_names + names, sizeof(out->header_names) - names,
                                  "%s%.*s", names ? "," : "", (int)nl, h);
        if (json_array_append_new(arr, json_string(h))) {
            rc = ERMES_ENOMEM;
            goto out;
        }
    }
    if (arr && !(out->headers = json_dumps(arr, JSON_COMPACT))) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    if ((cert && !(out->client_cert = ermes__strdup(cert))) ||
        (key && !(out->client_key = ermes__strdup(key)))) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    rc = 0;
out:
    json_decref(arr);
    if (rc)
        ermes__csaf_cred_clear(out);
    return rc;
}

void ermes__csaf_cred_pem_free(char *pem)
{
    if (!pem)
        return;
    sodium_memzero(pem, strlen(pem));
    ermes__free(pem);
}

/* A GnuTLS datum as a new C string (PEM is text). */
static char *datum_text(const gnutls_datum_t *dt)
{
    return ermes__strndup((const char *)dt->data, dt->size);
}

int ermes__csaf_cred_p12(const unsigned char *p12, size_t len, const char *passphrase, char **cert,
                         char **key, ermes_diag_t *d)
{
    gnutls_pkcs12_t pkcs12 = NULL;
    gnutls_x509_privkey_t pk = NULL;
    gnutls_x509_crt_t *chain = NULL, *extra = NULL;
    gnutls_x509_crl_t crl = NULL;
    unsigned int nchain = 0, nextra = 0;
    gnutls_datum_t in, out = {NULL, 0};
    ermes__strbuf_t pem;
    const char *pass = passphrase && *passphrase ? passphrase : NULL;
    char *k = NULL, *c = NULL;
    int rc = ERMES_EINVAL, r;

    ermes__strbuf_init(&pem, ERMES_CSAF_CRED_CERT_MAX);
    if (len > ERMES_CSAF_CRED_P12_MAX) {
        ermes_diag_set(d, "client_p12", "at most %d bytes", ERMES_CSAF_CRED_P12_MAX);
        return ERMES_ETOOBIG;
    }
    if (!p12 || !len || len > UINT32_MAX) {
        ermes_diag_set(d, "client_p12", "a PKCS#12 file (.p12, .pfx)");
        return ERMES_EINVAL;
    }
    in.data = (unsigned char *)p12;
    in.size = (unsigned int)len;
    if (gnutls_pkcs12_init(&pkcs12) < 0)
        return ERMES_ENOMEM;
    /* DER as made by openssl pkcs12 and certtool --to-p12 --outder; PEM as certtool's
     * default. */
    if (gnutls_pkcs12_import(pkcs12, &in, GNUTLS_X509_FMT_DER, 0) < 0) {
        gnutls_pkcs12_deinit(pkcs12);
        if (gnutls_pkcs12_init(&pkcs12) < 0)
            return ERMES_ENOMEM;
        if (gnutls_pkcs12_import(pkcs12, &in, GNUTLS_X509_FMT_PEM, 0) < 0) {
            ermes_diag_set(d, "client_p12", "not a PKCS#12 file (.p12, .pfx)");
            goto out;
        }
    }
    /* The MAC is the passphrase's check (RFC 7292 section 5): a wrong one fails it. A file
     * without a MAC is judged by its decryption below. */
    r = gnutls_pkcs12_verify_mac(pkcs12, pass);
    if (r == GNUTLS_E_MAC_VERIFY_FAILED) {
        ermes_diag_set(d, "p12_passphrase", "the passphrase does not open the PKCS#12 file");
        goto out;
    }
    r = gnutls_pkcs12_simple_parse(pkcs12, pass, &pk, &chain, &nchain, &extra, &nextra, &crl,
                                   GNUTLS_PKCS12_SP_INCLUDE_SELF_SIGNED);
    if (r == GNUTLS_E_DECRYPTION_FAILED || r == GNUTLS_E_MAC_VERIFY_FAILED) {
        ermes_diag_set(d, "p12_passphrase", "the passphrase does not open the PKCS#12 file");
        goto out;
    }
    if (r == GNUTLS_E_MEMORY_ERROR) {
        rc = ERMES_ENOMEM;
        goto out;
    }
    if (r < 0 || !pk || !nchain) {
        ermes_diag_set(d, "client_p12", "no private key with its certificate in the PKCS#12 file%s",
                       r < 0 ? " (or the passphrase does not open it)" : "");
        goto out;
    }
    /* The certificate first, then the issuers the file holds (RFC 8446 section 4.4.2). */
    for (unsigned int i = 0; i < nchain; i++) {
        if (gnutls_x509_crt_export2(chain[i], GNUTLS_X509_FMT_PEM, &out) < 0) {
            ermes_diag_set(d, "client_p12", "a certificate in the PKCS#12 file cannot be read");
            goto out;
        }
        r = ermes__strbuf_add(&pem, out.data, out.size);
        gnutls_free(out.data);
        out.data = NULL;
        if (r == ERMES_ETOOBIG) {
            ermes_diag_set(d, "client_p12", "its certificate chain is longer than %d bytes",
                           ERMES_CSAF_CRED_CERT_MAX);
            goto out;
        }
        if (r) {
            rc = r;
            goto out;
        }
    }
    if (gnutls_x509_privkey_export2_pkcs8(pk, GNUTLS_X509_FMT_PEM, NULL, GNUTLS_PKCS_PLAIN, &out) <
        0) {
        ermes_diag_set(d, "client_p12", "its private key cannot be read");
        goto out;
    }
    if (out.size > ERMES_CSAF_CRED_KEY_MAX) {
        ermes_diag_set(d, "client_p12", "its private key is longer than %d bytes",
                       ERMES_CSAF_CRED_KEY_MAX);
        goto out;
    }
    if (!(k = datum_text(&out)) || !(c = ermes__strbuf_take(&pem, NULL))) {
        ermes__csaf_cred_pem_free(k);
        rc = ERMES_ENOMEM;
        goto out;
    }
    *cert = c;
    *key = k;
    rc = 0;
out:
    if (out.data) {
        sodium_memzero(out.data, out.size);
        gnutls_free(out.data);
    }
    ermes__strbuf_cleanup(&pem);
    for (unsigned int i = 0; i < nchain; i++)
        gnutls_x509_crt_deinit(chain[i]);
    gnutls_free(chain);
    for (unsigned int i = 0; i < nextra; i++)
        gnutls_x509_crt_deinit(extra[i]);
    gnutls_free(extra);
    if (crl)
        gnutls_x509_crl_deinit(crl);
    if (pk)
        gnutls_x509_privkey_deinit(pk);
    gnutls_pkcs12_deinit(pkcs12);
    return rc;
}

int ermes__csaf_cred_p12_base64(const char *b64, const char *passphrase, char **cert, char **key,
                                ermes_diag_t *d)
{
    size_t n = b64 ? strlen(b64) : 0, len = 0, chars = 0;
    unsigned char *bin;
    int rc;

    /* Base64 of more than the cap's bytes is over it: said before decoding. */
    for (size_t i = 0; i < n; i++)
        chars += !strchr(" \t\r\n", b64[i]);
    if (chars / 4 * 3 > (size_t)ERMES_CSAF_CRED_P12_MAX + 3) {
        ermes_diag_set(d, "client_p12", "at most %d bytes", ERMES_CSAF_CRED_P12_MAX);
        return ERMES_ETOOBIG;
    }
    if (!(bin = ermes__malloc(n / 4 * 3 + 4)))
        return ERMES_ENOMEM;
    if (!n || sodium_base642bin(bin, n / 4 * 3 + 4, b64, n, " \t\r\n", &len, NULL,
                                sodium_base64_VARIANT_ORIGINAL) != 0) {
        ermes_diag_set(d, "client_p12", "base64 of a PKCS#12 file (.p12, .pfx)");
        ermes__free(bin);
        return ERMES_EINVAL;
    }
    rc = ermes__csaf_cred_p12(bin, len, passphrase, cert, key, d);
    ermes__free(bin);
    return rc;
}
