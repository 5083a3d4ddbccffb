/*
 * test-verify.c: gh_verify.h and gh_jwt.h.  Every known attack on JWT
 * verification as a regression case (alg none, RS256->HS256 with the public
 * key, key-choosing header members, kid tricks, foreign keys, edited claims,
 * every claim check), strict parsing of malformed tokens, the happy paths,
 * key rotation in embedded mode, and the JWKS URL mode against a real HTTP
 * server on loopback (a forked child) with its rate limit and size limit.
 */
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <json-c/json.h>
#include <jwt.h>
#include <openssl/pem.h>

#include "gh_crypto.h"
#include "gh_jwt.h"
#include "gh_keys.h"
#include "gh_verify.h"
#include "crypto-test.h"

#define ISS	"http://127.0.0.1:8080/idp/eu-west-1_Gatehouse"
#define CID	"3n4b5urk1ft4fl3mg5e62d9ado"
#define NOW	((time_t)1750000000)

static char		*base;		/* scratch directory */
static char		*keydir;	/* trusted keys (one key) */
static struct gh_keys	*trusted;
static EVP_PKEY		*foreign;	/* a key nobody trusts */
static char		 foreign_kid[GH_KID_LEN];

/* ---- token construction ------------------------------------------- */

static json_object *
base_claims(const char *use)
{
	json_object	*c = json_object_new_object();

	json_object_object_add(c, "sub",
	    json_object_new_string("7d8ca528-4931-4254-9273-ea5ee853f271"));
	json_object_object_add(c, "iss", json_object_new_string(ISS));
	json_object_object_add(c, "token_use", json_object_new_string(use));
	json_object_object_add(c, "iat", json_object_new_int64(NOW - 10));
	json_object_object_add(c, "auth_time",
	    json_object_new_int64(NOW - 10));
	json_object_object_add(c, "exp", json_object_new_int64(NOW + 3600));
	json_object_object_add(c, "jti",
	    json_object_new_string("0d5a2c1e-1111-4aaa-8bbb-123456789abc"));
	if (strcmp(use, "id") == 0) {
		json_object_object_add(c, "aud", json_object_new_string(CID));
		json_object_object_add(c, "email",
		    json_object_new_string("alice@example.com"));
		json_object_object_add(c, "email_verified",
		    json_object_new_boolean(1));
		json_object_object_add(c, "cognito:username",
		    json_object_new_string("alice@example.com"));
		json_object_object_add(c, "custom:role",
		    json_object_new_string("customer"));
	} else {
		json_object_object_add(c, "client_id",
		    json_object_new_string(CID));
		json_object_object_add(c, "scope",
		    json_object_new_string("aws.cognito.signin.user.admin"));
		json_object_object_add(c, "username",
		    json_object_new_string("alice@example.com"));
	}
	return c;
}

