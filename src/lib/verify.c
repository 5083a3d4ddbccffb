/*
 * verify.c: the one token verifier (see gh_verify.h for the rules).
 *
 * Deliberately not libjwt: Debian 12's libjwt 1.10 trusts the header's alg
 * (an HS256 token keyed with the RSA public key PEM passes), checks no
 * claims, and re-parses the PEM on every call.  Here the algorithm is fixed,
 * the keys are parsed once, and every claim is checked.
 *
 * Cost per token: two small base64url decodes into buffers owned by the
 * verifier, two json-c parses with one reused tokener, a linear kid lookup
 * among at most GH_VERIFY_MAX_KEYS keys, and one EVP_DigestVerify.  The
 * signature is checked before the payload is parsed, so a forged token costs
 * no more than one RSA verify and never reaches the claim code.
 *
 * A token seen again (a client sends the same id token on every request)
 * skips all of that: the last TCACHE_N tokens that passed every check are
 * kept with their claims, found by their exact bytes (compared in full), for
 * the same token_use only, while the key set is the one they were verified
 * under, and only while exp, iat and nbf still hold at the new now.  Failures
 * are never cached.
 */
#include <sys/stat.h>

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <json-c/json.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "gh_crypto.h"
#include "gh_curl.h"
#include "gh_keys.h"
#include "gh_verify.h"

#define GH_VERIFY_MAX_KEYS	16		/* keys kept from one JWKS */
#define MAX_KID			128		/* bytes of a kid */
#define MAX_HEADER		1024		/* decoded header bytes */
#define MAX_SIG			1024		/* RSA up to 8192 bits */
#define MAX_JWKS		(256 * 1024)	/* bytes of a JWKS document */
#define FIRST_FETCH_MS		5000		/* retry while we have no key */
#define HCACHE_N		4		/* header segments remembered */
#define HCACHE_SEG		256		/* longest one remembered */
#define TCACHE_N		8		/* verified tokens remembered */
#define TCACHE_TOK		2048		/* longest token remembered */

struct vkey {
	char		 kid[MAX_KID + 1];
	EVP_PKEY	*pkey;		/* public key only */
	EVP_PKEY_CTX	*vctx;		/* RS256 verify context, made on use */
};

/*
 * A header segment (its exact base64url text) that passed check_header and
 * named a trusted key.  Tokens of one issuer and key carry byte-identical
 * headers, so this skips decoding and parsing them again: the same bytes
 * can only give the same verdict.  Emptied whenever the key set changes.
 */
struct hcache {
	char		 seg[HCACHE_SEG];
	size_t		 len;		/* 0: empty slot */
	size_t		 key;		/* index into keys[] */
};

/*
 * A token (its exact bytes) that passed every check, with its verified
 * claims and the time-dependent claims to check again on each use.  Only
 * successes are kept, only for the key set they were verified under
 * (nloads), and an entry is only used for the same token_use; its claims
 * are shared read-only with the callers it was handed to.
 */
struct tcache {
	char		 tok[TCACHE_TOK];
	size_t		 len;		/* 0: empty slot */
	uint64_t	 hash;		/* of tok, to skip most comparisons */
	enum gh_token_use use;
	unsigned long	 nloads;	/* key set generation it was verified with */
	int64_t		 exp, iat, nbf;
	int		 has_nbf;
	json_object	*claims;	/* one reference held by the cache */
};

struct gh_verifier {
	char		*issuer;
	char		*client_id;
	char		*jwks_url;
	char		*keys_dir;
	char		*keys_file;	/* keys_dir/GH_KEYS_FILE */
	int		 leeway;
	long		 refetch_ms;
	long		 reload_ms;
	long		 timeout_ms;

	struct vkey	 keys[GH_VERIFY_MAX_KEYS];
	size_t		 nkeys;
	struct hcache	 hc[HCACHE_N];
	size_t		 hc_next;	/* slot to fill next */
	struct tcache	 tc[TCACHE_N];
	size_t		 tc_next;	/* slot to fill next */
	unsigned long	 nhits;		/* answers from tc */
	unsigned long	 nloads;
	int64_t		 last_attempt;	/* monotonic ms; -1: never */
	struct stat	 stamp;		/* key file when last loaded */
	int		 have_stamp;

