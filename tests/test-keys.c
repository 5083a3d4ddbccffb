/*
 * test-keys.c: gh_keys.h: first-start creation (modes, race between
 * processes), kids, rotation keeping exactly current + previous (also when
 * two rotations race), the JWKS rendering, and refusal of unsafe key files.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <openssl/pem.h>

#include "gh_crypto.h"
#include "gh_keys.h"
#include "crypto-test.h"

static char *
path_in(const char *dir, const char *name)
{
	char	*p;

	if (asprintf(&p, "%s/%s", dir, name) < 0)
		abort();
	return p;
}

static int
has_kid(const struct gh_keys *k, const char *kid)
{
	size_t	 i;

	for (i = 0; i < gh_keys_count(k); i++)
		if (strcmp(gh_keys_kid(k, i), kid) == 0)
			return 1;
	return 0;
}

static void
test_create(const char *base)
{
	enum { NPROC = 4 };
	struct gh_keys	*k = NULL, *k2 = NULL;
	char		*dir = path_in(base, "keys"), *file;
	char		 kid[GH_KID_LEN], *shared;
	struct stat	 st;
	pid_t		 pid[NPROC];
	int		 i, status, ok;

	file = path_in(dir, GH_KEYS_FILE);
	CHECK(gh_keys_load(dir, 0, &k) == GH_ERR_NOTFOUND,
	    "no keys without GH_KEYS_CREATE");
	CHECK(stat(dir, &st) != 0, "nothing created without the flag");

	/* Race: NPROC processes start at once on an empty directory. */
	shared = mmap(NULL, NPROC * GH_KID_LEN, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		abort();
	memset(shared, 0, NPROC * GH_KID_LEN);
	for (i = 0; i < NPROC; i++) {
		if ((pid[i] = fork()) == 0) {
			struct gh_keys	*ck = NULL;

			int		 rc = 1;

			/* The child frees what it inherited too, so that
			 * valgrind's leak check of the child stays clean. */
			if (gh_keys_load(dir, GH_KEYS_CREATE, &ck) == GH_OK) {
				memcpy(shared + i * GH_KID_LEN,
				    gh_keys_current_kid(ck), GH_KID_LEN);
				rc = 0;
			}
			gh_keys_free(ck);
			free(file);
			free(dir);
			_exit(rc);
		}
	}
	ok = 1;
	for (i = 0; i < NPROC; i++)
		if (waitpid(pid[i], &status, 0) != pid[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			ok = 0;
	CHECK(ok, "racing first starts all succeed");

	CHECK(gh_keys_load(dir, GH_KEYS_CREATE, &k) == GH_OK,
	    "keys load after creation");
	if (k == NULL)
		goto out;
	ok = 1;
	for (i = 0; i < NPROC; i++)
		if (strcmp(shared + i * GH_KID_LEN,
		    gh_keys_current_kid(k)) != 0)
			ok = 0;
	CHECK(ok, "racing first starts agree on one key");
	munmap(shared, NPROC * GH_KID_LEN);

	CHECK(stat(dir, &st) == 0 && (st.st_mode & 0777) == 0700,
	    "keys dir mode 0700");
	CHECK(stat(file, &st) == 0 && (st.st_mode & 0777) == 0600,
	    "key file mode 0600");
	CHECK(gh_keys_count(k) == 1, "one key after first start");
	CHECK(strlen(gh_keys_current_kid(k)) == 22, "kid is 22 chars");
	CHECK(EVP_PKEY_get_base_id(gh_keys_current(k)) == EVP_PKEY_RSA &&
	    EVP_PKEY_get_bits(gh_keys_current(k)) >= 2048, "RSA >= 2048");
	CHECK(gh_keys_kid_of(gh_keys_current(k), kid) == GH_OK &&
	    strcmp(kid, gh_keys_current_kid(k)) == 0,
	    "kid derived from the key");
	CHECK(gh_keys_load(dir, 0, &k2) == GH_OK &&
	    strcmp(gh_keys_current_kid(k2), gh_keys_current_kid(k)) == 0,
	    "second load: same key");
	CHECK(gh_keys_changed(k, dir) == 0, "unchanged file not changed");
out:
	gh_keys_free(k2);
	gh_keys_free(k);
	free(file);
	free(dir);
}

static void
test_rotate(const char *base)
{
	struct gh_keys	*k0 = NULL, *k1 = NULL, *k2 = NULL;
	char		*dir = path_in(base, "rot");
	char		 kid1[GH_KID_LEN], kid2[GH_KID_LEN];

	CHECK(gh_keys_rotate(dir, 0, kid1) == GH_OK,
	    "rotate on an empty directory creates");
	CHECK(gh_keys_load(dir, 0, &k0) == GH_OK && gh_keys_count(k0) == 1 &&
	    strcmp(gh_keys_kid(k0, 0), kid1) == 0, "one key after it");
	CHECK(gh_keys_rotate(dir, 0, kid2) == GH_OK, "rotate");
	CHECK(k0 != NULL && gh_keys_changed(k0, dir) == 1,
	    "rotation is visible to gh_keys_changed");
	CHECK(gh_keys_load(dir, 0, &k1) == GH_OK && gh_keys_count(k1) == 2,
	    "two keys after rotation");
	if (k1 != NULL) {
		CHECK(strcmp(gh_keys_kid(k1, 0), kid2) == 0 &&
		    strcmp(gh_keys_kid(k1, 1), kid1) == 0,
		    "new current, old current now previous");
		CHECK(strcmp(kid1, kid2) != 0, "new key differs");
	}
	CHECK(gh_keys_rotate(dir, 0, kid1) == GH_OK, "rotate again");
	CHECK(gh_keys_load(dir, 0, &k2) == GH_OK && gh_keys_count(k2) == 2,
	    "still two keys");
	if (k2 != NULL && k1 != NULL) {
		CHECK(strcmp(gh_keys_kid(k2, 1), gh_keys_kid(k1, 0)) == 0,
		    "previous is the last current");
		CHECK(!has_kid(k2, gh_keys_kid(k1, 1)),
		    "the oldest key is dropped");
	}
	CHECK(gh_keys_rotate(dir, 1024, NULL) == GH_ERR_INVAL,
	    "rotate refuses a 1024-bit key");
	gh_keys_free(k2);
	gh_keys_free(k1);
	gh_keys_free(k0);
	free(dir);
}

static void
test_rotate_race(const char *base)
{
	char		*dir = path_in(base, "race");
	char		*shared;
	struct gh_keys	*k = NULL;
	pid_t		 pid[2];
	int		 i, status, ok;

	if (gh_keys_rotate(dir, 0, NULL) != GH_OK)
		abort();
	shared = mmap(NULL, 2 * GH_KID_LEN, PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		abort();
	for (i = 0; i < 2; i++)
		if ((pid[i] = fork()) == 0)
			_exit(gh_keys_rotate(dir, 0, shared + i * GH_KID_LEN)
			    == GH_OK ? 0 : 1);
	ok = 1;
	for (i = 0; i < 2; i++)
		if (waitpid(pid[i], &status, 0) != pid[i] ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			ok = 0;
	CHECK(ok, "two racing rotations succeed");
	/* Serialised: the final set is exactly the two new keys, so a token
	 * signed by the first rotation's key still verifies. */
	CHECK(gh_keys_load(dir, 0, &k) == GH_OK && gh_keys_count(k) == 2 &&
	    has_kid(k, shared) && has_kid(k, shared + GH_KID_LEN),
	    "racing rotations keep both new keys");
	munmap(shared, 2 * GH_KID_LEN);
	gh_keys_free(k);
	free(dir);
}

static void
test_jwks(const char *base)
{
	struct gh_keys	*k = NULL;
	json_object	*doc = NULL, *arr, *jwk, *m;
	char		*dir = path_in(base, "rot"), *json = NULL;
	unsigned char	*nbytes = NULL;
	size_t		 i, nlen;
	int		 ok;
	static const char *const members[] = {
		"kty", "kid", "use", "alg", "n", "e"
	};

	if (gh_keys_load(dir, 0, &k) != GH_OK)
		abort();
	CHECK(gh_keys_jwks(k, &json) == GH_OK, "jwks renders");
	doc = json_tokener_parse(json);
	CHECK(doc != NULL && json_object_object_get_ex(doc, "keys", &arr) &&
	    json_object_array_length(arr) == 2, "jwks has two keys");
	if (doc == NULL || !json_object_object_get_ex(doc, "keys", &arr))
		goto out;
	for (i = 0; i < json_object_array_length(arr); i++) {
		jwk = json_object_array_get_idx(arr, i);
		ok = json_object_object_length(jwk) == 6;
		for (size_t j = 0; j < 6; j++)
			if (!json_object_object_get_ex(jwk, members[j], &m) ||
			    !json_object_is_type(m, json_type_string))
				ok = 0;
		CHECK(ok, "jwk %zu has exactly kty kid use alg n e", i);
		if (!ok)
			continue;
		json_object_object_get_ex(jwk, "kty", &m);
		CHECK(strcmp(json_object_get_string(m), "RSA") == 0, "kty");
		json_object_object_get_ex(jwk, "use", &m);
		CHECK(strcmp(json_object_get_string(m), "sig") == 0, "use");
		json_object_object_get_ex(jwk, "alg", &m);
		CHECK(strcmp(json_object_get_string(m), "RS256") == 0, "alg");
		json_object_object_get_ex(jwk, "kid", &m);
		CHECK(strcmp(json_object_get_string(m), gh_keys_kid(k, i)) ==
		    0, "kid in order current, previous");
		json_object_object_get_ex(jwk, "e", &m);
		CHECK(strcmp(json_object_get_string(m), "AQAB") == 0,
		    "e = 65537");
		json_object_object_get_ex(jwk, "n", &m);
		CHECK(gh_b64url_decode(json_object_get_string(m),
		    strlen(json_object_get_string(m)), &nbytes, &nlen) ==
		    GH_OK && nlen == 256 && (nbytes[0] & 0x80),
		    "n is the unpadded 2048-bit modulus");
		free(nbytes);
		nbytes = NULL;
	}
out:
	json_object_put(doc);
	free(json);
	gh_keys_free(k);
	free(dir);
}

static void
test_refusals(const char *base)
{
	struct gh_keys	*k = NULL;
	EVP_PKEY	*small = NULL;
	BIO		*bio = NULL;
	char		*dir = path_in(base, "bad"), *file, *pem;
	long		 len;

	file = path_in(dir, GH_KEYS_FILE);
	if (gh_keys_rotate(dir, 0, NULL) != GH_OK)
		abort();
	chmod(file, 0640);
	CHECK(gh_keys_load(dir, 0, &k) == GH_ERR_CRYPTO,
	    "group-readable key file refused");
	ct_write_file(file, "garbage\n", 8, 0600);
	CHECK(gh_keys_load(dir, GH_KEYS_CREATE, &k) == GH_ERR_CRYPTO,
	    "garbage key file refused, not replaced");

	small = EVP_RSA_gen(1024);
	bio = BIO_new(BIO_s_mem());
	if (small == NULL || bio == NULL || PEM_write_bio_PrivateKey(bio,
	    small, NULL, NULL, 0, NULL, NULL) != 1)
		abort();
	len = BIO_get_mem_data(bio, &pem);
	ct_write_file(file, pem, (size_t)len, 0600);
	CHECK(gh_keys_load(dir, 0, &k) == GH_ERR_CRYPTO,
	    "1024-bit key refused");
	CHECK(gh_keys_generate(1024, &small) == GH_ERR_INVAL,
	    "generate refuses 1024 bits");
	CHECK(k == NULL, "no object on failure");
	BIO_free(bio);
	EVP_PKEY_free(small);
	free(file);
	free(dir);
}

int
main(void)
{
	char	*base = ct_tmpdir("keys");

	test_create(base);
	test_rotate(base);
	test_rotate_race(base);
	test_jwks(base);
	test_refusals(base);
	ct_rmtree(base);
	free(base);
	return ct_done();
}