static const char *
js(json_object *o)
{
	return json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

static char *
sign_raw(EVP_PKEY *k, const char *hdr, const char *payload)
{
	char	*tok = NULL;

	if (gh_jwt_sign_raw(k, hdr, payload, &tok) != GH_OK)
		abort();
	return tok;
}

static char *
std_header(const char *kid)
{
	char	*h;

	if (asprintf(&h, "{\"alg\":\"RS256\",\"kid\":\"%s\",\"typ\":\"JWT\"}",
	    kid) < 0)
		abort();
	return h;
}

static char *
b64s(const void *s, size_t len)
{
	char	*out = NULL;

	if (gh_b64url_encode(s, len, &out) != GH_OK)
		abort();
	return out;
}

/* "b64(h).b64(p).sig" with the given raw signature segment text. */
static char *
assemble(const char *h, const char *p, const char *sigseg)
{
	char	*bh = b64s(h, strlen(h)), *bp = b64s(p, strlen(p)), *t;

	if (asprintf(&t, "%s.%s.%s", bh, bp, sigseg) < 0)
		abort();
	free(bh);
	free(bp);
	return t;
}

static char *
public_pem(EVP_PKEY *k)
{
	BIO	*bio = BIO_new(BIO_s_mem());
	char	*data, *s;
	long	 len;

	if (bio == NULL || PEM_write_bio_PUBKEY(bio, k) != 1)
		abort();
	len = BIO_get_mem_data(bio, &data);
	if ((s = strndup(data, (size_t)len)) == NULL)
		abort();
	BIO_free(bio);
	return s;
}

/* ---- claim cases: a valid token with one claim changed ------------ */

enum op { OP_NONE, OP_DEL, OP_STR, OP_INT, OP_DBL, OP_ARR, OP_NULL };

static const struct claim_case {
	const char		*name;
	const char		*kind;	/* token_use of the base claims */
	const char		*key;
	enum op			 op;
	const char		*s;
	long long		 i;
	enum gh_token_use	 use;	/* what the route asks for */
	enum gh_err		 want;
} claim_cases[] = {
	{ "valid id token", "id", NULL, OP_NONE, NULL, 0,
	  GH_TOKEN_ID, GH_OK },
	{ "valid access token", "access", NULL, OP_NONE, NULL, 0,
	  GH_TOKEN_ACCESS, GH_OK },
	{ "access token where an id token is required", "access", NULL,
	  OP_NONE, NULL, 0, GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "id token where an access token is required", "id", NULL,
	  OP_NONE, NULL, 0, GH_TOKEN_ACCESS, GH_ERR_TOKEN },
	{ "id token with client_id=CID but wrong token_use", "id",
	  "client_id", OP_STR, CID, 0, GH_TOKEN_ACCESS, GH_ERR_TOKEN },
	{ "expired", "id", "exp", OP_INT, NULL, NOW - 1,
	  GH_TOKEN_ID, GH_ERR_EXPIRED },
	{ "expires exactly now", "id", "exp", OP_INT, NULL, NOW,
	  GH_TOKEN_ID, GH_ERR_EXPIRED },
	{ "expired access token", "access", "exp", OP_INT, NULL, NOW - 7200,
	  GH_TOKEN_ACCESS, GH_ERR_EXPIRED },
	{ "exp missing", "id", "exp", OP_DEL, NULL, 0,
	  GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "exp as a string", "id", "exp", OP_STR, "9999999999", 0,
	  GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "exp as a float", "id", "exp", OP_DBL, NULL, NOW + 3600,
	  GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "exp null", "id", "exp", OP_NULL, NULL, 0,
	  GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "not yet valid (nbf in an hour)", "id", "nbf", OP_INT, NULL,
	  NOW + 3600, GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "nbf within the leeway", "id", "nbf", OP_INT, NULL, NOW + 30,
	  GH_TOKEN_ID, GH_OK },
	{ "nbf in the past", "id", "nbf", OP_INT, NULL, NOW - 30,
	  GH_TOKEN_ID, GH_OK },
	{ "nbf as a string", "id", "nbf", OP_STR, "0", 0,
	  GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "iat in the future", "id", "iat", OP_INT, NULL, NOW + 3600,
	  GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "iat just past the leeway", "id", "iat", OP_INT, NULL,
	  NOW + GH_VERIFY_LEEWAY + 1, GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "iat within the leeway", "id", "iat", OP_INT, NULL, NOW + 30,
	  GH_TOKEN_ID, GH_OK },
	{ "iat missing", "id", "iat", OP_DEL, NULL, 0,
	  GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "wrong issuer", "id", "iss", OP_STR,
	  "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other", 0,
	  GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "issuer with a trailing slash", "id", "iss", OP_STR, ISS "/", 0,
	  GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "issuer prefix", "id", "iss", OP_STR,
	  "http://127.0.0.1:8080/idp/eu-west-1_Gatehous", 0,
	  GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "issuer missing", "id", "iss", OP_DEL, NULL, 0,
	  GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "issuer not a string", "id", "iss", OP_INT, NULL, 1,
	  GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "wrong audience", "id", "aud", OP_STR, "someotherclient", 0,
	  GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "audience missing", "id", "aud", OP_DEL, NULL, 0,
	  GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "audience as an array", "id", "aud", OP_ARR, CID, 0,
	  GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "wrong client_id", "access", "client_id", OP_STR, "otherclient",
	  0, GH_TOKEN_ACCESS, GH_ERR_TOKEN },
	{ "client_id missing", "access", "client_id", OP_DEL, NULL, 0,
	  GH_TOKEN_ACCESS, GH_ERR_TOKEN },
	{ "access token with aud but no client_id", "access", "client_id",
	  OP_DEL, NULL, 0, GH_TOKEN_ACCESS, GH_ERR_TOKEN },
	{ "token_use missing", "id", "token_use", OP_DEL, NULL, 0,
	  GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "token_use ID (case)", "id", "token_use", OP_STR, "ID", 0,
	  GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "token_use refresh", "id", "token_use", OP_STR, "refresh", 0,
	  GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "sub missing", "id", "sub", OP_DEL, NULL, 0,
	  GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "sub empty", "id", "sub", OP_STR, "", 0,
	  GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "sub not a string", "id", "sub", OP_INT, NULL, 42,
	  GH_TOKEN_ID, GH_ERR_TOKEN },
	{ "sub missing (access)", "access", "sub", OP_DEL, NULL, 0,
	  GH_TOKEN_ACCESS, GH_ERR_TOKEN },
};

static char *
claim_token(const struct claim_case *cc)
{
	json_object	*c = base_claims(cc->kind), *arr;
	char		*h = std_header(gh_keys_current_kid(trusted)), *t;

	if (strcmp(cc->name, "access token with aud but no client_id") == 0)
		json_object_object_add(c, "aud", json_object_new_string(CID));
	switch (cc->op) {
	case OP_NONE:
		break;
	case OP_DEL:
		json_object_object_del(c, cc->key);
		break;
	case OP_STR:
		json_object_object_add(c, cc->key,
		    json_object_new_string(cc->s));
		break;
	case OP_INT:
		json_object_object_add(c, cc->key,
		    json_object_new_int64(cc->i));
		break;
	case OP_DBL:
		json_object_object_add(c, cc->key,
		    json_object_new_double((double)cc->i + 0.5));
		break;
	case OP_ARR:
		arr = json_object_new_array();
		json_object_array_add(arr, json_object_new_string(cc->s));
		json_object_object_add(c, cc->key, arr);
		break;
	case OP_NULL:
		json_object_object_add(c, cc->key, NULL);
		break;
	}
	t = sign_raw(gh_keys_current(trusted), h, js(c));
	free(h);
	json_object_put(c);
	return t;
}

static void
run_claim_cases(struct gh_verifier *v)
{
	json_object	*claims;
	const char	*msg;
	char		*tok;
	size_t		 i;
	enum gh_err	 err;

	for (i = 0; i < sizeof(claim_cases) / sizeof(claim_cases[0]); i++) {
		tok = claim_token(&claim_cases[i]);
		claims = NULL;
		err = gh_verify(v, tok, claim_cases[i].use, NOW, &claims);
		msg = gh_verifier_errmsg(v);
		if (getenv("GH_TEST_VERBOSE") != NULL)
			fprintf(stderr, "%-50s %s\n", claim_cases[i].name, msg);
		CHECK(err == claim_cases[i].want, "%s: got %s (%s)",
		    claim_cases[i].name, gh_strerror(err), msg);
		if (claim_cases[i].want == GH_OK) {
			CHECK(claims != NULL && msg[0] == '\0',
			    "%s: claims returned, no message",
			    claim_cases[i].name);
		} else
			CHECK(claims == NULL && msg[0] != '\0',
			    "%s: no claims, a message", claim_cases[i].name);
		json_object_put(claims);
		free(tok);
	}
}

/* ---- header cases: alg, kid, key-choosing members ----------------- */

enum keysel { K_TRUSTED, K_FOREIGN };
enum sigmode {
	S_RSA,		/* RS256 signature by the selected key */
	S_EMPTY,	/* no signature at all: "h.p." */
	S_HMAC_PEM,	/* HMAC-SHA256 keyed with the trusted public key PEM */
	S_ZERO		/* 256 zero bytes */
};

/*
 * %1$s in the header format is replaced by the trusted kid, %2$s by the
 * foreign kid, %3$s by the foreign key's JWK "n".
 */
static const struct hdr_case {
	const char	*name;
	const char	*fmt;
	enum keysel	 key;
	enum sigmode	 sig;
	enum gh_err	 want;
} hdr_cases[] = {
	{ "happy path, Cognito header shape",
	  "{\"kid\":\"%1$s\",\"alg\":\"RS256\"}", K_TRUSTED, S_RSA, GH_OK },
	{ "typ jwt lower case",
	  "{\"alg\":\"RS256\",\"kid\":\"%1$s\",\"typ\":\"jwt\"}",
	  K_TRUSTED, S_RSA, GH_OK },
	{ "alg none, no signature",
	  "{\"alg\":\"none\",\"kid\":\"%1$s\",\"typ\":\"JWT\"}",
	  K_TRUSTED, S_EMPTY, GH_ERR_TOKEN },
	{ "alg None, no signature",
	  "{\"alg\":\"None\",\"kid\":\"%1$s\"}", K_TRUSTED, S_EMPTY,
	  GH_ERR_TOKEN },
	{ "alg NONE, no signature",
	  "{\"alg\":\"NONE\",\"kid\":\"%1$s\"}", K_TRUSTED, S_EMPTY,
	  GH_ERR_TOKEN },
	{ "alg none with a valid RSA signature",
	  "{\"alg\":\"none\",\"kid\":\"%1$s\"}", K_TRUSTED, S_RSA,
	  GH_ERR_TOKEN },
	{ "alg missing", "{\"kid\":\"%1$s\"}", K_TRUSTED, S_RSA,
	  GH_ERR_TOKEN },
	{ "alg rs256 (case)", "{\"alg\":\"rs256\",\"kid\":\"%1$s\"}",
	  K_TRUSTED, S_RSA, GH_ERR_TOKEN },
	{ "alg RS512", "{\"alg\":\"RS512\",\"kid\":\"%1$s\"}",
	  K_TRUSTED, S_RSA, GH_ERR_TOKEN },
	{ "alg PS256", "{\"alg\":\"PS256\",\"kid\":\"%1$s\"}",
	  K_TRUSTED, S_RSA, GH_ERR_TOKEN },
	{ "alg as an array", "{\"alg\":[\"RS256\"],\"kid\":\"%1$s\"}",
	  K_TRUSTED, S_RSA, GH_ERR_TOKEN },
	{ "empty signature, alg RS256",
	  "{\"alg\":\"RS256\",\"kid\":\"%1$s\"}", K_TRUSTED, S_EMPTY,
	  GH_ERR_TOKEN },
	{ "all-zero signature", "{\"alg\":\"RS256\",\"kid\":\"%1$s\"}",
	  K_TRUSTED, S_ZERO, GH_ERR_TOKEN },
	{ "RS256->HS256 keyed with the public key PEM",
	  "{\"alg\":\"HS256\",\"kid\":\"%1$s\",\"typ\":\"JWT\"}",
	  K_TRUSTED, S_HMAC_PEM, GH_ERR_TOKEN },
	{ "RS256 header, HMAC-with-PEM signature",
	  "{\"alg\":\"RS256\",\"kid\":\"%1$s\",\"typ\":\"JWT\"}",
	  K_TRUSTED, S_HMAC_PEM, GH_ERR_TOKEN },
	{ "kid missing", "{\"alg\":\"RS256\"}", K_TRUSTED, S_RSA,
	  GH_ERR_TOKEN },
	{ "kid empty", "{\"alg\":\"RS256\",\"kid\":\"\"}", K_TRUSTED, S_RSA,
	  GH_ERR_TOKEN },
	{ "kid a number", "{\"alg\":\"RS256\",\"kid\":1}", K_TRUSTED, S_RSA,
	  GH_ERR_TOKEN },
	{ "kid path traversal",
	  "{\"alg\":\"RS256\",\"kid\":\"../../../../etc/passwd\"}",
	  K_TRUSTED, S_RSA, GH_ERR_TOKEN },
	{ "kid path to the key file",
	  "{\"alg\":\"RS256\",\"kid\":\"../keys/signing-keys.pem\"}",
	  K_TRUSTED, S_RSA, GH_ERR_TOKEN },
	{ "kid /dev/null", "{\"alg\":\"RS256\",\"kid\":\"/dev/null\"}",
	  K_TRUSTED, S_RSA, GH_ERR_TOKEN },
	{ "kid SQL injection",
	  "{\"alg\":\"RS256\",\"kid\":\"x' UNION SELECT 'key' --\"}",
	  K_TRUSTED, S_RSA, GH_ERR_TOKEN },
	{ "kid SQL tautology",
	  "{\"alg\":\"RS256\",\"kid\":\"' OR '1'='1\"}",
	  K_TRUSTED, S_RSA, GH_ERR_TOKEN },
	{ "kid with NUL after the trusted kid",
	  "{\"alg\":\"RS256\",\"kid\":\"%1$s\\u0000x\"}",
	  K_TRUSTED, S_RSA, GH_ERR_TOKEN },
	{ "kid trusted prefix", "{\"alg\":\"RS256\",\"kid\":\"%1$sX\"}",
	  K_TRUSTED, S_RSA, GH_ERR_TOKEN },
	{ "key not in our set (its own kid)",
	  "{\"alg\":\"RS256\",\"kid\":\"%2$s\"}", K_FOREIGN, S_RSA,
	  GH_ERR_TOKEN },
	{ "key not in our set (our kid)",
	  "{\"alg\":\"RS256\",\"kid\":\"%1$s\"}", K_FOREIGN, S_RSA,
	  GH_ERR_TOKEN },
	{ "embedded jwk of the signing key",
	  "{\"alg\":\"RS256\",\"kid\":\"%2$s\",\"jwk\":{\"kty\":\"RSA\","
	  "\"kid\":\"%2$s\",\"n\":\"%3$s\",\"e\":\"AQAB\"}}",
	  K_FOREIGN, S_RSA, GH_ERR_TOKEN },
	{ "embedded jwk with our kid",
	  "{\"alg\":\"RS256\",\"kid\":\"%1$s\",\"jwk\":{\"kty\":\"RSA\","
	  "\"kid\":\"%1$s\",\"n\":\"%3$s\",\"e\":\"AQAB\"}}",
	  K_FOREIGN, S_RSA, GH_ERR_TOKEN },
	{ "jku to an attacker's JWKS",
	  "{\"alg\":\"RS256\",\"kid\":\"%2$s\","
	  "\"jku\":\"http://127.0.0.1:1/jwks.json\"}",
	  K_FOREIGN, S_RSA, GH_ERR_TOKEN },
	{ "x5u to an attacker's certificate",
	  "{\"alg\":\"RS256\",\"kid\":\"%2$s\","
	  "\"x5u\":\"http://127.0.0.1:1/cert.pem\"}",
	  K_FOREIGN, S_RSA, GH_ERR_TOKEN },
	{ "x5c chain",
	  "{\"alg\":\"RS256\",\"kid\":\"%2$s\",\"x5c\":[\"MIIB\"]}",
	  K_FOREIGN, S_RSA, GH_ERR_TOKEN },
	{ "jku present on an otherwise valid token (refused outright)",
	  "{\"alg\":\"RS256\",\"kid\":\"%1$s\","
	  "\"jku\":\"http://127.0.0.1:1/jwks.json\"}",
	  K_TRUSTED, S_RSA, GH_ERR_TOKEN },
	{ "crit present",
	  "{\"alg\":\"RS256\",\"kid\":\"%1$s\",\"crit\":[\"exp\"]}",
	  K_TRUSTED, S_RSA, GH_ERR_TOKEN },
	{ "b64 false (unencoded payload)",
	  "{\"alg\":\"RS256\",\"kid\":\"%1$s\",\"b64\":false}",
	  K_TRUSTED, S_RSA, GH_ERR_TOKEN },
	{ "typ JWE-ish", "{\"alg\":\"RS256\",\"kid\":\"%1$s\","
	  "\"typ\":\"JOSE+JSON\"}", K_TRUSTED, S_RSA, GH_ERR_TOKEN },
	{ "header too deep", "{\"alg\":\"RS256\",\"kid\":\"%1$s\",\"typ\":"
	  "[[[[[[[[[[[[[[[[[[[[\"JWT\"]]]]]]]]]]]]]]]]]]]]}",
	  K_TRUSTED, S_RSA, GH_ERR_TOKEN },
	{ "header with trailing garbage",
	  "{\"alg\":\"RS256\",\"kid\":\"%1$s\"}x", K_TRUSTED, S_RSA,
	  GH_ERR_TOKEN },
	{ "header with two objects",
	  "{\"alg\":\"RS256\",\"kid\":\"%1$s\"}{}", K_TRUSTED, S_RSA,
	  GH_ERR_TOKEN },
	{ "header with single quotes (non-strict JSON)",
	  "{'alg':'RS256','kid':'%1$s'}", K_TRUSTED, S_RSA, GH_ERR_TOKEN },
	{ "header an array", "[\"RS256\",\"%1$s\"]", K_TRUSTED, S_RSA,
	  GH_ERR_TOKEN },
	{ "header not JSON", "RS256 %1$s", K_TRUSTED, S_RSA,
	  GH_ERR_TOKEN },
	{ "header invalid UTF-8",
	  "{\"alg\":\"RS256\",\"kid\":\"%1$s\",\"typ\":\"\xff\xfe\"}",
	  K_TRUSTED, S_RSA, GH_ERR_TOKEN },
};

static int libjwt_control_ok;	/* the HS256 attack fools libjwt 1.10 */

static char *
hdr_token(const struct hdr_case *hc, const char *n_foreign)
{
	json_object	*c = base_claims("id");
	unsigned char	 mac[GH_SHA256_LEN], zero[256];
	char		*h, *t, *signing_input, *sig, *pem, *dot;
	EVP_PKEY	*k = hc->key == K_TRUSTED ?
			    gh_keys_current(trusted) : foreign;

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
	if (asprintf(&h, hc->fmt, gh_keys_current_kid(trusted), foreign_kid,
	    n_foreign) < 0)
		abort();
#pragma GCC diagnostic pop
	switch (hc->sig) {
	case S_RSA:
		t = sign_raw(k, h, js(c));
		break;
	case S_EMPTY:
		t = assemble(h, js(c), "");
		break;
	case S_ZERO:
		memset(zero, 0, sizeof(zero));
		sig = b64s(zero, sizeof(zero));
		t = assemble(h, js(c), sig);
		free(sig);
		break;
	case S_HMAC_PEM:
		t = assemble(h, js(c), "");
		signing_input = strdup(t);
		dot = strrchr(signing_input, '.');
		*dot = '\0';
		pem = public_pem(gh_keys_current(trusted));
		if (gh_hmac_sha256(pem, strlen(pem), signing_input,
		    strlen(signing_input), mac) != GH_OK)
			abort();
		sig = b64s(mac, sizeof(mac));
		free(t);
		if (asprintf(&t, "%s.%s", signing_input, sig) < 0)
			abort();
		/* Control: a naive verifier (libjwt 1.10, which trusts the
		 * header's alg) accepts this very token, so our refusal
		 * below is a real defence, not a malformed input. */
		if (strstr(hc->fmt, "HS256") != NULL) {
			jwt_t	*jwt = NULL;

			if (jwt_decode(&jwt, t, (const unsigned char *)pem,
			    (int)strlen(pem)) == 0)
				libjwt_control_ok = 1;
			jwt_free(jwt);
		}
		free(pem);
		free(sig);
		free(signing_input);
		break;
	default:
		abort();
	}
	free(h);
	json_object_put(c);
	return t;
}

static void
run_hdr_cases(struct gh_verifier *v)
{
	json_object	*claims;
	char		*tok, *n = NULL, *e = NULL;
	const char	*msg;
	size_t		 i;
	enum gh_err	 err;

	if (gh_keys_rsa_jwk_ne(foreign, &n, &e) != GH_OK)
		abort();
	for (i = 0; i < sizeof(hdr_cases) / sizeof(hdr_cases[0]); i++) {
		tok = hdr_token(&hdr_cases[i], n);
		claims = NULL;
		err = gh_verify(v, tok, GH_TOKEN_ID, NOW, &claims);
		msg = gh_verifier_errmsg(v);
		if (getenv("GH_TEST_VERBOSE") != NULL)
			fprintf(stderr, "%-50s %s\n", hdr_cases[i].name, msg);
		CHECK(err == hdr_cases[i].want, "%s: got %s (%s)",
		    hdr_cases[i].name, gh_strerror(err), msg);
		CHECK((err == GH_OK) == (claims != NULL),
		    "%s: claims iff success", hdr_cases[i].name);
		/* The message never echoes token content. */
		CHECK(strstr(msg, "passwd") == NULL &&
		    strstr(msg, "UNION") == NULL &&
		    strstr(msg, gh_keys_current_kid(trusted)) == NULL,
		    "%s: message safe to log", hdr_cases[i].name);
		json_object_put(claims);
		free(tok);
	}
	CHECK(libjwt_control_ok, "control: libjwt accepts the HS256 forgery");
	free(n);
	free(e);
}

/* ---- malformed token strings -------------------------------------- */

static void
run_raw_cases(struct gh_verifier *v)
{
	json_object	*c = base_claims("id"), *claims = NULL;
	char		*h = std_header(gh_keys_current_kid(trusted));
	char		*good = sign_raw(gh_keys_current(trusted), h, js(c));
	char		*t, *p, *big;
	size_t		 i, len = strlen(good);
	const char	*d1 = strchr(good, '.'), *d2 = strrchr(good, '.');
	struct {
		const char	*name;
		char		*tok;
		enum gh_err	 want;
	} cases[48];
	size_t		 n = 0;

#define ADD(nm, t_, w) do {						\
	cases[n].name = (nm);						\
	cases[n].tok = (t_);						\
	cases[n].want = (w);						\
	n++;								\
} while (0)
#define DUP(s) strdup(s)

	ADD("the good token itself", DUP(good), GH_OK);
	ADD("empty string", DUP(""), GH_ERR_TOKEN);
	ADD("no dots", DUP("abcdef"), GH_ERR_TOKEN);
	ADD("only dots", DUP(".."), GH_ERR_TOKEN);
	ADD("garbage segments", DUP("!!!.???.###"), GH_ERR_TOKEN);
	ADD("base64 garbage", DUP("YWJj.ZGVm.Z2hp"), GH_ERR_TOKEN);
	if (asprintf(&t, "%.*s", (int)(d2 - good), good) < 0)
		abort();
	ADD("too few dots (signature dropped)", t, GH_ERR_TOKEN);
	if (asprintf(&t, "%s.", good) < 0)
		abort();
	ADD("too many dots (trailing)", t, GH_ERR_TOKEN);
	if (asprintf(&t, "%s.%s", good, d2 + 1) < 0)
		abort();
	ADD("four segments", t, GH_ERR_TOKEN);
	if (asprintf(&t, "%.*s.%s", (int)(d1 - good), good, d2) < 0)
		abort();
	ADD("empty payload segment", t, GH_ERR_TOKEN);
	if (asprintf(&t, "%s", d1) < 0)
		abort();
	ADD("empty header segment", t, GH_ERR_TOKEN);
	if (asprintf(&t, "%.*s=%s", (int)(d1 - good), good, d1) < 0)
		abort();
	ADD("padding in the header", t, GH_ERR_TOKEN);
	if (asprintf(&t, "%s==", good) < 0)
		abort();
	ADD("padding in the signature", t, GH_ERR_TOKEN);
	if (asprintf(&t, " %s", good) < 0)
		abort();
	ADD("leading space", t, GH_ERR_TOKEN);
	if (asprintf(&t, "%s\n", good) < 0)
		abort();
	ADD("trailing newline", t, GH_ERR_TOKEN);
	if (asprintf(&t, "%.*s", (int)(len - 4), good) < 0)
		abort();
	ADD("truncated signature", t, GH_ERR_TOKEN);
	/* A well-formed signature three bytes short. */
	{
		unsigned char	 sb[512];
		size_t		 sl;
		char		*s3;

		if (gh_b64url_decode_buf(d2 + 1, strlen(d2 + 1), sb,
		    sizeof(sb), &sl) != GH_OK)
			abort();
		s3 = b64s(sb, sl - 3);
		if (asprintf(&t, "%.*s.%s", (int)(d2 - good), good, s3) < 0)
			abort();
		free(s3);
		ADD("signature three bytes short", t, GH_ERR_TOKEN);
	}
	/* Standard base64 alphabet in the signature. */
	t = DUP(good);
	for (p = t + (d2 - good) + 1; *p != '\0'; p++)
		if (*p == '-' || *p == '_')
			break;
	if (*p != '\0') {
		*p = *p == '-' ? '+' : '/';
		ADD("standard base64 alphabet", t, GH_ERR_TOKEN);
	} else
		free(t);
	/* Edited claims, signature kept: sub changed. */
	{
		json_object	*c2 = base_claims("id");
		char		*bp;

		json_object_object_add(c2, "sub",
		    json_object_new_string("admin-sub"));
		bp = b64s(js(c2), strlen(js(c2)));
		if (asprintf(&t, "%.*s.%s%s", (int)(d1 - good), good, bp,
		    d2) < 0)
			abort();
		ADD("edited claims (sub), old signature", t, GH_ERR_TOKEN);
		free(bp);
		json_object_put(c2);
	}
	/* Edited claims: role raised, signature kept. */
	{
		json_object	*c2 = base_claims("id");
		char		*bp;

		json_object_object_add(c2, "custom:role",
		    json_object_new_string("admin"));
		bp = b64s(js(c2), strlen(js(c2)));
		if (asprintf(&t, "%.*s.%s%s", (int)(d1 - good), good, bp,
		    d2) < 0)
			abort();
		ADD("edited claims (role), old signature", t, GH_ERR_TOKEN);
		free(bp);
		json_object_put(c2);
	}
	/* Signed garbage payloads: authenticated but not a claims object. */
	ADD("signed payload not JSON",
	    sign_raw(gh_keys_current(trusted), h, "hello"), GH_ERR_TOKEN);
	ADD("signed payload an array",
	    sign_raw(gh_keys_current(trusted), h, "[1,2,3]"), GH_ERR_TOKEN);
	{
		char	*pl;

		if (asprintf(&pl, "%s garbage", js(c)) < 0)
			abort();
		ADD("signed payload with trailing data",
		    sign_raw(gh_keys_current(trusted), h, pl), GH_ERR_TOKEN);
		free(pl);
	}
	/* Oversized: a validly signed token past the length limit. */
	{
		json_object	*c2 = base_claims("id");

		big = malloc(GH_VERIFY_MAX_TOKEN);
		memset(big, 'a', GH_VERIFY_MAX_TOKEN - 1);
		big[GH_VERIFY_MAX_TOKEN - 1] = '\0';
		json_object_object_add(c2, "padding",
		    json_object_new_string(big));
		ADD("oversized token (valid signature)",
		    sign_raw(gh_keys_current(trusted), h, js(c2)),
		    GH_ERR_TOKEN);
		json_object_put(c2);
		free(big);
		big = malloc(GH_VERIFY_MAX_TOKEN * 4);
		memset(big, 'A', GH_VERIFY_MAX_TOKEN * 4 - 1);
		big[GH_VERIFY_MAX_TOKEN * 4 - 1] = '\0';
		big[100] = big[200] = '.';
		ADD("oversized garbage", big, GH_ERR_TOKEN);
	}

	for (i = 0; i < n; i++) {
		claims = NULL;
		CHECK(gh_verify(v, cases[i].tok, GH_TOKEN_ID, NOW, &claims) ==
		    cases[i].want, "%s (%s)", cases[i].name,
		    gh_verifier_errmsg(v));
		if (getenv("GH_TEST_VERBOSE") != NULL)
			fprintf(stderr, "%-50s %s\n", cases[i].name,
			    gh_verifier_errmsg(v));
		json_object_put(claims);
		free(cases[i].tok);
	}
	CHECK(gh_verify(v, NULL, GH_TOKEN_ID, NOW, NULL) == GH_ERR_TOKEN,
	    "NULL token");
	CHECK(gh_verify(v, good, GH_TOKEN_USE__MAX, NOW, NULL) ==
	    GH_ERR_INVAL, "bad use");
	free(good);
	free(h);
	json_object_put(c);
#undef ADD
#undef DUP
}