	EVP_MD		*md;		/* SHA-256, fetched once */
	EVP_MD_CTX	*mdctx;		/* reused for every digest */
	json_tokener	*tok;		/* reused for every parse */
	unsigned char	 hdr[MAX_HEADER + 1];
	unsigned char	 sig[MAX_SIG];
	unsigned char	 payload[GH_VERIFY_MAX_TOKEN];
	char		 errmsg[160];
};

static const char *const token_uses[GH_TOKEN_USE__MAX] = {
	[GH_TOKEN_ID] = "id",
	[GH_TOKEN_ACCESS] = "access",
};

const char *
gh_token_use_str(enum gh_token_use use)
{
	return (unsigned)use < GH_TOKEN_USE__MAX ? token_uses[use] : "?";
}

/* Records why the last call failed; returns err for "return fail(...)". */
static enum gh_err
fail(struct gh_verifier *v, enum gh_err err, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(v->errmsg, sizeof(v->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

static int64_t
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
keys_clear(struct vkey *keys, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		EVP_PKEY_CTX_free(keys[i].vctx);
		keys[i].vctx = NULL;
		EVP_PKEY_free(keys[i].pkey);
		keys[i].pkey = NULL;
	}
}

/* Forgets every verified token (the key set changed, or freeing). */
static void
tcache_clear(struct gh_verifier *v)
{
	size_t	 i;

	for (i = 0; i < TCACHE_N; i++) {
		json_object_put(v->tc[i].claims);
		v->tc[i].claims = NULL;
		v->tc[i].len = 0;
	}
	v->tc_next = 0;
}

/* Replaces the trusted key set with keys[0..n) (taking ownership). */
static void
keys_install(struct gh_verifier *v, struct vkey *keys, size_t n)
{
	keys_clear(v->keys, v->nkeys);
	memcpy(v->keys, keys, n * sizeof(*keys));
	v->nkeys = n;
	v->nloads++;
	memset(v->hc, 0, sizeof(v->hc));
	v->hc_next = 0;
	tcache_clear(v);
}

void
gh_verifier_free(struct gh_verifier *v)
{
	if (v == NULL)
		return;
	keys_clear(v->keys, v->nkeys);
	tcache_clear(v);
	json_tokener_free(v->tok);
	EVP_MD_CTX_free(v->mdctx);
	EVP_MD_free(v->md);
	free(v->keys_file);
	free(v->keys_dir);
	free(v->jwks_url);
	free(v->client_id);
	free(v->issuer);
	free(v);
}

enum gh_err
gh_verifier_new(const struct gh_verifier_cfg *cfg, struct gh_verifier **out)
{
	struct gh_verifier	*v = NULL;
	enum gh_err		 err = GH_ERR_INVAL;

	if (cfg == NULL || cfg->issuer == NULL || cfg->issuer[0] == '\0' ||
	    cfg->client_id == NULL || cfg->client_id[0] == '\0')
		goto out;
	if ((cfg->jwks_url == NULL || cfg->jwks_url[0] == '\0') ==
	    (cfg->keys_dir == NULL || cfg->keys_dir[0] == '\0'))
		goto out;
	err = GH_ERR_NOMEM;
	if ((v = calloc(1, sizeof(*v))) == NULL)
		goto out;
	if ((v->issuer = strdup(cfg->issuer)) == NULL ||
	    (v->client_id = strdup(cfg->client_id)) == NULL)
		goto out;
	if (cfg->jwks_url != NULL && cfg->jwks_url[0] != '\0') {
		if ((v->jwks_url = strdup(cfg->jwks_url)) == NULL)
			goto out;
	} else {
		if ((v->keys_dir = strdup(cfg->keys_dir)) == NULL ||
		    asprintf(&v->keys_file, "%s/%s", cfg->keys_dir,
		    GH_KEYS_FILE) < 0) {
			v->keys_file = NULL;
			goto out;
		}
	}
	v->leeway = cfg->leeway == 0 ? GH_VERIFY_LEEWAY :
	    cfg->leeway < 0 ? 0 : cfg->leeway;
	v->refetch_ms = cfg->refetch_ms == 0 ? 60000 : cfg->refetch_ms;
	v->reload_ms = cfg->reload_ms == 0 ? 1000 : cfg->reload_ms;
	v->timeout_ms = cfg->timeout_ms <= 0 ? 5000 : cfg->timeout_ms;
	v->last_attempt = -1;
	if ((v->tok = json_tokener_new_ex(GH_VERIFY_JSON_DEPTH)) == NULL)
		goto out;
	json_tokener_set_flags(v->tok,
	    JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	err = GH_ERR_CRYPTO;
	if ((v->md = EVP_MD_fetch(NULL, "SHA256", NULL)) == NULL ||
	    (v->mdctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	*out = v;
	v = NULL;
	err = GH_OK;
out:
	gh_verifier_free(v);
	return err;
}

const char *
gh_verifier_errmsg(const struct gh_verifier *v)
{
	return v->errmsg;
}

size_t
gh_verifier_nkeys(const struct gh_verifier *v)
{
	return v->nkeys;
}

unsigned long
gh_verifier_nloads(const struct gh_verifier *v)
{
	return v->nloads;
}

unsigned long
gh_verifier_nhits(const struct gh_verifier *v)
{
	return v->nhits;
}

/* ---- key sources -------------------------------------------------- */

/* Copies the public half of pkey (the verifier keeps no private key). */
static EVP_PKEY *
public_copy(EVP_PKEY *pkey)
{
	unsigned char		*der = NULL;
	const unsigned char	*p;
	EVP_PKEY		*pub;
	int			 len;

	if ((len = i2d_PUBKEY(pkey, &der)) <= 0)
		return NULL;
	p = der;
	pub = d2i_PUBKEY(NULL, &p, len);
	OPENSSL_free(der);
	return pub;
}

/* Embedded mode: reads current + previous from the keys directory. */
static enum gh_err
load_dir(struct gh_verifier *v)
{
	struct gh_keys	*k = NULL;
	struct vkey	 nk[GH_KEYS_MAX];
	struct stat	 st;
	size_t		 i, n = 0;
	int		 have_st;
	enum gh_err	 err;

	memset(nk, 0, sizeof(nk));
	have_st = stat(v->keys_file, &st) == 0;
	if ((err = gh_keys_load(v->keys_dir, 0, &k)) != GH_OK) {
		err = fail(v, err == GH_ERR_NOTFOUND ? GH_ERR_IO : err,
		    "cannot load signing keys from the keys directory: %s",
		    gh_strerror(err));
		goto out;
	}
	for (i = 0; i < gh_keys_count(k); i++) {
		if ((nk[n].pkey = public_copy(gh_keys_pkey(k, i))) == NULL) {
			err = fail(v, GH_ERR_CRYPTO, "cannot copy public key");
			goto out;
		}
		snprintf(nk[n].kid, sizeof(nk[n].kid), "%s",
		    gh_keys_kid(k, i));
		n++;
	}
	keys_install(v, nk, n);
	n = 0;
	v->have_stamp = have_st;
	if (have_st)
		v->stamp = st;
	err = GH_OK;
out:
	keys_clear(nk, n);
	gh_keys_free(k);
	return err;
}

/* 1 if the key file is not the one we loaded last. */
static int
dir_changed(const struct gh_verifier *v)
{
	struct stat	 st;

	if (stat(v->keys_file, &st) != 0)
		return 0;	/* nothing new to read */
	return !v->have_stamp || st.st_ino != v->stamp.st_ino ||
	    st.st_dev != v->stamp.st_dev ||
	    st.st_size != v->stamp.st_size ||
	    st.st_mtim.tv_sec != v->stamp.st_mtim.tv_sec ||
	    st.st_mtim.tv_nsec != v->stamp.st_mtim.tv_nsec;
}

/* Strict JSON parse of len bytes: one value and nothing after it. */
static json_object *
parse_strict(json_tokener *tok, const char *s, size_t len)
{
	json_object	*obj;

	if (len > INT32_MAX)
		return NULL;
	json_tokener_reset(tok);
	obj = json_tokener_parse_ex(tok, s, (int)len);
	if (obj == NULL)
		return NULL;
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		json_object_put(obj);
		return NULL;
	}
	return obj;
}

/* A string member of o, or NULL if absent or not a string. */
static const char *
member_str(json_object *o, const char *key)
{
	json_object	*m;

	if (!json_object_object_get_ex(o, key, &m) ||
	    !json_object_is_type(m, json_type_string))
		return NULL;
	return json_object_get_string(m);
}

/* Builds an RSA public EVP_PKEY from JWK n and e (base64url). */
static EVP_PKEY *
jwk_rsa(const char *n64, const char *e64)
{
	OSSL_PARAM_BLD	*bld = NULL;
	OSSL_PARAM	*params = NULL;
	EVP_PKEY_CTX	*ctx = NULL;
	EVP_PKEY	*pkey = NULL;
	BIGNUM		*n = NULL, *e = NULL;
	unsigned char	*nb = NULL, *eb = NULL;
	size_t		 nlen, elen;

	if (gh_b64url_decode(n64, strlen(n64), &nb, &nlen) != GH_OK ||
	    gh_b64url_decode(e64, strlen(e64), &eb, &elen) != GH_OK)
		goto out;
	if (nlen == 0 || nlen > MAX_SIG || elen == 0 || elen > 8)
		goto out;
	if ((n = BN_bin2bn(nb, (int)nlen, NULL)) == NULL ||
	    (e = BN_bin2bn(eb, (int)elen, NULL)) == NULL)
		goto out;
	if ((bld = OSSL_PARAM_BLD_new()) == NULL ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
	    (params = OSSL_PARAM_BLD_to_param(bld)) == NULL)
		goto out;
	if ((ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL)) == NULL ||
	    EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) != 1)
		goto out;
	if (EVP_PKEY_get_bits(pkey) < GH_KEYS_MIN_BITS) {
		EVP_PKEY_free(pkey);
		pkey = NULL;
	}
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(e);
	BN_free(n);
	free(eb);
	free(nb);
	return pkey;
}

/*
 * Parses a JWKS document into keys[] (at most GH_VERIFY_MAX_KEYS); keys that
 * are not RSA signing keys for RS256, or malformed, are skipped.
 */
static size_t
jwks_parse(json_tokener *tok, const char *doc, size_t len, struct vkey *keys)
{
	json_object	*root = NULL, *arr, *jwk;
	const char	*kty, *use, *alg, *kid, *n, *e;
	size_t		 i, count = 0, nk;

	if ((root = parse_strict(tok, doc, len)) == NULL ||
	    !json_object_is_type(root, json_type_object) ||
	    !json_object_object_get_ex(root, "keys", &arr) ||
	    !json_object_is_type(arr, json_type_array))
		goto out;
	nk = json_object_array_length(arr);
	for (i = 0; i < nk && count < GH_VERIFY_MAX_KEYS; i++) {
		jwk = json_object_array_get_idx(arr, i);
		if (!json_object_is_type(jwk, json_type_object))
			continue;
		kty = member_str(jwk, "kty");
		kid = member_str(jwk, "kid");
		n = member_str(jwk, "n");
		e = member_str(jwk, "e");
		if (kty == NULL || strcmp(kty, "RSA") != 0 || kid == NULL ||
		    kid[0] == '\0' || strlen(kid) > MAX_KID ||
		    n == NULL || e == NULL)
			continue;
		if (json_object_object_get_ex(jwk, "use", NULL) &&
		    ((use = member_str(jwk, "use")) == NULL ||
		    strcmp(use, "sig") != 0))
			continue;
		if (json_object_object_get_ex(jwk, "alg", NULL) &&
		    ((alg = member_str(jwk, "alg")) == NULL ||
		    strcmp(alg, "RS256") != 0))
			continue;
		if ((keys[count].pkey = jwk_rsa(n, e)) == NULL)
			continue;
		snprintf(keys[count].kid, sizeof(keys[count].kid), "%s", kid);
		count++;
	}
out:
	json_object_put(root);
	return count;
}

/* Remote mode: fetches and installs the JWKS. */
static enum gh_err
load_url(struct gh_verifier *v)
{
	struct gh_curl_body	 b = { NULL, 0, MAX_JWKS, 0 };
	struct vkey	 nk[GH_VERIFY_MAX_KEYS];
	CURL		*curl = NULL;
	CURLcode	 rc;
	long		 status = 0;
	size_t		 n = 0;
	enum gh_err	 err = GH_ERR_IO;

	memset(nk, 0, sizeof(nk));
	if ((curl = curl_easy_init()) == NULL) {
		err = fail(v, GH_ERR_NOMEM, "cannot create a curl handle");
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_URL, v->jwks_url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS,
	    v->timeout_ms < 2000 ? v->timeout_ms : 2000L);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, v->timeout_ms);
	curl_easy_setopt(curl, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)MAX_JWKS);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, gh_curl_body_write);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "gatehouse-verifier");
	gh_curl_ca_setup(curl);
	if ((rc = curl_easy_perform(curl)) != CURLE_OK) {
		err = fail(v, GH_ERR_IO, "JWKS fetch failed: %s",
		    b.toolarge ? "document too large" :
		    curl_easy_strerror(rc));
		goto out;
	}
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200) {
		err = fail(v, GH_ERR_IO, "JWKS fetch failed: HTTP %ld",
		    status);
		goto out;
	}
	if ((n = jwks_parse(v->tok, b.buf == NULL ? "" : b.buf, b.len,
	    nk)) == 0) {
		err = fail(v, GH_ERR_CRYPTO,
		    "JWKS document holds no usable RS256 key");
		goto out;
	}
	keys_install(v, nk, n);
	n = 0;
	err = GH_OK;
