#include "core/secret_box.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ermes/error.h"

#define KEY_TEXT (2 * ERMES__SECRET_KEY_BYTES + 1) /* hex digits and a newline */

static int key_path(const char *data_dir, const char *name, char *out, size_t cap)
{
    int n = snprintf(out, cap, "%s/%s", data_dir, name);
    return n > 0 && (size_t)n < cap ? 0 : ERMES_EINVAL;
}

static int read_key(const char *path, unsigned char key[ERMES__SECRET_KEY_BYTES])
{
    char text[KEY_TEXT + 1];
    size_t bin_len = 0;
    ssize_t n;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0)
        return errno == ENOENT ? ERMES_ENOTFOUND : ERMES_EIO;
    n = read(fd, text, sizeof(text));
    close(fd);
    if (n < 2 * ERMES__SECRET_KEY_BYTES || n > KEY_TEXT)
        return ERMES_EPARSE;
    if (sodium_hex2bin(key, ERMES__SECRET_KEY_BYTES, text, (size_t)n, "\n", &bin_len, NULL) != 0 ||
        bin_len != ERMES__SECRET_KEY_BYTES) {
        sodium_memzero(text, sizeof(text));
        return ERMES_EPARSE;
    }
    sodium_memzero(text, sizeof(text));
    return 0;
}

/* A new key, written to a temporary file and linked into place: link() fails when another
 * process made the file first, and then its key is the one. */
static int make_key(const char *data_dir, const char *path)
{
    unsigned char key[ERMES__SECRET_KEY_BYTES];
    char tmp[4096], text[KEY_TEXT + 1];
    int fd, rc = 0;

    if (key_path(data_dir, ERMES__SECRET_KEY_FILE ".XXXXXX", tmp, sizeof(tmp)))
        return ERMES_EINVAL;
    fd = mkstemp(tmp);
    if (fd < 0)
        return ERMES_EIO;
    randombytes_buf(key, sizeof(key));
    sodium_bin2hex(text, sizeof(text), key, sizeof(key));
    sodium_memzero(key, sizeof(key));
    text[2 * ERMES__SECRET_KEY_BYTES] = '\n';
    if (fchmod(fd, 0600) != 0 || write(fd, text, KEY_TEXT) != KEY_TEXT || fsync(fd) != 0)
        rc = ERMES_EIO;
    sodium_memzero(text, sizeof(text));
    close(fd);
    if (rc == 0 && link(tmp, path) != 0 && errno != EEXIST)
        rc = ERMES_EIO;
    unlink(tmp);
    return rc;
}

int ermes__secret_key_load(const char *data_dir, int create,
                           unsigned char key[ERMES__SECRET_KEY_BYTES])
{
    char path[4096];
    int rc;

    if (!data_dir || key_path(data_dir, ERMES__SECRET_KEY_FILE, path, sizeof(path)))
        return ERMES_EINVAL;
    rc = read_key(path, key);
    if (rc != ERMES_ENOTFOUND || !create)
        return rc;
    if ((rc = make_key(data_dir, path)))
        return rc;
    return read_key(path, key);
}

int ermes__secret_is_sealed(const char *text)
{
    return text && !strncmp(text, ERMES__SECRET_PREFIX, sizeof(ERMES__SECRET_PREFIX) - 1);
}

int ermes__secret_seal(const unsigned char key[ERMES__SECRET_KEY_BYTES], const char *plain,
                       char **out)
{
    size_t len = strlen(plain), box = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + len;
    size_t b64 = sodium_base64_ENCODED_LEN(box, sodium_base64_VARIANT_ORIGINAL);
    size_t pre = sizeof(ERMES__SECRET_PREFIX) - 1;
    unsigned char *buf;
    char *text;

    *out = NULL;
    if (len > ERMES__SECRET_MAX)
        return ERMES_EINVAL;
    buf = malloc(box);
    text = malloc(pre + b64);
    if (!buf || !text) {
        free(buf);
        free(text);
        return ERMES_ENOMEM;
    }
    randombytes_buf(buf, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(buf + crypto_secretbox_NONCEBYTES, (const unsigned char *)plain, len, buf,
                          key);
    memcpy(text, ERMES__SECRET_PREFIX, pre);
    sodium_bin2base64(text + pre, b64, buf, box, sodium_base64_VARIANT_ORIGINAL);
    free(buf);
    *out = text;
    return 0;
}

int ermes__secret_open(const unsigned char key[ERMES__SECRET_KEY_BYTES], const char *sealed,
                       char *out, size_t cap)
{
    unsigned char buf[crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + ERMES__SECRET_MAX];
    size_t pre = sizeof(ERMES__SECRET_PREFIX) - 1, len = 0, plain;
    const char *b64;

    if (!ermes__secret_is_sealed(sealed))
        return ERMES_EPARSE;
    b64 = sealed + pre;
    if (sodium_base642bin(buf, sizeof(buf), b64, strlen(b64), NULL, &len, NULL,
                          sodium_base64_VARIANT_ORIGINAL) != 0 ||
        len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
        return ERMES_EPARSE;
    plain = len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    if (plain + 1 > cap)
        return ERMES_ETOOBIG;
    if (crypto_secretbox_open_easy((unsigned char *)out, buf + crypto_secretbox_NONCEBYTES,
                                   len - crypto_secretbox_NONCEBYTES, buf, key) != 0) {
        sodium_memzero(out, cap);
        return ERMES_EPARSE;
    }
    out[plain] = '\0';
    /* A secret is text of one line: a NUL inside would cut it short unseen. */
    if (memchr(out, '\0', plain)) {
        sodium_memzero(out, cap);
        return ERMES_EPARSE;
    }
    return 0;
}
