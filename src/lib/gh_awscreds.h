/*
 * gh_awscreds.h: AWS credentials from a provider chain, as AWS's SDKs find
 * them, for every AWS client of the library (the DynamoDB backend, the
 * Lambda bootstrap through it, any later one).
 *
 * The chain, first match wins:
 *  1. the environment: AWS_ACCESS_KEY_ID + AWS_SECRET_ACCESS_KEY (both or
 *     neither: one without the other is GH_ERR_CONFIG), AWS_SESSION_TOKEN
 *     optional (ignored without the pair, as the SDKs do).  Never expire.
 *  2. the container endpoint (ECS, EKS Pod Identity) when
 *     AWS_CONTAINER_CREDENTIALS_FULL_URI or _RELATIVE_URI is set (relative:
 *     under http://169.254.170.2).  A full URI must be https, or http to a
 *     loopback address or to 169.254.170.2 / 169.254.170.23 / [fd00:ec2::23].
 *     AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (or _TOKEN) is sent as the
 *     Authorization header.  Once these are set, a failure is an error: the
 *     chain does not go on to the instance metadata service.
 *  3. the EC2 instance metadata service, IMDSv2 only: PUT /latest/api/token,
 *     then GET /latest/meta-data/iam/security-credentials/ (the role) and
 *     .../{role} with the token.  Endpoint http://169.254.169.254, or
 *     AWS_EC2_METADATA_SERVICE_ENDPOINT; skipped when
 *     AWS_EC2_METADATA_DISABLED=true.
 * Network fetches: a fresh curl handle each, 1 s to connect, 2 s in all for
 * the whole fetch (IMDS: its three requests together), no redirects, no proxy, answers over 64 KiB refused, every field checked
 * (present, printable ASCII, bounded; Expiration ISO 8601, not past).
 *
 * GH_AWSCREDS_STANDIN (a client talking to a stand-in such as dynalite, i.e.
 * with an endpoint override): the metadata service is consulted only when
 * AWS_EC2_METADATA_SERVICE_ENDPOINT is set explicitly (probing the link-local
 * address from a laptop would cost the connect timeout on the first
 * request), and when nothing supplies credentials a placeholder pair is used
 * (a stand-in does not check signatures).
 *
 * Caching: a chain keeps what it fetched; gh_awscreds_get fetches again only
 * when the cached credentials expire within GH_AWSCREDS_REFRESH seconds, or
 * after gh_awscreds_invalidate (the service said the token expired or is
 * unknown).  A refresh that fails while the cached credentials are still
 * valid keeps them.  One chain per long-lived client (a FastCGI process
 * opens its store once, so it fetches once per process and refreshes);
 * not thread-safe.
 *
 * Secrets: no message of this module (gh_awscreds_errmsg) ever holds a
 * key, secret or token, nor a body the services answered.
 */
#ifndef GH_AWSCREDS_H
#define GH_AWSCREDS_H

#include <stddef.h>
#include <time.h>

#include "gh_err.h"

#define GH_AWSCREDS_REFRESH	300	/* seconds before Expiration */
#define GH_AWSCREDS_STANDIN	0x01	/* flag: see above */

enum gh_awscreds_source {
	GH_AWSCREDS_NONE = 0,
	GH_AWSCREDS_ENV,
	GH_AWSCREDS_CONTAINER,
	GH_AWSCREDS_IMDS,
	GH_AWSCREDS_PLACEHOLDER,
	GH_AWSCREDS__MAX
};

/* "none", "environment", "container", "imds", "placeholder". */
extern const char *const gh_awscreds_sources[GH_AWSCREDS__MAX];

/* A copy of the credentials, owned by its holder: gh_awscreds_clear. */
struct gh_awscreds {
	char			*access_key;
	char			*secret_key;
	char			*token;		/* NULL: none */
	time_t			 expires;	/* 0: never */
	enum gh_awscreds_source	 source;
};

struct gh_awscreds_chain;

/* A chain with an empty cache; flags: GH_AWSCREDS_STANDIN or 0.
 * GH_ERR_NOMEM only.  Freed by gh_awscreds_chain_free (NULL is fine). */
enum gh_err	 gh_awscreds_chain_new(unsigned flags,
		    struct gh_awscreds_chain **out);
void		 gh_awscreds_chain_free(struct gh_awscreds_chain *c);

/*
 * The configuration checks that need no network, for a client's open: an
 * environment pair half set, a container URI refused, a malformed metadata
 * endpoint, or (without GH_AWSCREDS_STANDIN) every provider disabled.
 * GH_ERR_CONFIG with gh_awscreds_errmsg set, else GH_OK.
 */
enum gh_err	 gh_awscreds_check(struct gh_awscreds_chain *c);

/*
 * Current credentials into *out (a copy: the caller clears it), fetched or
 * refreshed as described above.  GH_ERR_CONFIG (configuration), GH_ERR_IO
 * (a service unreachable, timed out, or answering an error status),
 * GH_ERR_INVAL (a malformed answer), GH_ERR_EXPIRED (credentials already
 * past their Expiration), GH_ERR_NOMEM; then *out is untouched and
 * gh_awscreds_errmsg says why.
 */
enum gh_err	 gh_awscreds_get(struct gh_awscreds_chain *c,
		    struct gh_awscreds *out);

/* Drops the cache so the next gh_awscreds_get fetches again.  1 if that can
 * give other credentials (a network source), 0 otherwise (environment,
 * placeholder, nothing cached). */
int		 gh_awscreds_invalidate(struct gh_awscreds_chain *c);

/* Why the last call failed ("" if it did not); static to the chain. */
const char	*gh_awscreds_errmsg(const struct gh_awscreds_chain *c);

/* HTTP requests this chain made, successful or not (an IMDS fetch is
 * three: token, role, credentials; for tests). */
unsigned	 gh_awscreds_fetches(const struct gh_awscreds_chain *c);

/* Frees and zeroes *cr (its secret wiped first); NULL members are fine. */
void		 gh_awscreds_clear(struct gh_awscreds *cr);

/* Every occurrence of cr's key, secret or token in the NUL-terminated buf
 * (size bytes) replaced by "[redacted]", in place: for messages built from
 * a service's answer (AWS's signature-mismatch message quotes the canonical
 * request, session token included). */
void		 gh_awscreds_redact(const struct gh_awscreds *cr, char *buf,
		    size_t size);

/* The same on a copy of s, made before any truncation can cut a secret in
 * two (the caller frees it); NULL if out of memory. */
char		*gh_awscreds_redact_dup(const struct gh_awscreds *cr,
		    const char *s);

/* Parses ISO 8601 "YYYY-MM-DDTHH:MM:SS[.fff](Z|+HH:MM|-HH:MM)" into *out
 * (UTC).  GH_ERR_INVAL on anything else. */
enum gh_err	 gh_awscreds_parse_time(const char *s, time_t *out);

#endif /* GH_AWSCREDS_H */