out:
	keys_clear(nk, n);
	curl_easy_cleanup(curl);
	gh_curl_body_free(&b);
	return err;
}

/*
 * Called when the token's kid is unknown (or we have no key yet): reloads
 * the key source if the rate limit allows.  GH_OK if keys were reloaded,
 * GH_ERR_NOTFOUND if the limit said not now, another error if the reload
 * failed (message set).
 */
static enum gh_err
maybe_reload(struct gh_verifier *v)
{
	int64_t		 now = mono_ms();
	long		 interval;
	int		 due;

	if (v->jwks_url != NULL) {
		interval = v->nkeys == 0 && v->refetch_ms > FIRST_FETCH_MS ?
		    FIRST_FETCH_MS : v->refetch_ms;
		due = v->last_attempt < 0 || interval < 0 ||
		    now - v->last_attempt >= interval;
		if (!due)
			return GH_ERR_NOTFOUND;
		v->last_attempt = now;
		return load_url(v);
	}
	due = v->last_attempt < 0 || v->reload_ms < 0 ||
	    now - v->last_attempt >= v->reload_ms || dir_changed(v);
	if (!due)
		return GH_ERR_NOTFOUND;
	v->last_attempt = now;
	return load_dir(v);
}

/* ---- verification ------------------------------------------------- */