/* ---- happy paths through gh_jwt_sign ------------------------------ */

static void
run_happy(struct gh_verifier *v)
{
	json_object	*c, *claims = NULL, *m;
	char		*tok = NULL, *hdr = NULL;
	unsigned char	*raw = NULL;
	size_t		 rawlen;

	c = base_claims("id");
	CHECK(gh_jwt_sign(trusted, c, GH_JWT_HEADER_COGNITO, &tok) == GH_OK,
	    "sign id token (Cognito header)");
	hdr = strndup(tok, strcspn(tok, "."));
	CHECK(gh_b64url_decode(hdr, strlen(hdr), &raw, &rawlen) == GH_OK &&
	    strncmp((char *)raw, "{\"kid\":\"", 8) == 0 &&
	    strstr((char *)raw, "\"alg\":\"RS256\"}") != NULL,
	    "Cognito header shape {kid, alg}");
	free(raw);
	free(hdr);
	CHECK(gh_verify(v, tok, GH_TOKEN_ID, NOW, &claims) == GH_OK,
	    "verify signed id token (%s)", gh_verifier_errmsg(v));
	CHECK(claims != NULL && json_object_object_get_ex(claims, "email",
	    &m) && strcmp(json_object_get_string(m), "alice@example.com") == 0,
	    "claims come back");
	json_object_put(claims);
	claims = NULL;
	CHECK(gh_verify(v, tok, GH_TOKEN_ID, NOW + 3599, NULL) == GH_OK,
	    "valid one second before exp");
	CHECK(gh_verify(v, tok, GH_TOKEN_ID, NOW + 3600, NULL) ==
	    GH_ERR_EXPIRED && strstr(gh_verifier_errmsg(v), "expired") !=
	    NULL, "expired at exp, message says so");
	CHECK(gh_verify(v, tok, GH_TOKEN_ID, NOW, NULL) == GH_OK &&
	    gh_verifier_errmsg(v)[0] == '\0', "message cleared on success");
	free(tok);
	tok = NULL;
	json_object_put(c);

	c = base_claims("access");
	CHECK(gh_jwt_sign(trusted, c, GH_JWT_HEADER_JWT, &tok) == GH_OK,
	    "sign access token (JWT header)");
	hdr = strndup(tok, strcspn(tok, "."));
	CHECK(gh_b64url_decode(hdr, strlen(hdr), &raw, &rawlen) == GH_OK &&
	    strncmp((char *)raw, "{\"alg\":\"RS256\",\"kid\":\"", 22) == 0 &&
	    strstr((char *)raw, "\"typ\":\"JWT\"}") != NULL,
	    "JWT header shape {alg, kid, typ}");
	free(raw);
	free(hdr);
	CHECK(gh_verify(v, tok, GH_TOKEN_ACCESS, NOW, NULL) == GH_OK,
	    "verify signed access token (%s)", gh_verifier_errmsg(v));
	free(tok);
	json_object_put(c);

	c = json_object_new_array();
	CHECK(gh_jwt_sign(trusted, c, GH_JWT_HEADER_JWT, &tok) ==
	    GH_ERR_INVAL, "sign refuses non-object claims");
	json_object_put(c);
}

