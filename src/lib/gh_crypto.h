/*
 * gh_crypto.h: the small cryptographic toolbox of the gatehouse library.
 *
 * Random bytes and identifiers from OpenSSL's CSPRNG (failing closed: a
 * CSPRNG failure is GH_ERR_CRYPTO, never a weaker fallback), strict base64url
 * and hex codecs, SHA-256, HMAC-SHA256, a constant-time compare, AES-256-GCM
 * sealing of small byte strings, and the race-safe creation of secret key
 * files.  Everything here is stateless and thread-safe.
 *
 * Ownership: functions that return a char ** or unsigned char ** output
 * allocate it with malloc(); the caller frees it with free().  On failure the
 * outputs are left untouched (see gh_err.h for the allocation policy).
 * Fixed-size outputs (buffers sized by the GH_*_LEN constants) are written by
 * the caller-provided buffer and always NUL-terminated when text.
 */
#ifndef GH_CRYPTO_H
#define GH_CRYPTO_H

#include <stddef.h>

#include "gh_err.h"

#define GH_SHA256_LEN		32	/* raw digest bytes */
#define GH_SHA256_HEX_LEN	65	/* hex digest + NUL */
#define GH_UUID_LEN		37	/* "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx" + NUL */
#define GH_CODE6_LEN		7	/* six digits + NUL */
#define GH_RANDOM_ID_LEN	44	/* base64url of 32 bytes (43) + NUL */
#define GH_SECRET_KEY_LEN	32	/* AES-256 / HMAC key bytes */

/* Fills buf with len bytes from the CSPRNG.  GH_ERR_CRYPTO if it fails. */
enum gh_err	 gh_random_bytes(void *buf, size_t len);

/*
 * Base64url (RFC 4648 section 5) without padding, as JWTs use it.
 * gh_b64url_enclen: characters needed for len bytes (no NUL).
 * gh_b64url_encode_buf: writes gh_b64url_enclen(len) characters and a NUL
 * into out, which must hold gh_b64url_enclen(len) + 1 bytes.
 * gh_b64url_encode: the same into a malloc'd string.
 */
size_t		 gh_b64url_enclen(size_t len);
void		 gh_b64url_encode_buf(const void *data, size_t len, char *out);
enum gh_err	 gh_b64url_encode(const void *data, size_t len, char **out);

/*
 * Strict decoding: only A-Z a-z 0-9 - _, no padding, no whitespace, a length
 * that is not 1 mod 4, and zero unused trailing bits (so every byte string has
 * exactly one accepted encoding).  Anything else is GH_ERR_INVAL.
 * gh_b64url_declen: the decoded size of a well-formed input of slen chars.
 * gh_b64url_decode_buf: decodes into out (cap bytes); GH_ERR_TOOLARGE if the
 * result would not fit.  *outlen gets the decoded length.
 * gh_b64url_decode: the same into a malloc'd buffer (with one extra NUL byte
 * after the data, not counted in *outlen, so text can be used as a string).
 */
size_t		 gh_b64url_declen(size_t slen);
enum gh_err	 gh_b64url_decode_buf(const char *s, size_t slen,
		    unsigned char *out, size_t cap, size_t *outlen);
enum gh_err	 gh_b64url_decode(const char *s, size_t slen,
		    unsigned char **out, size_t *outlen);

/*
 * Lower-case hex.  gh_hex_encode writes 2 * len characters and a NUL into out.
 * gh_hex_decode accepts upper and lower case, needs an even length and exactly
 * cap = slen / 2 bytes of room, else GH_ERR_INVAL.
 */
void		 gh_hex_encode(const void *data, size_t len, char *out);
/* The value of one hex digit (either case), or -1 if c is not one. */
int		 gh_hex_digit(int c);
enum gh_err	 gh_hex_decode(const char *s, size_t slen, unsigned char *out,
		    size_t cap);

