/*
 * gh_sigv4.h: AWS Signature Version 4 (header form, AWS4-HMAC-SHA256).
 *
 * A small signer of our own rather than libcurl's CURLOPT_AWS_SIGV4: it is
 * proved against AWS's published test suite and against botocore's signer
 * for the DynamoDB requests themselves (tests/test-sigv4.c).
 *
 * Canonicalisation (for non-S3 services): the path is given as the client
 * means it, unencoded; it is normalised (empty and "." segments dropped,
 * ".." pops, a trailing "/" kept) and each byte outside A-Za-z0-9-._~ and
 * "/" percent-encoded once.  The query is "name=value&..." in raw or
 * percent-encoded form: each part is percent-decoded, re-encoded, and the
 * pairs sorted by name then value.  Header names are lower-cased; values
 * trimmed, runs of spaces folded to one, and an obs-fold (a line break
 * followed by blanks) becomes ","; repeated names join with ",".  Every
 * header given is signed: give the ones the request will carry (host and
 * x-amz-date at least, x-amz-security-token when there is a session token).
 */
#ifndef GH_SIGV4_H
#define GH_SIGV4_H

#include <stddef.h>
#include <time.h>

#include "gh_err.h"

struct gh_sigv4_header {
	const char	*name;
	const char	*value;
};

struct gh_sigv4_request {
	const char			*method;	/* "POST" */
	const char			*path;		/* "/" */
	const char			*query;		/* NULL or "" for none */
	const struct gh_sigv4_header	*headers;
	size_t				 nheaders;
	const void			*body;
	size_t				 bodylen;
};

struct gh_sigv4_key {
	const char	*access_key;
	const char	*secret_key;
	const char	*region;	/* "us-east-1" */
	const char	*service;	/* "dynamodb" */
};

/* "YYYYMMDDTHHMMSSZ" of t (UTC) into out (17 bytes with the NUL). */
void		 gh_sigv4_amzdate(time_t t, char out[17]);

/*
 * Signs r at amzdate ("YYYYMMDDTHHMMSSZ", which must also be the request's
 * x-amz-date header).  *authorization gets the Authorization header value;
 * creq and sts (each may be NULL) the canonical request and the string to
 * sign, for tests.  All outputs owned by the caller (free).  GH_ERR_INVAL on
 * a malformed request or date, GH_ERR_NOMEM.
 */
enum gh_err	 gh_sigv4_sign(const struct gh_sigv4_request *r,
		    const struct gh_sigv4_key *k, const char *amzdate,
		    char **authorization, char **creq, char **sts);

#endif /* GH_SIGV4_H */