/* ---- rotation in embedded mode ------------------------------------ */

static char *
signed_by_current(const char *dir, const char *use)
{
	struct gh_keys	*k = NULL;
	json_object	*c = base_claims(use);
	char		*t = NULL;

	if (gh_keys_load(dir, 0, &k) != GH_OK ||
	    gh_jwt_sign(k, c, GH_JWT_HEADER_COGNITO, &t) != GH_OK)
		abort();
	gh_keys_free(k);
	json_object_put(c);
	return t;
}

static void
run_rotation(void)
{
	struct gh_verifier	*v = NULL, *slow = NULL;
	struct gh_verifier_cfg	 cfg = { 0 };
	char			*dir, *ta, *tb, *tc, *tf;
	json_object		*c;
	char			*h;

	if (asprintf(&dir, "%s/rot", base) < 0 ||
	    gh_keys_rotate(dir, 0, NULL) != GH_OK)
		abort();
	cfg.issuer = ISS;
	cfg.client_id = CID;
	cfg.keys_dir = dir;
	if (gh_verifier_new(&cfg, &v) != GH_OK)
		abort();
	cfg.reload_ms = 3600 * 1000;
	if (gh_verifier_new(&cfg, &slow) != GH_OK)
		abort();

	ta = signed_by_current(dir, "id");
	CHECK(gh_verify(v, ta, GH_TOKEN_ID, NOW, NULL) == GH_OK,
	    "key A verifies");
	CHECK(gh_verify(slow, ta, GH_TOKEN_ID, NOW, NULL) == GH_OK &&
	    gh_verifier_nloads(slow) == 1, "slow verifier loaded once");

	/* Unknown kids do not make a rate-limited verifier re-read an
	 * unchanged key file. */
	c = base_claims("id");
	h = std_header(foreign_kid);
	tf = sign_raw(foreign, h, js(c));
	free(h);
	json_object_put(c);
	CHECK(gh_verify(slow, tf, GH_TOKEN_ID, NOW, NULL) == GH_ERR_TOKEN &&
	    gh_verify(slow, tf, GH_TOKEN_ID, NOW, NULL) == GH_ERR_TOKEN &&
	    gh_verify(slow, tf, GH_TOKEN_ID, NOW, NULL) == GH_ERR_TOKEN &&
	    gh_verifier_nloads(slow) == 1,
	    "unknown kid on an unchanged file: no reload (%lu)",
	    gh_verifier_nloads(slow));

	if (gh_keys_rotate(dir, 0, NULL) != GH_OK)
		abort();
	tb = signed_by_current(dir, "id");
	CHECK(gh_verify(v, tb, GH_TOKEN_ID, NOW, NULL) == GH_OK,
	    "after rotation: new key B verifies (%s)", gh_verifier_errmsg(v));
	CHECK(gh_verify(v, ta, GH_TOKEN_ID, NOW, NULL) == GH_OK,
	    "after rotation: previous key A still verifies");
	CHECK(gh_verifier_nkeys(v) == 2, "two keys trusted");
	CHECK(gh_verify(slow, tb, GH_TOKEN_ID, NOW, NULL) == GH_OK &&
	    gh_verifier_nloads(slow) == 2,
	    "a changed key file is re-read despite the rate limit");

	if (gh_keys_rotate(dir, 0, NULL) != GH_OK)
		abort();
	tc = signed_by_current(dir, "id");
	CHECK(gh_verify(v, tc, GH_TOKEN_ID, NOW, NULL) == GH_OK,
	    "second rotation: key C verifies");
	CHECK(gh_verify(v, tb, GH_TOKEN_ID, NOW, NULL) == GH_OK,
	    "second rotation: key B still verifies");
	CHECK(gh_verify(v, ta, GH_TOKEN_ID, NOW, NULL) == GH_ERR_TOKEN,
	    "second rotation: dropped key A no longer verifies");

	free(ta);
	free(tb);
	free(tc);
	free(tf);
	gh_verifier_free(slow);
	gh_verifier_free(v);
	free(dir);
}