/*
 * An RSASSA-PKCS1-v1_5 / SHA-256 verify context for pkey: RS256 (RFC 7518
 * 3.3), set up once per key so each token costs one SHA-256 and one
 * EVP_PKEY_verify, without the per-call algorithm fetches of
 * EVP_DigestVerifyInit.
 */
static EVP_PKEY_CTX *
rs256_ctx(EVP_PKEY *pkey)
{
	EVP_PKEY_CTX	*ctx;

	if ((ctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL)) == NULL)
		return NULL;
	if (EVP_PKEY_verify_init(ctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(ctx, EVP_sha256()) != 1) {
		EVP_PKEY_CTX_free(ctx);
		ERR_clear_error();
		return NULL;
	}
	return ctx;
}

/* The index of the trusted key named kid, or -1. */
static long
find_key(const struct gh_verifier *v, const char *kid)
{
	size_t	 i;

	for (i = 0; i < v->nkeys; i++)
		if (strcmp(v->keys[i].kid, kid) == 0)
			return (long)i;
	return -1;
}

/* The key index cached for this exact header segment, or -1. */
static long
hcache_find(const struct gh_verifier *v, const char *seg, size_t len)
{
	size_t	 i;

	for (i = 0; i < HCACHE_N; i++)
		if (v->hc[i].len == len && memcmp(v->hc[i].seg, seg, len) == 0)
			return (long)v->hc[i].key;
	return -1;
}

