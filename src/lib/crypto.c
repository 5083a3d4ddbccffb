/*
 * crypto.c: random values, strict codecs, digests, AEAD and secret key
 * files (see gh_crypto.h).  Every primitive comes from OpenSSL 3; nothing
 * here keeps state, so it is safe from any thread.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "gh_crypto.h"

#define GCM_NONCE_LEN	12
#define GCM_TAG_LEN	16

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Decoding table: 0..63 for alphabet characters, XX for anything else. */
#define XX 0xff
static const unsigned char b64url_value[256] = {
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, 62, XX, XX,
	52, 53, 54, 55, 56, 57, 58, 59, 60, 61, XX, XX, XX, XX, XX, XX,
	XX, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
	15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, XX, XX, XX, XX, 63,
	XX, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
	41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
	XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
};
#undef XX

enum gh_err
gh_random_bytes(void *buf, size_t len)
{
	unsigned char	*p = buf;
	int		 chunk;

	/* RAND_bytes takes an int: feed it in bounded pieces. */
	while (len > 0) {
		chunk = len > INT_MAX ? INT_MAX : (int)len;
		if (RAND_bytes(p, chunk) != 1)
			return GH_ERR_CRYPTO;
		p += chunk;
		len -= (size_t)chunk;
	}
	return GH_OK;
}

size_t
gh_b64url_enclen(size_t len)
{
	return len / 3 * 4 + (len % 3 == 0 ? 0 : len % 3 + 1);
}

void
gh_b64url_encode_buf(const void *data, size_t len, char *out)
{
	const unsigned char	*p = data;
	size_t			 i;
	uint32_t		 v;

	for (i = 0; i + 3 <= len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*out++ = b64url_alphabet[v >> 18 & 63];
		*out++ = b64url_alphabet[v >> 12 & 63];
		*out++ = b64url_alphabet[v >> 6 & 63];
		*out++ = b64url_alphabet[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)p[i] << 16;
		*out++ = b64url_alphabet[v >> 18 & 63];
		*out++ = b64url_alphabet[v >> 12 & 63];
	} else if (len - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		*out++ = b64url_alphabet[v >> 18 & 63];
		*out++ = b64url_alphabet[v >> 12 & 63];
		*out++ = b64url_alphabet[v >> 6 & 63];
	}
	*out = '\0';
}

enum gh_err
gh_b64url_encode(const void *data, size_t len, char **out)
{
	char	*s;

	if (len > (SIZE_MAX - 4) / 4 * 3)
		return GH_ERR_TOOLARGE;
	if ((s = malloc(gh_b64url_enclen(len) + 1)) == NULL)
		return GH_ERR_NOMEM;
	gh_b64url_encode_buf(data, len, s);
	*out = s;
	return GH_OK;
}

size_t
gh_b64url_declen(size_t slen)
{
	return slen / 4 * 3 + (slen % 4 == 0 ? 0 : slen % 4 - 1);
}

enum gh_err
gh_b64url_decode_buf(const char *s, size_t slen, unsigned char *out,
    size_t cap, size_t *outlen)
{
	const unsigned char	*p = (const unsigned char *)s;
	size_t			 i, o = 0, need;
	uint32_t		 v;
	unsigned char		 a, b, c, d;

	if (slen % 4 == 1)
		return GH_ERR_INVAL;
	need = gh_b64url_declen(slen);
	if (need > cap)
		return GH_ERR_TOOLARGE;

	for (i = 0; i + 4 <= slen; i += 4) {
		a = b64url_value[p[i]];
		b = b64url_value[p[i + 1]];
		c = b64url_value[p[i + 2]];
		d = b64url_value[p[i + 3]];
		if ((a | b | c | d) & 0xc0)
			return GH_ERR_INVAL;
		v = (uint32_t)a << 18 | (uint32_t)b << 12 |
		    (uint32_t)c << 6 | d;
		out[o++] = v >> 16 & 0xff;
		out[o++] = v >> 8 & 0xff;
		out[o++] = v & 0xff;
	}
	if (slen - i == 2) {
		a = b64url_value[p[i]];
		b = b64url_value[p[i + 1]];
		/* Four unused low bits of b must be zero (canonical form). */
		if ((a | b) & 0xc0 || (b & 0x0f) != 0)
			return GH_ERR_INVAL;
		out[o++] = (unsigned char)(a << 2 | b >> 4);
	} else if (slen - i == 3) {
		a = b64url_value[p[i]];
		b = b64url_value[p[i + 1]];
		c = b64url_value[p[i + 2]];
		if ((a | b | c) & 0xc0 || (c & 0x03) != 0)
			return GH_ERR_INVAL;
		out[o++] = (unsigned char)(a << 2 | b >> 4);
		out[o++] = (unsigned char)((b & 0x0f) << 4 | c >> 2);
	}
	*outlen = o;
	return GH_OK;
}

