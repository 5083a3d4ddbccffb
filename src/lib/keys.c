/*
 * keys.c: the RS256 signing key set of the embedded pool (see gh_keys.h for
 * the on-disk layout and the concurrency rules).  Used by the token issuer
 * (signing), the JWKS route, the admin tool's "keys rotate" and the token
 * verifier in embedded mode (which reads the public halves).
 */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "gh_crypto.h"
#include "gh_keys.h"

#define KEYS_FILE_MAX	(64 * 1024)

struct gh_keys {
	size_t		 n;
	EVP_PKEY	*pkey[GH_KEYS_MAX];
	char		 kid[GH_KEYS_MAX][GH_KID_LEN];
	dev_t		 dev;		/* identity of the file loaded */
	ino_t		 ino;
	off_t		 size;
	struct timespec	 mtime;
};

void
gh_keys_free(struct gh_keys *k)
{
	size_t	 i;

	if (k == NULL)
		return;
	for (i = 0; i < k->n; i++)
		EVP_PKEY_free(k->pkey[i]);
	free(k);
}

enum gh_err
gh_keys_kid_of(EVP_PKEY *pkey, char kid[GH_KID_LEN])
{
	unsigned char	*der = NULL;
	unsigned char	 md[GH_SHA256_LEN];
	int		 len;
	enum gh_err	 err;

	if ((len = i2d_PUBKEY(pkey, &der)) <= 0)
		return GH_ERR_CRYPTO;
	err = gh_sha256(der, (size_t)len, md);
	OPENSSL_free(der);
	if (err != GH_OK)
		return err;
	gh_b64url_encode_buf(md, 16, kid);
	return GH_OK;
}

enum gh_err
gh_keys_generate(int bits, EVP_PKEY **out)
{
	EVP_PKEY	*pkey;

	if (bits == 0)
		bits = GH_KEYS_BITS;
	if (bits < GH_KEYS_MIN_BITS || bits > 16384)
		return GH_ERR_INVAL;
	if ((pkey = EVP_RSA_gen((unsigned)bits)) == NULL)
		return GH_ERR_CRYPTO;
	*out = pkey;
	return GH_OK;
}

static int
key_acceptable(EVP_PKEY *pkey)
{
	return EVP_PKEY_get_base_id(pkey) == EVP_PKEY_RSA &&
	    EVP_PKEY_get_bits(pkey) >= GH_KEYS_MIN_BITS;
}

static char *
keys_path(const char *dir, const char *name)
{
	char	*p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

/* Parses the PEM text of a key file into k (which must be empty). */
static enum gh_err
keys_parse(const char *pem, size_t len, struct gh_keys *k)
{
	BIO		*bio = NULL;
	EVP_PKEY	*pkey;
	enum gh_err	 err = GH_ERR_CRYPTO;

	if ((bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		err = GH_ERR_NOMEM;
		goto out;
	}
	while (k->n < GH_KEYS_MAX &&
	    (pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)) != NULL) {
		k->pkey[k->n++] = pkey;
		if (!key_acceptable(pkey) ||
		    gh_keys_kid_of(pkey, k->kid[k->n - 1]) != GH_OK)
			goto out;
	}
	/* The loop ends on end of data; that leaves a harmless error queued. */
	ERR_clear_error();
	if (k->n == 0)
		goto out;
	err = GH_OK;
out:
	BIO_free(bio);
	return err;
}

/* Reads and parses the key file; GH_ERR_NOTFOUND if it does not exist. */
static enum gh_err
keys_read(const char *dir, struct gh_keys **out)
{
	struct gh_keys	*k = NULL;
	struct stat	 st;
	char		*path = NULL, *pem = NULL;
	size_t		 len = 0;
	int		 fd = -1;
	ssize_t		 r;
	enum gh_err	 err;

	if ((path = keys_path(dir, GH_KEYS_FILE)) == NULL ||
	    (k = calloc(1, sizeof(*k))) == NULL) {
		err = GH_ERR_NOMEM;
		goto out;
	}
	/* Open once and fstat that descriptor, so the identity we remember
	 * is the identity of the bytes we parsed. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		err = errno == ENOENT ? GH_ERR_NOTFOUND : GH_ERR_IO;
		goto out;
	}
	err = GH_ERR_CRYPTO;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 077) != 0)
		goto out;
	err = GH_ERR_TOOLARGE;
	if (st.st_size > KEYS_FILE_MAX)
		goto out;
	if ((pem = malloc((size_t)st.st_size + 1)) == NULL) {
		err = GH_ERR_NOMEM;
		goto out;
	}
	err = GH_ERR_IO;
	while (len < (size_t)st.st_size) {
		r = read(fd, pem + len, (size_t)st.st_size - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			goto out;
		len += (size_t)r;
	}
	if ((err = keys_parse(pem, len, k)) != GH_OK)
		goto out;
	k->dev = st.st_dev;
	k->ino = st.st_ino;
	k->size = st.st_size;
	k->mtime = st.st_mtim;
	*out = k;
	k = NULL;
out:
	if (fd >= 0)
		close(fd);
	if (pem != NULL)
		OPENSSL_clear_free(pem, len + 1);
	gh_keys_free(k);
	free(path);
	return err;
}

/* Takes the directory's lock file (exclusive); returns the fd or -1. */
static int
keys_lock(const char *dir)
{
	char	*path;
	int	 fd;

	if ((path = keys_path(dir, GH_KEYS_LOCK)) == NULL)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	free(path);
	if (fd < 0)
		return -1;
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			close(fd);
			return -1;
		}
	}
	return fd;
}

