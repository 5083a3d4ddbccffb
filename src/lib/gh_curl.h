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

#endif /* GH_CURL_H */