enum gh_err
gh_b64url_decode(const char *s, size_t slen, unsigned char **out,
    size_t *outlen)
{
	unsigned char	*buf = NULL;
	size_t		 n, len;
	enum gh_err	 err;

	if (slen % 4 == 1)
		return GH_ERR_INVAL;
	n = gh_b64url_declen(slen);
	if ((buf = malloc(n + 1)) == NULL)
		return GH_ERR_NOMEM;
	if ((err = gh_b64url_decode_buf(s, slen, buf, n, &len)) != GH_OK) {
		free(buf);
		return err;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return GH_OK;
}

void
gh_hex_encode(const void *data, size_t len, char *out)
{
	static const char	 digits[] = "0123456789abcdef";
	const unsigned char	*p = data;
	size_t			 i;

	for (i = 0; i < len; i++) {
		*out++ = digits[p[i] >> 4];
		*out++ = digits[p[i] & 0x0f];
	}
	*out = '\0';
}

int
gh_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

enum gh_err
gh_hex_decode(const char *s, size_t slen, unsigned char *out, size_t cap)
{
	size_t	 i;
	int	 hi, lo;

	if (slen % 2 != 0 || slen / 2 != cap)
		return GH_ERR_INVAL;
	for (i = 0; i < cap; i++) {
		hi = gh_hex_digit((unsigned char)s[2 * i]);
		lo = gh_hex_digit((unsigned char)s[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return GH_ERR_INVAL;
		out[i] = (unsigned char)(hi << 4 | lo);
	}
	return GH_OK;
}

enum gh_err
gh_sha256(const void *data, size_t len, unsigned char out[GH_SHA256_LEN])
{
	unsigned int	 mdlen = 0;

	if (EVP_Digest(data, len, out, &mdlen, EVP_sha256(), NULL) != 1 ||
	    mdlen != GH_SHA256_LEN)
		return GH_ERR_CRYPTO;
	return GH_OK;
}

enum gh_err
gh_sha256_hex(const void *data, size_t len, char out[GH_SHA256_HEX_LEN])
{
	unsigned char	 md[GH_SHA256_LEN];
	enum gh_err	 err;

	if ((err = gh_sha256(data, len, md)) != GH_OK)
		return err;
	gh_hex_encode(md, sizeof(md), out);
	return GH_OK;
}

enum gh_err
gh_hmac_sha256(const void *key, size_t keylen, const void *msg,
    size_t msglen, unsigned char out[GH_SHA256_LEN])
{
	unsigned int		 mdlen = 0;
	static const unsigned char empty[1];

	if (keylen > INT_MAX)
		return GH_ERR_INVAL;
	/* HMAC() treats a NULL key as "reuse the context": never pass one. */
	if (key == NULL || keylen == 0)
		key = empty;
	if (HMAC(EVP_sha256(), key, (int)keylen, msg == NULL ? empty : msg,
	    msglen, out, &mdlen) == NULL || mdlen != GH_SHA256_LEN)
		return GH_ERR_CRYPTO;
	return GH_OK;
}

/*
 * Eight bytes at a time (CRYPTO_memcmp goes byte by byte: ~7 k instructions
 * for a 1 KB token): every word is read and OR-ed in, the empty asm keeps the
 * compiler from reasoning about the running difference, so no early exit.
 */
int
gh_ct_equal(const void *a, const void *b, size_t len)
{
	const unsigned char	*x = a, *y = b;
	uint64_t		 d = 0, p, q;
	size_t			 i = 0;

	for (; len - i >= 8; i += 8) {
		memcpy(&p, x + i, 8);
		memcpy(&q, y + i, 8);
		d |= p ^ q;
		__asm__("" : "+r"(d));
	}
	for (; i < len; i++) {
		d |= (uint64_t)(x[i] ^ y[i]);
		__asm__("" : "+r"(d));
	}
	return (int)(((d | (0 - d)) >> 63) ^ 1);
}

int
gh_ct_streq(const char *a, const char *b)
{
	size_t		 alen = strlen(a), blen = strlen(b), i;
	unsigned char	 diff = 0;

	/* Walk a's length; read b only inside its bounds. */
	for (i = 0; i < alen; i++)
		diff |= (unsigned char)a[i] ^
		    (unsigned char)(i < blen ? b[i] : 0);
	return (diff == 0) & (alen == blen);
}

enum gh_err
gh_uuid_v4(char out[GH_UUID_LEN])
{
	unsigned char	 u[16];
	char		 hex[33];
	enum gh_err	 err;

	if ((err = gh_random_bytes(u, sizeof(u))) != GH_OK)
		return err;
	u[6] = (u[6] & 0x0f) | 0x40;	/* version 4 */
	u[8] = (u[8] & 0x3f) | 0x80;	/* variant 10xx */
	gh_hex_encode(u, sizeof(u), hex);
	memcpy(out, hex, 8);
	out[8] = '-';
	memcpy(out + 9, hex + 8, 4);
	out[13] = '-';
	memcpy(out + 14, hex + 12, 4);
	out[18] = '-';
	memcpy(out + 19, hex + 16, 4);
	out[23] = '-';
	memcpy(out + 24, hex + 20, 12);
	out[36] = '\0';
	return GH_OK;
}

enum gh_err
gh_random_code6(char out[GH_CODE6_LEN])
{
	/* The largest multiple of 10^6 below 2^32: values at or above it
	 * are drawn again, so every code has the same probability. */
	const uint32_t	 limit = UINT32_MAX - UINT32_MAX % 1000000u;
	uint32_t	 v;
	unsigned char	 b[4];
	enum gh_err	 err;

	do {
		if ((err = gh_random_bytes(b, sizeof(b))) != GH_OK)
			return err;
		v = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
		    (uint32_t)b[2] << 8 | b[3];
	} while (v >= limit);
	snprintf(out, GH_CODE6_LEN, "%06u", (unsigned)(v % 1000000u));
	return GH_OK;
}

enum gh_err
gh_random_id(char out[GH_RANDOM_ID_LEN])
{
	unsigned char	 b[32];
	enum gh_err	 err;

	if ((err = gh_random_bytes(b, sizeof(b))) != GH_OK)
		return err;
	gh_b64url_encode_buf(b, sizeof(b), out);
	OPENSSL_cleanse(b, sizeof(b));
	return GH_OK;
}

enum gh_err
gh_aead_seal(const unsigned char key[GH_SECRET_KEY_LEN], const void *pt,
    size_t ptlen, const void *ad, size_t adlen, char **out)
{
	EVP_CIPHER_CTX	*ctx = NULL;
	unsigned char	*buf = NULL;
	size_t		 total;
	int		 len, fin;
	enum gh_err	 err = GH_ERR_CRYPTO;

	if (ptlen > INT_MAX - GCM_NONCE_LEN - GCM_TAG_LEN || adlen > INT_MAX)
		return GH_ERR_TOOLARGE;
	total = GCM_NONCE_LEN + ptlen + GCM_TAG_LEN;
	if ((buf = malloc(total)) == NULL) {
		err = GH_ERR_NOMEM;
		goto out;
	}
	if ((err = gh_random_bytes(buf, GCM_NONCE_LEN)) != GH_OK)
		goto out;
	err = GH_ERR_CRYPTO;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto out;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, buf) != 1)
		goto out;
	if (adlen > 0 &&
	    EVP_EncryptUpdate(ctx, NULL, &len, ad, (int)adlen) != 1)
		goto out;
	len = 0;
	if (ptlen > 0 && EVP_EncryptUpdate(ctx, buf + GCM_NONCE_LEN, &len,
	    pt, (int)ptlen) != 1)
		goto out;
	if (EVP_EncryptFinal_ex(ctx, buf + GCM_NONCE_LEN + len, &fin) != 1 ||
	    (size_t)(len + fin) != ptlen)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, GCM_TAG_LEN,
	    buf + GCM_NONCE_LEN + ptlen) != 1)
		goto out;
	err = gh_b64url_encode(buf, total, out);