static void
hcache_add(struct gh_verifier *v, const char *seg, size_t len, long key)
{
	struct hcache	*e = &v->hc[v->hc_next];

	if (len == 0 || len > HCACHE_SEG)
		return;
	memcpy(e->seg, seg, len);
	e->len = len;
	e->key = (size_t)key;
	v->hc_next = (v->hc_next + 1) % HCACHE_N;
}

/* The header members we understand; anything else refuses the token. */
static int
header_member_allowed(const char *key)
{
	return strcmp(key, "alg") == 0 || strcmp(key, "kid") == 0 ||
	    strcmp(key, "typ") == 0;
}

/*
 * Checks the header's shape and copies its kid into kid (MAX_KID + 1).
 */
static enum gh_err
check_header(struct gh_verifier *v, const unsigned char *hdr, size_t len,
    char *kid)
{
	json_object	*h = NULL, *m;
	const char	*s;
	enum gh_err	 err = GH_ERR_TOKEN;

	if ((h = parse_strict(v->tok, (const char *)hdr, len)) == NULL ||
	    !json_object_is_type(h, json_type_object)) {
		err = fail(v, GH_ERR_TOKEN, "malformed token header");
		goto out;
	}
	{
		json_object_object_foreach(h, key, val) {
			(void)val;
			if (!header_member_allowed(key)) {
				err = fail(v, GH_ERR_TOKEN, "token header "
				    "member not allowed (alg, kid, typ only)");
				goto out;
			}
		}
	}
	if (!json_object_object_get_ex(h, "alg", &m) ||
	    !json_object_is_type(m, json_type_string) ||
	    strcmp(json_object_get_string(m), "RS256") != 0) {
		err = fail(v, GH_ERR_TOKEN, "token algorithm is not RS256");
		goto out;
	}
	if (json_object_object_get_ex(h, "typ", &m) &&
	    (!json_object_is_type(m, json_type_string) ||
	    strcasecmp(json_object_get_string(m), "JWT") != 0)) {
		err = fail(v, GH_ERR_TOKEN, "token type is not JWT");
		goto out;
	}
	if (!json_object_object_get_ex(h, "kid", &m) ||
	    !json_object_is_type(m, json_type_string) ||
	    json_object_get_string_len(m) == 0 ||
	    json_object_get_string_len(m) > MAX_KID) {
		err = fail(v, GH_ERR_TOKEN, "token kid missing or malformed");
		goto out;
	}
	s = json_object_get_string(m);
	if (strlen(s) != (size_t)json_object_get_string_len(m)) {
		err = fail(v, GH_ERR_TOKEN, "token kid malformed");
		goto out;
	}
	memcpy(kid, s, strlen(s) + 1);
	err = GH_OK;
out:
	json_object_put(h);
	return err;
}

