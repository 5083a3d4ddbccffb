/*
 * gh_verify.h: the token verifier every protected route uses.
 *
 * One long-lived object per process (or per thread: it is not thread-safe)
 * holds the trusted public keys, parsed once into EVP_PKEYs, and checks ID
 * and access tokens of the embedded pool or of an AWS Cognito pool:
 *
 *  - the algorithm is RS256, fixed in code: the header's "alg" must be
 *    exactly "RS256" or the token is refused; no other algorithm exists here;
 *  - the header may hold only "alg", "kid" and "typ" (if present, "JWT"):
 *    any other member (jku, jwk, x5u, x5c, x5t, crit, b64, zip, enc, ...) is
 *    refused outright, so nothing in a token can name, carry or alter a key;
 *  - "kid" is required and only chooses among keys we already trust (a JWKS
 *    fetched from the configured URL, or the local keys directory); it is
 *    compared as a string and never used as a path, URL or query;
 *  - the signature is checked (EVP_DigestVerify) before the payload is even
 *    parsed; then, all required and of the right JSON type:
 *      iss == configured issuer (exact), token_use == the route's,
 *      aud == client id (ID tokens, a string) or client_id == client id
 *      (access tokens), exp > now, iat <= now + leeway, nbf (if present)
 *      <= now + leeway, sub a non-empty string.
 *    The leeway (default GH_VERIFY_LEEWAY seconds) only forgives an issuer
 *    clock running ahead of ours; exp gets none.
 *  - parsing is strict: at most GH_VERIFY_MAX_TOKEN bytes, exactly three
 *    non-empty segments, strict base64url, strict UTF-8 JSON objects with a
 *    depth limit and nothing after them.
 *
 * Key sources:
 *  - JWKS URL (Cognito or a remote embedded pool): fetched with libcurl on
 *    first use, cached; an unknown kid triggers a re-fetch at most once per
 *    refetch interval (default 60 s; 5 s while no key was ever fetched),
 *    with timeouts and a size limit, http(s) only, no redirects.
 *  - keys directory (embedded mode): the public halves of current + previous
 *    (see gh_keys.h), re-read on an unknown kid when the key file changed or
 *    at most once per reload interval (default 1 s).
 *
 * Verified tokens are remembered (a few, per verifier): the same token bytes
 * presented again for the same use, under an unchanged key set, are not
 * re-verified; exp (and iat, nbf) are checked again against the new now, so
 * an expired token is refused as before.  Only successes are remembered.
 *
 * Ownership: gh_verifier_new gives an object freed with gh_verifier_free
 * (NULL ok); the configuration strings are copied.  gh_verify hands the
 * verified claims to the caller in *claims (a reference: release with
 * json_object_put).  They may be shared with the verifier's cache, so the
 * caller must not modify them.
 */
#ifndef GH_VERIFY_H
#define GH_VERIFY_H

#include <time.h>

#include <json-c/json.h>

#include "gh_err.h"

#define GH_VERIFY_MAX_TOKEN	16384	/* bytes of a compact JWT */
#define GH_VERIFY_LEEWAY	60	/* seconds of clock skew on iat/nbf */
#define GH_VERIFY_JSON_DEPTH	16	/* nesting limit of header/payload */

/* What a route expects: the "token_use" claim. */
enum gh_token_use {
	GH_TOKEN_ID = 0,	/* "id": aud is checked */
	GH_TOKEN_ACCESS,	/* "access": client_id is checked */
	GH_TOKEN_USE__MAX
};

/* "id" or "access". */
const char	*gh_token_use_str(enum gh_token_use use);

struct gh_verifier_cfg {
	const char	*issuer;	/* required: exact "iss" */
	const char	*client_id;	/* required: app client id */
	const char	*jwks_url;	/* exactly one of jwks_url ... */
	const char	*keys_dir;	/* ... and keys_dir */
	int		 leeway;	/* seconds; 0: GH_VERIFY_LEEWAY, <0: none */
	long		 refetch_ms;	/* min ms between JWKS fetches on an
					   unknown kid; 0: 60000; <0: no limit */
	long		 reload_ms;	/* min ms between forced key directory
					   reloads; 0: 1000; <0: no limit */
	long		 timeout_ms;	/* JWKS fetch total timeout; 0: 5000 */
};

struct gh_verifier;

/*
 * GH_ERR_INVAL if the configuration is incomplete.  Keys are not loaded
 * here (the pool may not have made them yet): the first gh_verify does.
 */
enum gh_err	 gh_verifier_new(const struct gh_verifier_cfg *cfg,
		    struct gh_verifier **out);
void		 gh_verifier_free(struct gh_verifier *v);

/*
 * Verifies token as a token of kind use at time now.  GH_OK: *claims (if
 * claims is not NULL) gets the payload object.  GH_ERR_EXPIRED: a genuine
 * token whose exp has passed.  GH_ERR_TOKEN: anything else wrong with the
 * token.  GH_ERR_IO / GH_ERR_CRYPTO: no key could be obtained (JWKS
 * unreachable, key file unreadable): the route should answer 401 all the same
 * and log the message.  GH_ERR_NOMEM: out of memory.  In every failure case
 * *claims is untouched and gh_verifier_errmsg tells why.
 */
enum gh_err	 gh_verify(struct gh_verifier *v, const char *token,
		    enum gh_token_use use, time_t now, json_object **claims);

/*
 * The last failure's message ("" after a success), owned by v and valid until
 * the next call.  It never contains any part of the token: safe to log.
 */
const char	*gh_verifier_errmsg(const struct gh_verifier *v);

/* Number of keys currently trusted (tests, health checks). */
size_t		 gh_verifier_nkeys(const struct gh_verifier *v);

/* How many times keys were (re)loaded or fetched successfully. */
unsigned long	 gh_verifier_nloads(const struct gh_verifier *v);

/* How many verifications were answered from the verified-token cache. */
unsigned long	 gh_verifier_nhits(const struct gh_verifier *v);

#endif /* GH_VERIFY_H */