out:
	EVP_CIPHER_CTX_free(ctx);
	if (buf != NULL)
		OPENSSL_clear_free(buf, total);
	return err;
}

enum gh_err
gh_aead_open(const unsigned char key[GH_SECRET_KEY_LEN], const char *sealed,
    const void *ad, size_t adlen, unsigned char **pt, size_t *ptlen)
{
	EVP_CIPHER_CTX	*ctx = NULL;
	unsigned char	*raw = NULL, *plain = NULL;
	size_t		 rawlen = 0, clen = 0;
	int		 len = 0, fin = 0;
	enum gh_err	 err;

	if (adlen > INT_MAX)
		return GH_ERR_TOOLARGE;
	if ((err = gh_b64url_decode(sealed, strlen(sealed), &raw,
	    &rawlen)) != GH_OK)
		goto out;
	err = GH_ERR_INVAL;
	if (rawlen < GCM_NONCE_LEN + GCM_TAG_LEN ||
	    rawlen - GCM_NONCE_LEN - GCM_TAG_LEN > INT_MAX)
		goto out;
	clen = rawlen - GCM_NONCE_LEN - GCM_TAG_LEN;
	if ((plain = malloc(clen + 1)) == NULL) {
		err = GH_ERR_NOMEM;
		goto out;
	}
	err = GH_ERR_CRYPTO;
	if ((ctx = EVP_CIPHER_CTX_new()) == NULL)
		goto out;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, raw) != 1)
		goto out;
	if (adlen > 0 &&
	    EVP_DecryptUpdate(ctx, NULL, &len, ad, (int)adlen) != 1)
		goto out;
	len = 0;
	if (clen > 0 && EVP_DecryptUpdate(ctx, plain, &len,
	    raw + GCM_NONCE_LEN, (int)clen) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, GCM_TAG_LEN,
	    raw + GCM_NONCE_LEN + clen) != 1)
		goto out;
	/* The tag is checked here: any tampering fails. */
	if (EVP_DecryptFinal_ex(ctx, plain + len, &fin) != 1 ||
	    (size_t)(len + fin) != clen)
		goto out;
	plain[clen] = '\0';
	*pt = plain;
	*ptlen = clen;
	plain = NULL;
	err = GH_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (plain != NULL)
		OPENSSL_clear_free(plain, clen + 1);
	free(raw);
	return err;
}