/*
 * An integer claim: 1 and *val if present as a JSON integer, 0 if absent,
 * -1 if present with another type.
 */
static int
claim_int(json_object *c, const char *key, int64_t *val)
{
	json_object	*m;

	if (!json_object_object_get_ex(c, key, &m))
		return 0;
	if (!json_object_is_type(m, json_type_int))
		return -1;
	*val = json_object_get_int64(m);
	return 1;
}

static enum gh_err
check_claims(struct gh_verifier *v, json_object *c, enum gh_token_use use,
    time_t now)
{
	const char	*s;
	int64_t		 exp, iat, nbf, t = (int64_t)now;
	int		 rc;

	if ((s = member_str(c, "iss")) == NULL || strcmp(s, v->issuer) != 0)
		return fail(v, GH_ERR_TOKEN, "token issuer mismatch");
	if ((s = member_str(c, "token_use")) == NULL ||
	    strcmp(s, token_uses[use]) != 0)
		return fail(v, GH_ERR_TOKEN, "token_use is not \"%s\"",
		    token_uses[use]);
	if (use == GH_TOKEN_ID) {
		if ((s = member_str(c, "aud")) == NULL ||
		    strcmp(s, v->client_id) != 0)
			return fail(v, GH_ERR_TOKEN,
			    "token audience mismatch");
	} else {
		if ((s = member_str(c, "client_id")) == NULL ||
		    strcmp(s, v->client_id) != 0)
			return fail(v, GH_ERR_TOKEN,
			    "token client_id mismatch");
	}
	if ((s = member_str(c, "sub")) == NULL || s[0] == '\0')
		return fail(v, GH_ERR_TOKEN, "token sub missing");
	if (claim_int(c, "exp", &exp) != 1)
		return fail(v, GH_ERR_TOKEN, "token exp missing or not an "
		    "integer");
	if (claim_int(c, "iat", &iat) != 1)
		return fail(v, GH_ERR_TOKEN, "token iat missing or not an "
		    "integer");
	if ((rc = claim_int(c, "nbf", &nbf)) < 0)
		return fail(v, GH_ERR_TOKEN, "token nbf not an integer");
	if (iat > t + v->leeway)
		return fail(v, GH_ERR_TOKEN, "token issued in the future");
	if (rc == 1 && nbf > t + v->leeway)
		return fail(v, GH_ERR_TOKEN, "token not yet valid");
	if (exp <= t)
		return fail(v, GH_ERR_EXPIRED, "token expired");
	return GH_OK;
}

