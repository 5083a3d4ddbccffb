/*
 * bench-verify.c: micro-benchmark of the token verifier.
 *
 * Prints verifies per second on one core for
 *   - raw:      EVP_DigestVerifyInit + EVP_DigestVerify on a cached EVP_PKEY
 *               and an already-decoded signature: the usual idiom, and the
 *               baseline the goal is stated against;
 *   - raw-ctx:  the cheaper primitive gh_verify itself uses: SHA-256 with a
 *               fetched EVP_MD, then EVP_PKEY_verify on an EVP_PKEY_CTX set
 *               up once per key (no per-call algorithm fetch): the floor;
 *   - gh_verify: the whole verifier on a realistic Cognito-shaped ID token
 *               (split, decode, header checks, kid lookup, signature, payload
 *               parse, every claim check, claims handed back and freed),
 *               cycling through NTOK distinct tokens so that none is
 *               answered from the verifier's cache of verified tokens;
 *   - gh_verify, repeated: one token again and again (the cache's hit);
 *   - libjwt:   jwt_decode of Debian's libjwt 1.10 with the PEM (context
 *               only: it re-parses the key every call and checks no claims);
 * and the ratios gh_verify cost / raw cost (goal: at most 1.3) and
 * gh_verify / raw-ctx (what parsing and the claim checks cost on top of the
 * signature check alone).  Times are process CPU time (best of ROUNDS
 * alternating rounds), so other load on a shared machine skews them less.
 *
 * Not part of make test: make bench builds it (build/<B>/bench/bench-verify)
 * and runs it after the wrk targets.
 * Run by hand: build/release/bench/bench-verify [seconds per round, default 0.5]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include "gh_crypto.h"
#include "gh_jwt.h"
#include "gh_keys.h"
#include "gh_verify.h"

#define ISS	"https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123"
#define CID	"3n4b5urk1ft4fl3mg5e62d9ado"
#define ROUNDS	10
#define NTOK	16	/* distinct tokens: more than the verifier caches */

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static json_object *
claims(time_t now)
{
	json_object	*c = json_object_new_object();

	json_object_object_add(c, "sub",
	    json_object_new_string("7d8ca528-4931-4254-9273-ea5ee853f271"));
	json_object_object_add(c, "email_verified",
	    json_object_new_boolean(1));
	json_object_object_add(c, "iss", json_object_new_string(ISS));
	json_object_object_add(c, "cognito:username",
	    json_object_new_string("alice@example.com"));
	json_object_object_add(c, "origin_jti",
	    json_object_new_string("4b1f9a5e-6c1d-4e8f-9a0b-2c3d4e5f6a7b"));
	json_object_object_add(c, "aud", json_object_new_string(CID));
	json_object_object_add(c, "event_id",
	    json_object_new_string("0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"));
	json_object_object_add(c, "token_use", json_object_new_string("id"));
	json_object_object_add(c, "auth_time",
	    json_object_new_int64((int64_t)now - 60));
	json_object_object_add(c, "custom:role",
	    json_object_new_string("partner"));
	json_object_object_add(c, "custom:company",
	    json_object_new_string("Example Widgets Ltd"));
	json_object_object_add(c, "exp",
	    json_object_new_int64((int64_t)now + 3600));
	json_object_object_add(c, "iat",
	    json_object_new_int64((int64_t)now - 60));
	json_object_object_add(c, "jti",
	    json_object_new_string("5c6d7e8f-9a0b-4c1d-8e2f-3a4b5c6d7e8f"));
	json_object_object_add(c, "email",
	    json_object_new_string("alice@example.com"));
	return c;
}