enum gh_err
gh_mkdir_private(const char *dir)
{
	struct stat	 st;

	if (mkdir(dir, 0700) == 0)
		return GH_OK;
	if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return GH_OK;
	return GH_ERR_IO;
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char	*p = data;
	ssize_t		 n;

	while (len > 0) {
		n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

enum gh_err
gh_file_publish(const char *path, const void *data, size_t len, int replace)
{
	char		*tmp = NULL;
	int		 fd = -1;
	enum gh_err	 err = GH_ERR_IO;

	if (asprintf(&tmp, "%s.tmp.XXXXXX", path) < 0) {
		tmp = NULL;
		err = GH_ERR_NOMEM;
		goto out;
	}
	/* mkstemp creates with O_EXCL and mode 0600. */
	if ((fd = mkstemp(tmp)) < 0) {
		free(tmp);
		tmp = NULL;
		goto out;
	}
	if (fchmod(fd, 0600) != 0 || write_all(fd, data, len) != 0 ||
	    fsync(fd) != 0)
		goto out;
	if (close(fd) != 0) {
		fd = -1;
		goto out;
	}
	fd = -1;
	if (replace) {
		if (rename(tmp, path) != 0)
			goto out;
		free(tmp);
		tmp = NULL;	/* nothing left to unlink */
	} else if (link(tmp, path) != 0) {
		err = errno == EEXIST ? GH_ERR_CONFLICT : GH_ERR_IO;
		goto out;
	}
	err = GH_OK;
out:
	if (fd >= 0)
		close(fd);
	if (tmp != NULL) {
		unlink(tmp);
		free(tmp);
	}
	return err;
}

enum gh_err
gh_file_read(const char *path, size_t max, char **out, size_t *outlen)
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd = -1;
	enum gh_err	 err = GH_ERR_IO;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		err = errno == ENOENT ? GH_ERR_NOTFOUND : GH_ERR_IO;
		goto out;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))
		goto out;
	if ((size_t)st.st_size > max) {
		err = GH_ERR_TOOLARGE;
		goto out;
	}
	if ((buf = malloc((size_t)st.st_size + 1)) == NULL) {
		err = GH_ERR_NOMEM;
		goto out;
	}
	while (got < (size_t)st.st_size) {
		n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			goto out;
		got += (size_t)n;
	}
	buf[got] = '\0';
	*out = buf;
	*outlen = got;
	buf = NULL;
	err = GH_OK;