/* ---- the verified-token cache -------------------------------------- */

/* tok with its last character changed to another base64url character. */
static char *
tampered(const char *tok)
{
	char	*t = strdup(tok);
	size_t	 n = strlen(t);

	if (t == NULL || n == 0)
		abort();
	t[n - 1] = t[n - 1] == 'A' ? 'B' : 'A';
	return t;
}

static void
run_cache(void)
{
	struct gh_verifier	*v = NULL;
	struct gh_verifier_cfg	 cfg = { 0 };
	json_object		*c, *claims = NULL, *m;
	char			*dir, *t, *bad, *ta, *tb, *tc, *h, *big;
	unsigned long		 hits;
	size_t			 n;

	cfg.issuer = ISS;
	cfg.client_id = CID;
	cfg.keys_dir = keydir;
	if (gh_verifier_new(&cfg, &v) != GH_OK)
		abort();
	c = base_claims("id");
	if (gh_jwt_sign(trusted, c, GH_JWT_HEADER_COGNITO, &t) != GH_OK)
		abort();
	json_object_put(c);

	CHECK(gh_verify(v, t, GH_TOKEN_ID, NOW, NULL) == GH_OK &&
	    gh_verifier_nhits(v) == 0, "cache: first verify is a full one");
	CHECK(gh_verify(v, t, GH_TOKEN_ID, NOW + 1, &claims) == GH_OK &&
	    gh_verifier_nhits(v) == 1, "cache: the same token again is a hit");
	CHECK(claims != NULL && json_object_object_get_ex(claims, "email",
	    &m) && strcmp(json_object_get_string(m), "alice@example.com") == 0,
	    "cache: a hit hands back the claims");
	json_object_put(claims);
	claims = NULL;

	/* Expiry is checked again on every hit. */
	CHECK(gh_verify(v, t, GH_TOKEN_ID, NOW + 3600, NULL) ==
	    GH_ERR_EXPIRED && strstr(gh_verifier_errmsg(v), "expired") != NULL,
	    "cache: a cached token is refused once expired");
	CHECK(gh_verify(v, t, GH_TOKEN_ID, NOW + 7200, NULL) == GH_ERR_EXPIRED,
	    "cache: and stays refused");
	/* So are iat and nbf (a clock that stepped back). */
	CHECK(gh_verify(v, t, GH_TOKEN_ID, NOW, NULL) == GH_OK &&
	    gh_verify(v, t, GH_TOKEN_ID, NOW - 200, NULL) == GH_ERR_TOKEN &&
	    strstr(gh_verifier_errmsg(v), "future") != NULL,
	    "cache: iat is checked again against the new now");

	/* The wrong use is refused even for a cached token. */
	CHECK(gh_verify(v, t, GH_TOKEN_ID, NOW, NULL) == GH_OK &&
	    gh_verify(v, t, GH_TOKEN_ID, NOW, NULL) == GH_OK,
	    "cache: id token cached");
	hits = gh_verifier_nhits(v);
	CHECK(gh_verify(v, t, GH_TOKEN_ACCESS, NOW, NULL) == GH_ERR_TOKEN &&
	    strstr(gh_verifier_errmsg(v), "token_use") != NULL &&
	    gh_verifier_nhits(v) == hits,
	    "cache: a cached id token is still refused as an access token");

	/* An entry serves only its own bytes: same length, same prefix. */
	bad = tampered(t);
	CHECK(strlen(bad) == strlen(t) && gh_verify(v, bad, GH_TOKEN_ID, NOW,
	    NULL) == GH_ERR_TOKEN && gh_verify(v, bad, GH_TOKEN_ID, NOW,
	    NULL) == GH_ERR_TOKEN && gh_verifier_nhits(v) == hits,
	    "cache: a token differing in its last byte is verified, refused");
	free(bad);
	n = strlen(t);
	t[n - 1] = '\0';
	CHECK(gh_verify(v, t, GH_TOKEN_ID, NOW, NULL) == GH_ERR_TOKEN &&
	    gh_verifier_nhits(v) == hits,
	    "cache: a prefix of a cached token is refused");
	free(t);

	/* Failures are never cached: a forged token costs a verify each time. */
	c = base_claims("id");
	h = std_header(foreign_kid);
	big = sign_raw(foreign, h, js(c));
	free(h);
	json_object_put(c);
	CHECK(gh_verify(v, big, GH_TOKEN_ID, NOW, NULL) == GH_ERR_TOKEN &&
	    gh_verify(v, big, GH_TOKEN_ID, NOW, NULL) == GH_ERR_TOKEN &&
	    gh_verifier_nhits(v) == hits, "cache: failures are not cached");
	free(big);
	gh_verifier_free(v);
	v = NULL;

	/* Key rotation that drops the key invalidates its cached tokens. */
	if (asprintf(&dir, "%s/cache-rot", base) < 0 ||
	    gh_keys_rotate(dir, 0, NULL) != GH_OK)
		abort();
	cfg.keys_dir = dir;
	if (gh_verifier_new(&cfg, &v) != GH_OK)
		abort();
	ta = signed_by_current(dir, "id");
	CHECK(gh_verify(v, ta, GH_TOKEN_ID, NOW, NULL) == GH_OK &&
	    gh_verify(v, ta, GH_TOKEN_ID, NOW, NULL) == GH_OK &&
	    gh_verifier_nhits(v) == 1, "cache rotation: key A's token cached");
	if (gh_keys_rotate(dir, 0, NULL) != GH_OK)
		abort();
	tb = signed_by_current(dir, "id");
	if (gh_keys_rotate(dir, 0, NULL) != GH_OK)
		abort();
	tc = signed_by_current(dir, "id");
	hits = gh_verifier_nhits(v);
	CHECK(gh_verify(v, tc, GH_TOKEN_ID, NOW, NULL) == GH_OK &&
	    gh_verifier_nkeys(v) == 2, "cache rotation: key C loaded (B, C)");
	CHECK(gh_verify(v, ta, GH_TOKEN_ID, NOW, NULL) == GH_ERR_TOKEN &&
	    gh_verifier_nhits(v) == hits,
	    "cache rotation: key A removed, its cached token is refused");
	CHECK(gh_verify(v, tb, GH_TOKEN_ID, NOW, NULL) == GH_OK,
	    "cache rotation: key B's token verifies");
	free(ta);
	free(tb);
	free(tc);
	gh_verifier_free(v);
	free(dir);
}