static void
keys_unlock(int fd)
{
	if (fd >= 0)
		close(fd);	/* releases the flock */
}

/* Writes keys[0..n) as the key file, replacing any existing one. */
static enum gh_err
keys_write(const char *dir, EVP_PKEY **keys, size_t n)
{
	BIO		*bio = NULL;
	char		*path = NULL;
	char		*data;
	long		 len;
	size_t		 i;
	enum gh_err	 err = GH_ERR_CRYPTO;

	if ((path = keys_path(dir, GH_KEYS_FILE)) == NULL ||
	    (bio = BIO_new(BIO_s_secmem())) == NULL) {
		err = GH_ERR_NOMEM;
		goto out;
	}
	for (i = 0; i < n; i++)
		if (PEM_write_bio_PrivateKey(bio, keys[i], NULL, NULL, 0,
		    NULL, NULL) != 1)
			goto out;
	if ((len = BIO_get_mem_data(bio, &data)) <= 0)
		goto out;
	err = gh_file_publish(path, data, (size_t)len, 1);
out:
	BIO_free(bio);
	free(path);
	return err;
}

enum gh_err
gh_keys_load(const char *dir, int flags, struct gh_keys **out)
{
	EVP_PKEY	*fresh = NULL;
	int		 lock = -1;
	enum gh_err	 err;

	err = keys_read(dir, out);
	if (err != GH_ERR_NOTFOUND || !(flags & GH_KEYS_CREATE))
		return err;

	/* First start: under the lock, check again, then create. */
	if ((err = gh_mkdir_private(dir)) != GH_OK)
		goto out;
	if ((lock = keys_lock(dir)) < 0) {
		err = GH_ERR_IO;
		goto out;
	}
	err = keys_read(dir, out);
	if (err != GH_ERR_NOTFOUND)
		goto out;
	if ((err = gh_keys_generate(0, &fresh)) != GH_OK)
		goto out;
	if ((err = keys_write(dir, &fresh, 1)) != GH_OK)
		goto out;
	err = keys_read(dir, out);
out:
	keys_unlock(lock);
	EVP_PKEY_free(fresh);
	return err;
}

enum gh_err
gh_keys_rotate(const char *dir, int bits, char kid[GH_KID_LEN])
{
	struct gh_keys	*old = NULL;
	EVP_PKEY	*set[GH_KEYS_MAX] = { NULL };
	EVP_PKEY	*fresh = NULL;
	size_t		 n = 0;
	int		 lock = -1;
	enum gh_err	 err;

	if ((err = gh_mkdir_private(dir)) != GH_OK)
		goto out;
	if ((lock = keys_lock(dir)) < 0) {
		err = GH_ERR_IO;
		goto out;
	}
	err = keys_read(dir, &old);
	if (err != GH_OK && err != GH_ERR_NOTFOUND)
		goto out;
	if ((err = gh_keys_generate(bits, &fresh)) != GH_OK)
		goto out;
	set[n++] = fresh;
	if (old != NULL)
		set[n++] = old->pkey[0];
	if ((err = keys_write(dir, set, n)) != GH_OK)
		goto out;
	if (kid != NULL)
		err = gh_keys_kid_of(fresh, kid);
out:
	keys_unlock(lock);
	EVP_PKEY_free(fresh);
	gh_keys_free(old);
	return err;
}