int
main(int argc, char *argv[])
{
	struct gh_keys		*keys = NULL;
	struct gh_verifier	*v = NULL;
	struct gh_verifier_cfg	 cfg = { 0 };
	json_object		*c, *out;
	EVP_MD_CTX		*ctx;
	EVP_PKEY		*pkey;
	const EVP_MD		*md = EVP_sha256();
	BIO			*bio;
	jwt_t			*jwt;
	char			 dir[] = "/tmp/gh-bench-XXXXXX";
	char			*tok = NULL, *pem, *cmd, *toks[NTOK], jti[40];
	unsigned char		 sig[1024];
	size_t			 siglen, inlen;
	double			 secs = argc > 1 ? atof(argv[1]) : 0.5;
	double			 t0, t, best_raw = 1e9, best_gh = 1e9, jwtcost;
	double			 best_ctx = 1e9, best_hit = 1e9;
	EVP_PKEY_CTX		*pctx;
	EVP_MD			*sha;
	EVP_MD_CTX		*dctx;
	unsigned char		 dg[EVP_MAX_MD_SIZE];
	unsigned int		 dglen;
	long			 n, i, r;
	time_t			 now = time(NULL);

	if (secs <= 0)
		secs = 0.5;
	if (mkdtemp(dir) == NULL ||
	    gh_keys_load(dir, GH_KEYS_CREATE, &keys) != GH_OK)
		return 1;
	c = claims(now);
	if (gh_jwt_sign(keys, c, GH_JWT_HEADER_COGNITO, &tok) != GH_OK)
		return 1;
	/* Distinct tokens, more than the verifier's cache holds: cycling
	 * through them, every gh_verify is a full one. */
	for (i = 0; i < NTOK; i++) {
		snprintf(jti, sizeof(jti), "bench-%ld", i);
		json_object_object_add(c, "jti", json_object_new_string(jti));
		toks[i] = NULL;
		if (gh_jwt_sign(keys, c, GH_JWT_HEADER_COGNITO, &toks[i]) != GH_OK)
			return 1;
	}
	json_object_put(c);
	cfg.issuer = ISS;
	cfg.client_id = CID;
	cfg.keys_dir = dir;
	if (gh_verifier_new(&cfg, &v) != GH_OK ||
	    gh_verify(v, tok, GH_TOKEN_ID, now, NULL) != GH_OK) {
		fprintf(stderr, "setup: %s\n", v ? gh_verifier_errmsg(v) : "");
		return 1;
	}

	/* Raw inputs: signing input and decoded signature. */
	pkey = gh_keys_current(keys);
	inlen = (size_t)(strrchr(tok, '.') - tok);
	if (gh_b64url_decode_buf(tok + inlen + 1, strlen(tok + inlen + 1),
	    sig, sizeof(sig), &siglen) != GH_OK)
		return 1;
	ctx = EVP_MD_CTX_new();
	dctx = EVP_MD_CTX_new();
	sha = EVP_MD_fetch(NULL, "SHA256", NULL);
	pctx = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
	if (ctx == NULL || dctx == NULL || sha == NULL || pctx == NULL ||
	    EVP_PKEY_verify_init(pctx) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(pctx, EVP_sha256()) != 1)
		return 1;

	printf("token: %zu bytes, RSA-%d, %d rounds of %.2f s each, best "
	    "round counts\n", strlen(tok), EVP_PKEY_get_bits(pkey), ROUNDS,
	    secs);

	/* Calibrate the iteration count to ~secs per round. */
	t0 = now_s();
	for (n = 0; now_s() - t0 < 0.1; n++) {
		EVP_MD_CTX_reset(ctx);
		EVP_DigestVerifyInit(ctx, NULL, md, NULL, pkey);
		EVP_DigestVerify(ctx, sig, siglen, (unsigned char *)tok, inlen);
	}
	n = (long)((double)n * secs / 0.1) + 1;

	/* Alternate the two so both see the same machine load. */
	for (r = 0; r < ROUNDS; r++) {
		t0 = now_s();
		for (i = 0; i < n; i++) {
			if (EVP_MD_CTX_reset(ctx) != 1 ||
			    EVP_DigestVerifyInit(ctx, NULL, md, NULL,
			    pkey) != 1 || EVP_DigestVerify(ctx, sig, siglen,
			    (unsigned char *)tok, inlen) != 1)
				return 1;
		}
		t = (now_s() - t0) / (double)n;
		best_raw = t < best_raw ? t : best_raw;

		t0 = now_s();
		for (i = 0; i < n; i++) {
			out = NULL;
			if (gh_verify(v, toks[i % NTOK], GH_TOKEN_ID, now,
			    &out) != GH_OK)
				return 1;
			json_object_put(out);
		}
		t = (now_s() - t0) / (double)n;
		best_gh = t < best_gh ? t : best_gh;

		t0 = now_s();
		for (i = 0; i < n; i++) {
			out = NULL;
			if (gh_verify(v, tok, GH_TOKEN_ID, now, &out) != GH_OK)
				return 1;
			json_object_put(out);
		}
		t = (now_s() - t0) / (double)n;
		best_hit = t < best_hit ? t : best_hit;

		t0 = now_s();
		for (i = 0; i < n; i++) {
			if (EVP_DigestInit_ex2(dctx, sha, NULL) != 1 ||
			    EVP_DigestUpdate(dctx, tok, inlen) != 1 ||
			    EVP_DigestFinal_ex(dctx, dg, &dglen) != 1 ||
			    EVP_PKEY_verify(pctx, sig, siglen, dg,
			    dglen) != 1)
				return 1;
		}
		t = (now_s() - t0) / (double)n;
		best_ctx = t < best_ctx ? t : best_ctx;
	}

	/* libjwt, for context (fewer iterations: it is slow). */
	bio = BIO_new(BIO_s_mem());
	PEM_write_bio_PUBKEY(bio, pkey);
	{
		char	*data;
		long	 len = BIO_get_mem_data(bio, &data);

		pem = strndup(data, (size_t)len);
	}
	BIO_free(bio);
	t0 = now_s();
	for (i = 0; i < n / 10 + 1; i++) {
		jwt = NULL;
		if (jwt_decode(&jwt, tok, (unsigned char *)pem,
		    (int)strlen(pem)) != 0)
			return 1;
		jwt_free(jwt);
	}
	jwtcost = (now_s() - t0) / (double)(n / 10 + 1);

	printf("raw EVP_DigestVerify (cached key): %9.0f verifies/s "
	    "(%.1f us)\n", 1 / best_raw, best_raw * 1e6);
	printf("raw-ctx EVP_PKEY_verify (cached):  %9.0f verifies/s "
	    "(%.1f us)\n", 1 / best_ctx, best_ctx * 1e6);
	printf("gh_verify (all checks, claims):    %9.0f verifies/s "
	    "(%.1f us)\n", 1 / best_gh, best_gh * 1e6);
	printf("gh_verify, a repeated token (cache):%8.0f verifies/s "
	    "(%.2f us)\n", 1 / best_hit, best_hit * 1e6);
	printf("libjwt 1.10 jwt_decode (PEM):      %9.0f verifies/s "
	    "(%.1f us)\n", 1 / jwtcost, jwtcost * 1e6);
	printf("ratio gh_verify/raw cost per token: %.3f (goal <= 1.300: "
	    "%s)\n", best_gh / best_raw, best_gh / best_raw <= 1.3 ?
	    "met" : "NOT met");
	printf("ratio gh_verify/raw-ctx cost per token: %.3f\n",
	    best_gh / best_ctx);

	free(pem);
	EVP_PKEY_CTX_free(pctx);
	EVP_MD_free(sha);
	EVP_MD_CTX_free(dctx);
	EVP_MD_CTX_free(ctx);
	gh_verifier_free(v);
	gh_keys_free(keys);
	free(tok);
	for (i = 0; i < NTOK; i++)
		free(toks[i]);
	if (asprintf(&cmd, "rm -rf '%s'", dir) >= 0) {
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
		free(cmd);
	}
	return 0;
}