out:
	if (buf != NULL)
		OPENSSL_clear_free(buf, (size_t)st.st_size + 1);
	if (fd >= 0)
		close(fd);
	return err;
}

static enum gh_err
secret_key_read(const char *path, unsigned char key[GH_SECRET_KEY_LEN])
{
	struct stat	 st;
	char		*buf = NULL;
	size_t		 len = 0;
	enum gh_err	 err;

	if ((err = gh_file_read(path, 4096, &buf, &len)) != GH_OK)
		return err;
	err = GH_ERR_CRYPTO;
	if (stat(path, &st) != 0 || (st.st_mode & 077) != 0 ||
	    len != GH_SECRET_KEY_LEN)
		goto out;
	memcpy(key, buf, GH_SECRET_KEY_LEN);
	err = GH_OK;
out:
	OPENSSL_clear_free(buf, len + 1);
	return err;
}

static enum gh_err
parent_mkdir(const char *path)
{
	char		*dir;
	char		*slash;
	enum gh_err	 err = GH_OK;

	if ((dir = strdup(path)) == NULL)
		return GH_ERR_NOMEM;
	if ((slash = strrchr(dir, '/')) != NULL && slash != dir) {
		*slash = '\0';
		err = gh_mkdir_private(dir);
	}
	free(dir);
	return err;
}

enum gh_err
gh_secret_key_load(const char *path, unsigned char key[GH_SECRET_KEY_LEN])
{
	unsigned char	 fresh[GH_SECRET_KEY_LEN];
	enum gh_err	 err;

	err = secret_key_read(path, key);
	if (err != GH_ERR_NOTFOUND)
		return err;
	if ((err = parent_mkdir(path)) != GH_OK)
		return err;
	if ((err = gh_random_bytes(fresh, sizeof(fresh))) != GH_OK)
		return err;
	err = gh_file_publish(path, fresh, sizeof(fresh), 0);
	OPENSSL_cleanse(fresh, sizeof(fresh));
	/* GH_ERR_CONFLICT: another process won the race; use its key. */
	if (err != GH_OK && err != GH_ERR_CONFLICT)
		return err;
	return secret_key_read(path, key);
}