/* ---- JWKS URL mode against a loopback HTTP server ----------------- */

static pid_t		 srv_pid = -1;
static int		 srv_port;
static volatile int	*srv_hits;

/* Serves the file doc to every request until killed (or 60 s pass). */
static void
server_start(const char *doc)
{
	struct sockaddr_in	 sa;
	socklen_t		 slen = sizeof(sa);
	int			 fd, one = 1;

	srv_hits = mmap(NULL, sizeof(int), PROT_READ | PROT_WRITE,
	    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (srv_hits == MAP_FAILED)
		abort();
	*srv_hits = 0;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 16) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &slen) != 0)
		abort();
	srv_port = ntohs(sa.sin_port);
	if ((srv_pid = fork()) < 0)
		abort();
	if (srv_pid > 0) {
		close(fd);
		return;
	}
	alarm(60);	/* stops by itself whatever happens */
	for (;;) {
		char	 req[4096], hdr[256], *body = NULL;
		size_t	 got = 0, blen = 0;
		ssize_t	 r;
		int	 c;
		FILE	*f;

		if ((c = accept(fd, NULL, NULL)) < 0)
			continue;
		while (got < sizeof(req) - 1 &&
		    (r = read(c, req + got, sizeof(req) - 1 - got)) > 0) {
			got += (size_t)r;
			req[got] = '\0';
			if (strstr(req, "\r\n\r\n") != NULL)
				break;
		}
		(*srv_hits)++;
		if ((f = fopen(doc, "r")) != NULL) {
			body = malloc(1024 * 1024);
			blen = fread(body, 1, 1024 * 1024, f);
			fclose(f);
			snprintf(hdr, sizeof(hdr), "HTTP/1.1 200 OK\r\n"
			    "Content-Type: application/json\r\n"
			    "Content-Length: %zu\r\nConnection: close\r\n\r\n",
			    blen);
		} else
			snprintf(hdr, sizeof(hdr), "HTTP/1.1 404 Not Found\r\n"
			    "Content-Length: 0\r\nConnection: close\r\n\r\n");
		if (write(c, hdr, strlen(hdr)) < 0 ||
		    (blen > 0 && write(c, body, blen) < 0)) {
			/* client went away: fine */
		}
		free(body);
		close(c);
	}
}