/*
 * FNV-1a of the last 64 bytes (the signature's, which differ between any two
 * tokens): only narrows the cache search; the token is compared in full.
 */
static uint64_t
tok_hash(const char *s, size_t len)
{
	uint64_t	 h = 0xcbf29ce484222325ULL;
	size_t		 i;

	for (i = len > 64 ? len - 64 : 0; i < len; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return h;
}

/*
 * The cached claims of exactly this token (every byte compared, in constant
 * time), verified for this use under the current key set and still valid at
 * now, or NULL.  An entry no longer valid at now is dropped, so the caller
 * verifies the token in full and gives the usual verdict.
 */
static json_object *
tcache_find(struct gh_verifier *v, const char *token, size_t len,
    uint64_t hash, enum gh_token_use use, time_t now)
{
	struct tcache	*e;
	int64_t		 t = (int64_t)now;
	size_t		 i;

	for (i = 0; i < TCACHE_N; i++) {
		e = &v->tc[i];
		if (e->len != len || e->hash != hash || e->use != use ||
		    !gh_ct_equal(e->tok, token, len))
			continue;
		if (e->nloads != v->nloads || e->exp <= t ||
		    e->iat > t + v->leeway ||
		    (e->has_nbf && e->nbf > t + v->leeway)) {
			json_object_put(e->claims);
			e->claims = NULL;
			e->len = 0;
			return NULL;
		}
		return e->claims;
	}
	return NULL;
}

/* Remembers a token that has just passed every check with claims c. */
static void
tcache_add(struct gh_verifier *v, const char *token, size_t len,
    uint64_t hash, enum gh_token_use use, json_object *c)
{
	struct tcache	*e;

	if (len == 0 || len > TCACHE_TOK)
		return;
	e = &v->tc[v->tc_next];
	v->tc_next = (v->tc_next + 1) % TCACHE_N;
	json_object_put(e->claims);
	memset(e, 0, sizeof(*e));
	if (claim_int(c, "exp", &e->exp) != 1 ||
	    claim_int(c, "iat", &e->iat) != 1 ||
	    (e->has_nbf = claim_int(c, "nbf", &e->nbf)) < 0)
		return;		/* cannot happen after check_claims */
	memcpy(e->tok, token, len);
	e->len = len;
	e->hash = hash;
	e->use = use;
	e->nloads = v->nloads;
	e->claims = json_object_get(c);
}

enum gh_err
gh_verify(struct gh_verifier *v, const char *token, enum gh_token_use use,
    time_t now, json_object **claims)
{
	const char	*d1, *d2, *end;
	char		 kid[MAX_KID + 1];
	struct vkey	*key;
	unsigned char	 md[EVP_MAX_MD_SIZE];
	unsigned int	 mdlen = 0;
	json_object	*c = NULL;
	uint64_t	 hash = 0;
	size_t		 len, hlen, plen, slen;
	long		 ki;
	enum gh_err	 err, rerr;

	v->errmsg[0] = '\0';
	if ((unsigned)use >= GH_TOKEN_USE__MAX)
		return fail(v, GH_ERR_INVAL, "bad token use");
	if (token == NULL)
		return fail(v, GH_ERR_TOKEN, "no token");
	/* Bounded length: never scan past the limit. */
	if ((len = strnlen(token, GH_VERIFY_MAX_TOKEN + 1)) >
	    GH_VERIFY_MAX_TOKEN)
		return fail(v, GH_ERR_TOKEN, "token too long");
	end = token + len;

	/* A token that passed every check before, byte for byte. */
	if (len <= TCACHE_TOK) {
		hash = tok_hash(token, len);
		if ((c = tcache_find(v, token, len, hash, use, now)) != NULL) {
			v->nhits++;
			if (claims != NULL)
				*claims = json_object_get(c);
			return GH_OK;
		}
	}

	/* Exactly three non-empty segments. */
	if ((d1 = memchr(token, '.', len)) == NULL ||
	    (d2 = memchr(d1 + 1, '.', (size_t)(end - d1 - 1))) == NULL ||
	    memchr(d2 + 1, '.', (size_t)(end - d2 - 1)) != NULL)
		return fail(v, GH_ERR_TOKEN, "token is not three segments");
	if (d1 == token || d2 == d1 + 1 || d2 + 1 == end)
		return fail(v, GH_ERR_TOKEN, "token has an empty segment");

	/* Header, unless this exact header was checked before. */
	if ((ki = hcache_find(v, token, (size_t)(d1 - token))) < 0) {
		if (gh_b64url_decode_buf(token, (size_t)(d1 - token), v->hdr,
		    MAX_HEADER, &hlen) != GH_OK)
			return fail(v, GH_ERR_TOKEN,
			    "token header not base64url");
		if ((err = check_header(v, v->hdr, hlen, kid)) != GH_OK)
			return err;
		/* Key: only among keys we already trust. */
		if ((ki = find_key(v, kid)) < 0) {
			rerr = maybe_reload(v);
			if (rerr != GH_OK && rerr != GH_ERR_NOTFOUND &&
			    v->nkeys == 0)
				return rerr;	/* no key at all: say why */
			if ((ki = find_key(v, kid)) < 0)
				return fail(v, GH_ERR_TOKEN, "token signed "
				    "by an unknown key");
		}
		hcache_add(v, token, (size_t)(d1 - token), ki);
	}
	key = &v->keys[ki];

	/* Signature over "header.payload". */
	if (gh_b64url_decode_buf(d2 + 1, (size_t)(end - d2 - 1), v->sig,
	    sizeof(v->sig), &slen) != GH_OK)
		return fail(v, GH_ERR_TOKEN, "token signature not base64url");
	if (slen != (size_t)EVP_PKEY_get_size(key->pkey))
		return fail(v, GH_ERR_TOKEN, "token signature has the wrong "
		    "length");
	if (key->vctx == NULL && (key->vctx = rs256_ctx(key->pkey)) == NULL)
		return fail(v, GH_ERR_CRYPTO, "cannot initialise verify");
	if (EVP_DigestInit_ex2(v->mdctx, v->md, NULL) != 1 ||
	    EVP_DigestUpdate(v->mdctx, token, (size_t)(d2 - token)) != 1 ||
	    EVP_DigestFinal_ex(v->mdctx, md, &mdlen) != 1) {
		ERR_clear_error();
		return fail(v, GH_ERR_CRYPTO, "cannot hash token");
	}
	if (EVP_PKEY_verify(key->vctx, v->sig, slen, md, mdlen) != 1) {
		ERR_clear_error();
		return fail(v, GH_ERR_TOKEN, "token signature mismatch");
	}

	/* Payload: only now, authenticated, is it parsed. */
	if (gh_b64url_decode_buf(d1 + 1, (size_t)(d2 - d1 - 1), v->payload,
	    sizeof(v->payload), &plen) != GH_OK)
		return fail(v, GH_ERR_TOKEN, "token payload not base64url");
	if ((c = parse_strict(v->tok, (const char *)v->payload,
	    plen)) == NULL || !json_object_is_type(c, json_type_object)) {
		json_object_put(c);
		return fail(v, GH_ERR_TOKEN, "malformed token payload");
	}
	if ((err = check_claims(v, c, use, now)) != GH_OK) {
		json_object_put(c);
		return err;
	}
	tcache_add(v, token, len, hash, use, c);
	if (claims != NULL)
		*claims = c;
	else
		json_object_put(c);
	return GH_OK;
}
