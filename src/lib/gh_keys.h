/*
 * gh_keys.h: the embedded user pool's RS256 signing keys.
 *
 * The keys directory (configuration key keys_dir, default var/keys, mode
 * 0700) holds one file, GH_KEYS_FILE (mode 0600): the PKCS#8 PEM private
 * keys of the current key and, after a rotation, the previous one, in that
 * order.  Keeping both in one file makes a rotation a single rename(2): a
 * reader sees either the old set or the new one, never a mix.  Tokens signed
 * by the previous key keep verifying until the next rotation drops it.
 *
 * First start and rotation are serialised between processes by flock(2) on
 * GH_KEYS_LOCK in the same directory, so two processes starting at once agree
 * on one key and two rotations never lose a key.
 *
 * Each key's kid is base64url of the first 16 bytes of the SHA-256 of its
 * DER SubjectPublicKeyInfo (22 characters): stable, derived from the public
 * key alone, and safe in URLs and file names.
 *
 * Ownership: gh_keys_load gives a struct gh_keys the caller frees with
 * gh_keys_free (NULL ok).  Kids and EVP_PKEYs returned by the accessors are
 * borrowed from it.  Not thread-safe (one object per thread).
 */
#ifndef GH_KEYS_H
#define GH_KEYS_H

#include <stddef.h>

#include <openssl/evp.h>

#include "gh_err.h"

#define GH_KEYS_FILE		"signing-keys.pem"
#define GH_KEYS_LOCK		".lock"
#define GH_KEYS_BITS		2048	/* size of keys we create */
#define GH_KEYS_MIN_BITS	2048	/* smallest RSA key we accept anywhere */
#define GH_KEYS_MAX		2	/* current + previous */
#define GH_KID_LEN		23	/* 22 characters + NUL */

enum gh_keys_flags {
	GH_KEYS_CREATE = 0x01	/* create the directory and a key if missing */
};

struct gh_keys;

/*
 * Loads the keys in dir.  Without GH_KEYS_CREATE a missing file is
 * GH_ERR_NOTFOUND.  A key file readable by group or others, a key that is
 * not RSA or smaller than GH_KEYS_MIN_BITS, or an unparsable file is
 * GH_ERR_CRYPTO.
 */
enum gh_err	 gh_keys_load(const char *dir, int flags, struct gh_keys **out);
void		 gh_keys_free(struct gh_keys *k);

/*
 * Makes a new current key (bits: 0 for GH_KEYS_BITS, else >= GH_KEYS_MIN_BITS),
 * keeps the old current as previous and drops anything older, atomically.
 * Creates the directory and file if missing.  If kid is not NULL it gets the
 * new current key's kid.
 */
enum gh_err	 gh_keys_rotate(const char *dir, int bits, char kid[GH_KID_LEN]);

/* Number of keys held: 1 or 2.  Index 0 is current, 1 previous. */
size_t		 gh_keys_count(const struct gh_keys *k);
const char	*gh_keys_kid(const struct gh_keys *k, size_t i);
EVP_PKEY	*gh_keys_pkey(const struct gh_keys *k, size_t i);

/* The current (signing) key and its kid. */
EVP_PKEY	*gh_keys_current(const struct gh_keys *k);
const char	*gh_keys_current_kid(const struct gh_keys *k);

/*
 * The JWKS document of current + previous, as served at
 * /idp/{userPoolId}/.well-known/jwks.json:
 * {"keys":[{"kty":"RSA","kid":...,"use":"sig","alg":"RS256","n":...,"e":...}]}
 * (malloc'd string).
 */
enum gh_err	 gh_keys_jwks(const struct gh_keys *k, char **json);

/*
 * 1 if the key file in dir is no longer the one k was loaded from (another
 * inode, size or mtime, or it vanished), else 0.  One stat(2).
 */
int		 gh_keys_changed(const struct gh_keys *k, const char *dir);

/* The kid of any public or private key (see above). */
enum gh_err	 gh_keys_kid_of(EVP_PKEY *pkey, char kid[GH_KID_LEN]);

/* A fresh RSA key of bits (0: GH_KEYS_BITS); *out freed with EVP_PKEY_free. */
enum gh_err	 gh_keys_generate(int bits, EVP_PKEY **out);

/*
 * The modulus and exponent of an RSA key as unpadded big-endian base64url,
 * the JWK "n" and "e" members (malloc'd strings).
 */
enum gh_err	 gh_keys_rsa_jwk_ne(EVP_PKEY *pkey, char **n, char **e);

#endif /* GH_KEYS_H */