static void
server_stop(void)
{
	int	 status;

	if (srv_pid > 0) {
		kill(srv_pid, SIGTERM);
		waitpid(srv_pid, &status, 0);
		srv_pid = -1;
	}
	munmap((void *)srv_hits, sizeof(int));
}

static void
write_jwks(const char *doc, const char *dir)
{
	struct gh_keys	*k = NULL;
	char		*json = NULL;

	if (gh_keys_load(dir, 0, &k) != GH_OK ||
	    gh_keys_jwks(k, &json) != GH_OK ||
	    ct_write_file(doc, json, strlen(json), 0644) != 0)
		abort();
	free(json);
	gh_keys_free(k);
}

static struct gh_verifier *
url_verifier(const char *path, long refetch_ms)
{
	struct gh_verifier	*v = NULL;
	struct gh_verifier_cfg	 cfg = { 0 };
	char			*url;

	if (asprintf(&url, "http://127.0.0.1:%d%s", srv_port, path) < 0)
		abort();
	cfg.issuer = ISS;
	cfg.client_id = CID;
	cfg.jwks_url = url;
	cfg.refetch_ms = refetch_ms;
	cfg.timeout_ms = 3000;
	if (gh_verifier_new(&cfg, &v) != GH_OK)
		abort();
	free(url);
	return v;
}