size_t
gh_keys_count(const struct gh_keys *k)
{
	return k->n;
}

const char *
gh_keys_kid(const struct gh_keys *k, size_t i)
{
	return i < k->n ? k->kid[i] : NULL;
}

EVP_PKEY *
gh_keys_pkey(const struct gh_keys *k, size_t i)
{
	return i < k->n ? k->pkey[i] : NULL;
}

EVP_PKEY *
gh_keys_current(const struct gh_keys *k)
{
	return k->pkey[0];
}

const char *
gh_keys_current_kid(const struct gh_keys *k)
{
	return k->kid[0];
}

int
gh_keys_changed(const struct gh_keys *k, const char *dir)
{
	struct stat	 st;
	char		*path;
	int		 rc;

	if ((path = keys_path(dir, GH_KEYS_FILE)) == NULL)
		return 1;
	rc = stat(path, &st);
	free(path);
	if (rc != 0)
		return 1;
	return st.st_dev != k->dev || st.st_ino != k->ino ||
	    st.st_size != k->size ||
	    st.st_mtim.tv_sec != k->mtime.tv_sec ||
	    st.st_mtim.tv_nsec != k->mtime.tv_nsec;
}

static enum gh_err
bn_b64url(const BIGNUM *bn, char **out)
{
	unsigned char	*buf = NULL;
	int		 len;
	enum gh_err	 err;

	len = BN_num_bytes(bn);
	if (len <= 0)
		return GH_ERR_CRYPTO;
	if ((buf = malloc((size_t)len)) == NULL)
		return GH_ERR_NOMEM;
	if (BN_bn2bin(bn, buf) != len)
		err = GH_ERR_CRYPTO;
	else
		err = gh_b64url_encode(buf, (size_t)len, out);
	free(buf);
	return err;
}

enum gh_err
gh_keys_rsa_jwk_ne(EVP_PKEY *pkey, char **n, char **e)
{
	BIGNUM		*bn_n = NULL, *bn_e = NULL;
	char		*sn = NULL, *se = NULL;
	enum gh_err	 err = GH_ERR_CRYPTO;

	if (EVP_PKEY_get_base_id(pkey) != EVP_PKEY_RSA ||
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_N, &bn_n) != 1 ||
	    EVP_PKEY_get_bn_param(pkey, OSSL_PKEY_PARAM_RSA_E, &bn_e) != 1)
		goto out;
	if ((err = bn_b64url(bn_n, &sn)) != GH_OK ||
	    (err = bn_b64url(bn_e, &se)) != GH_OK)
		goto out;
	*n = sn;
	*e = se;
	sn = se = NULL;
out:
	free(se);
	free(sn);
	BN_free(bn_e);
	BN_free(bn_n);
	return err;
}

enum gh_err
gh_keys_jwks(const struct gh_keys *k, char **json)
{
	json_object	*root = NULL, *arr, *jwk;
	char		*n = NULL, *e = NULL, *s;
	size_t		 i;
	enum gh_err	 err = GH_ERR_NOMEM;

	if ((root = json_object_new_object()) == NULL ||
	    (arr = json_object_new_array()) == NULL)
		goto out;
	json_object_object_add(root, "keys", arr);
	for (i = 0; i < k->n; i++) {
		if ((err = gh_keys_rsa_jwk_ne(k->pkey[i], &n, &e)) != GH_OK)
			goto out;
		err = GH_ERR_NOMEM;
		if ((jwk = json_object_new_object()) == NULL)
			goto out;
		json_object_array_add(arr, jwk);
		if (json_object_object_add(jwk, "kty",
		    json_object_new_string("RSA")) != 0 ||
		    json_object_object_add(jwk, "kid",
		    json_object_new_string(k->kid[i])) != 0 ||
		    json_object_object_add(jwk, "use",
		    json_object_new_string("sig")) != 0 ||
		    json_object_object_add(jwk, "alg",
		    json_object_new_string("RS256")) != 0 ||
		    json_object_object_add(jwk, "n",
		    json_object_new_string(n)) != 0 ||
		    json_object_object_add(jwk, "e",
		    json_object_new_string(e)) != 0)
			goto out;
		free(n);
		free(e);
		n = e = NULL;
	}
	s = strdup(json_object_to_json_string_ext(root,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	if (s == NULL)
		goto out;
	*json = s;
	err = GH_OK;
out:
	free(e);
	free(n);
	json_object_put(root);
	return err;
}