/* SHA-256 of data, raw (GH_SHA256_LEN bytes) or hex (GH_SHA256_HEX_LEN). */
enum gh_err	 gh_sha256(const void *data, size_t len,
		    unsigned char out[GH_SHA256_LEN]);
enum gh_err	 gh_sha256_hex(const void *data, size_t len,
		    char out[GH_SHA256_HEX_LEN]);

/* HMAC-SHA256 of msg under key. */
enum gh_err	 gh_hmac_sha256(const void *key, size_t keylen,
		    const void *msg, size_t msglen,
		    unsigned char out[GH_SHA256_LEN]);

/* 1 if the len bytes at a and b are equal, else 0; time depends on len only. */
int		 gh_ct_equal(const void *a, const void *b, size_t len);

/*
 * Constant-time comparison of two NUL-terminated strings of possibly
 * different lengths: 1 if equal.  Time depends on the length of a (the
 * secret/expected side) only, never on where they first differ.
 */
int		 gh_ct_streq(const char *a, const char *b);

/* A random (version 4) UUID in its canonical lower-case form. */
enum gh_err	 gh_uuid_v4(char out[GH_UUID_LEN]);

/* Six random decimal digits, uniform (rejection sampling, no modulo bias). */
enum gh_err	 gh_random_code6(char out[GH_CODE6_LEN]);

/* 256 random bits as 43 base64url characters (opaque tokens, session ids). */
enum gh_err	 gh_random_id(char out[GH_RANDOM_ID_LEN]);

/*
 * AES-256-GCM.  gh_aead_seal encrypts pt (ptlen bytes, may be 0) under key
 * with a fresh random 96-bit nonce and the associated data ad (adlen bytes,
 * may be NULL/0), and returns base64url(nonce | ciphertext | 16-byte tag)
 * in *out (malloc'd).  gh_aead_open reverses it; any change to the sealed
 * string, the key or the associated data is GH_ERR_CRYPTO, a malformed string
 * is GH_ERR_INVAL; *pt is malloc'd with a NUL after the *ptlen bytes.
 */
enum gh_err	 gh_aead_seal(const unsigned char key[GH_SECRET_KEY_LEN],
		    const void *pt, size_t ptlen, const void *ad, size_t adlen,
		    char **out);
enum gh_err	 gh_aead_open(const unsigned char key[GH_SECRET_KEY_LEN],
		    const char *sealed, const void *ad, size_t adlen,
		    unsigned char **pt, size_t *ptlen);

/*
 * Loads the GH_SECRET_KEY_LEN-byte secret in file path, creating it from the
 * CSPRNG if it does not exist.  The parent directory is created mode 0700 if
 * missing (one level only); the file is created mode 0600.  Creation is
 * race-safe between processes: the key is written to a private temporary
 * file and published with link(2), which never overwrites, so every racing
 * process ends up reading the one winning key.  A file of the wrong size,
 * not a regular file, or readable/writable by group or others is refused
 * (GH_ERR_CRYPTO) rather than trusted.
 */
enum gh_err	 gh_secret_key_load(const char *path,
		    unsigned char key[GH_SECRET_KEY_LEN]);

/*
 * Helpers shared with keys.c (file plumbing, exported for the library's own
 * use).  gh_mkdir_private creates dir with mode 0700 if missing (EEXIST is
 * fine; an existing directory's mode is left alone).  gh_file_publish writes
 * len bytes to a temporary file beside path (mode 0600, fsync'd) and then
 * either link(2)s it to path (replace == 0: GH_ERR_CONFLICT if path exists)
 * or rename(2)s it over path (replace == 1).
 */
enum gh_err	 gh_mkdir_private(const char *dir);
enum gh_err	 gh_file_publish(const char *path, const void *data, size_t len,
		    int replace);

/* Reads a whole regular file of at most max bytes (+ a NUL); malloc'd. */
enum gh_err	 gh_file_read(const char *path, size_t max, char **out,
		    size_t *outlen);

#endif /* GH_CRYPTO_H */