static void
run_jwks_url(void)
{
	struct gh_verifier	*v = NULL, *eager = NULL;
	char			*dir, *doc, *ta, *tb, *tf, *h, *json;
	char			*n = NULL, *e = NULL, *sn = NULL, *se = NULL;
	EVP_PKEY		*small = NULL;
	json_object		*c;
	int			 hits;

	if (asprintf(&dir, "%s/url", base) < 0 ||
	    asprintf(&doc, "%s/jwks.json", base) < 0 ||
	    gh_keys_rotate(dir, 0, NULL) != GH_OK)
		abort();
	write_jwks(doc, dir);
	server_start(doc);

	v = url_verifier("/idp/pool/.well-known/jwks.json", 3600 * 1000);
	ta = signed_by_current(dir, "access");
	CHECK(gh_verify(v, ta, GH_TOKEN_ACCESS, NOW, NULL) == GH_OK,
	    "JWKS URL: token verifies (%s)", gh_verifier_errmsg(v));
	CHECK(*srv_hits == 1, "JWKS fetched once (%d)", *srv_hits);
	CHECK(gh_verify(v, ta, GH_TOKEN_ACCESS, NOW, NULL) == GH_OK &&
	    *srv_hits == 1, "JWKS cached");

	c = base_claims("access");
	h = std_header(foreign_kid);
	tf = sign_raw(foreign, h, js(c));
	free(h);
	json_object_put(c);
	CHECK(gh_verify(v, tf, GH_TOKEN_ACCESS, NOW, NULL) == GH_ERR_TOKEN &&
	    gh_verify(v, tf, GH_TOKEN_ACCESS, NOW, NULL) == GH_ERR_TOKEN,
	    "JWKS URL: unknown key refused");
	CHECK(*srv_hits == 1, "unknown kid: no re-fetch within the interval "
	    "(%d)", *srv_hits);

	/* Rotation seen by a verifier without rate limit. */
	eager = url_verifier("/jwks.json", -1);
	CHECK(gh_verify(eager, ta, GH_TOKEN_ACCESS, NOW, NULL) == GH_OK,
	    "eager verifier: A");
	hits = *srv_hits;
	if (gh_keys_rotate(dir, 0, NULL) != GH_OK)
		abort();
	write_jwks(doc, dir);
	tb = signed_by_current(dir, "access");
	CHECK(gh_verify(eager, tb, GH_TOKEN_ACCESS, NOW, NULL) == GH_OK &&
	    *srv_hits == hits + 1, "unknown kid re-fetches the JWKS (B)");
	CHECK(gh_verify(eager, ta, GH_TOKEN_ACCESS, NOW, NULL) == GH_OK,
	    "previous key still in the JWKS");
	CHECK(gh_verify(v, tb, GH_TOKEN_ACCESS, NOW, NULL) == GH_ERR_TOKEN,
	    "rate-limited verifier does not see B yet");
	gh_verifier_free(eager);
	gh_verifier_free(v);

	/* A JWKS with no usable key: an HMAC key under our kid, an RS512
	 * key, an encryption key and a 1024-bit key. */
	if (gh_keys_rsa_jwk_ne(foreign, &n, &e) != GH_OK ||
	    (small = EVP_RSA_gen(1024)) == NULL ||
	    gh_keys_rsa_jwk_ne(small, &sn, &se) != GH_OK)
		abort();
	if (asprintf(&json, "{\"keys\":["
	    "{\"kty\":\"oct\",\"kid\":\"%1$s\",\"k\":\"c2VjcmV0\"},"
	    "{\"kty\":\"RSA\",\"kid\":\"%1$s\",\"alg\":\"RS512\","
	    "\"n\":\"%2$s\",\"e\":\"%3$s\"},"
	    "{\"kty\":\"RSA\",\"kid\":\"%1$s\",\"use\":\"enc\","
	    "\"n\":\"%2$s\",\"e\":\"%3$s\"},"
	    "{\"kty\":\"RSA\",\"kid\":\"%1$s\",\"n\":\"%4$s\","
	    "\"e\":\"%5$s\"}]}", foreign_kid, n, e, sn, se) < 0)
		abort();
	ct_write_file(doc, json, strlen(json), 0644);
	free(json);
	v = url_verifier("/jwks.json", -1);
	CHECK(gh_verify(v, tf, GH_TOKEN_ACCESS, NOW, NULL) == GH_ERR_CRYPTO,
	    "JWKS without a usable RS256 key (%s)", gh_verifier_errmsg(v));
	gh_verifier_free(v);

	/* The same document plus the foreign key done right: only that
	 * one is used. */
	if (asprintf(&json, "{\"keys\":["
	    "{\"kty\":\"oct\",\"kid\":\"%1$s\",\"k\":\"c2VjcmV0\"},"
	    "{\"kty\":\"RSA\",\"kid\":\"%1$s\",\"use\":\"sig\","
	    "\"alg\":\"RS256\",\"n\":\"%2$s\",\"e\":\"%3$s\"}]}",
	    foreign_kid, n, e) < 0)
		abort();
	ct_write_file(doc, json, strlen(json), 0644);
	free(json);
	v = url_verifier("/jwks.json", -1);
	CHECK(gh_verify(v, tf, GH_TOKEN_ACCESS, NOW, NULL) == GH_OK &&
	    gh_verifier_nkeys(v) == 1, "JWKS: only the RS256 key is kept");
	gh_verifier_free(v);

	/* Oversized document. */
	json = malloc(300 * 1024);
	memset(json, ' ', 300 * 1024);
	memcpy(json, "{\"keys\":[]}", 11);
	ct_write_file(doc, json, 300 * 1024, 0644);
	free(json);
	v = url_verifier("/jwks.json", -1);
	CHECK(gh_verify(v, ta, GH_TOKEN_ACCESS, NOW, NULL) == GH_ERR_IO,
	    "oversized JWKS refused (%s)", gh_verifier_errmsg(v));
	gh_verifier_free(v);

	/* 404. */
	unlink(doc);
	v = url_verifier("/jwks.json", -1);
	CHECK(gh_verify(v, ta, GH_TOKEN_ACCESS, NOW, NULL) == GH_ERR_IO &&
	    strstr(gh_verifier_errmsg(v), "404") != NULL,
	    "JWKS 404 (%s)", gh_verifier_errmsg(v));
	gh_verifier_free(v);

	server_stop();

	/* Nobody listening. */
	v = url_verifier("/jwks.json", -1);
	CHECK(gh_verify(v, ta, GH_TOKEN_ACCESS, NOW, NULL) == GH_ERR_IO,
	    "JWKS unreachable (%s)", gh_verifier_errmsg(v));
	gh_verifier_free(v);

	EVP_PKEY_free(small);
	free(n);
	free(e);
	free(sn);
	free(se);
	free(ta);
	free(tb);
	free(tf);
	free(doc);
	free(dir);
}

static void
run_config(void)
{
	struct gh_verifier	*v = NULL;
	struct gh_verifier_cfg	 cfg = { 0 };

	CHECK(gh_verifier_new(&cfg, &v) == GH_ERR_INVAL, "empty config");
	cfg.issuer = ISS;
	cfg.client_id = CID;
	CHECK(gh_verifier_new(&cfg, &v) == GH_ERR_INVAL, "no key source");
	cfg.keys_dir = keydir;
	cfg.jwks_url = "http://127.0.0.1:1/jwks.json";
	CHECK(gh_verifier_new(&cfg, &v) == GH_ERR_INVAL, "two key sources");
	cfg.jwks_url = NULL;
	cfg.issuer = "";
	CHECK(gh_verifier_new(&cfg, &v) == GH_ERR_INVAL, "empty issuer");
	CHECK(v == NULL, "no object on failure");
	gh_verifier_free(NULL);

	/* A keys directory that does not exist yet: I/O error, not a
	 * crash, and it recovers once the keys appear. */
	{
		char	*dir;

		if (asprintf(&dir, "%s/late", base) < 0)
			abort();
		cfg.issuer = ISS;
		cfg.keys_dir = dir;
		cfg.reload_ms = -1;
		if (gh_verifier_new(&cfg, &v) != GH_OK)
			abort();
		{
			char *t = signed_by_current(keydir, "id");

			CHECK(gh_verify(v, t, GH_TOKEN_ID, NOW, NULL) ==
			    GH_ERR_IO, "missing keys directory (%s)",
			    gh_verifier_errmsg(v));
			free(t);
		}
		if (gh_keys_rotate(dir, 0, NULL) != GH_OK)
			abort();
		{
			char *t = signed_by_current(dir, "id");

			CHECK(gh_verify(v, t, GH_TOKEN_ID, NOW, NULL) == GH_OK,
			    "keys appear later (%s)", gh_verifier_errmsg(v));
			free(t);
		}
		gh_verifier_free(v);
		free(dir);
	}
}

int
main(void)
{
	struct gh_verifier	*v = NULL;
	struct gh_verifier_cfg	 cfg = { 0 };

	base = ct_tmpdir("verify");
	if (asprintf(&keydir, "%s/keys", base) < 0 ||
	    gh_keys_load(keydir, GH_KEYS_CREATE, &trusted) != GH_OK ||
	    gh_keys_generate(0, &foreign) != GH_OK ||
	    gh_keys_kid_of(foreign, foreign_kid) != GH_OK)
		abort();
	cfg.issuer = ISS;
	cfg.client_id = CID;
	cfg.keys_dir = keydir;
	if (gh_verifier_new(&cfg, &v) != GH_OK)
		abort();

	run_claim_cases(v);
	run_hdr_cases(v);
	run_raw_cases(v);
	run_happy(v);
	gh_verifier_free(v);
	run_rotation();
	run_cache();
	run_jwks_url();
	run_config();

	EVP_PKEY_free(foreign);
	gh_keys_free(trusted);
	ct_rmtree(base);
	free(keydir);
	free(base);
	return ct_done();
}
