/*
 * gh_curl.h: what every libcurl handle of the library shares.
 *
 * The CA bundle: libcurl trusts the file its build names (Debian's:
 * /etc/ssl/certs/ca-certificates.crt).  Where that file does not exist, as on
 * Amazon Linux, which runs the Lambda triggers with Debian's libcurl packed
 * beside them (make lambda), every HTTPS call would fail.  gh_curl_ca_file
 * picks, in order: $SSL_CERT_FILE if set and readable, libcurl's own file if
 * readable, then the first readable of the well-known bundles of Debian,
 * Amazon Linux / RHEL, Alpine and the BSDs.  NULL if none is (libcurl's
 * default then stands, and fails loudly).
 */
#ifndef GH_CURL_H
#define GH_CURL_H

#include <curl/curl.h>

/* The CA bundle to trust (static storage or the environment's string: do
 * not free), or NULL. */
const char	*gh_curl_ca_file(void);

/* Sets CURLOPT_CAINFO on c to gh_curl_ca_file() when that is not NULL. */
void		 gh_curl_ca_setup(CURL *c);

/*
 * A bounded answer body: gh_curl_body_write as CURLOPT_WRITEFUNCTION with
 * the struct as CURLOPT_WRITEDATA.  buf is NUL-terminated once anything
 * came; over max bytes the transfer is aborted (CURLE_WRITE_ERROR) with
 * toolarge set.  gh_curl_body_free wipes (an answer may hold a secret) and
 * frees buf, and resets the struct keeping max.
 */
struct gh_curl_body {
	char	*buf;
	size_t	 len;
	size_t	 max;
	int	 toolarge;
};

size_t		 gh_curl_body_write(char *ptr, size_t size, size_t nmemb,
		    void *body);
void		 gh_curl_body_free(struct gh_curl_body *b);

#endif /* GH_CURL_H */
