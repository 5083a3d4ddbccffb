/*
 * test-curl.c: the CA bundle the library's curl handles trust (gh_curl.h):
 * $SSL_CERT_FILE first when readable, never an unreadable file, and on this
 * Debian machine libcurl's own bundle; the bounded answer body
 * (gh_curl_body_write): chunks joined and NUL-terminated, the limit exact.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gh_curl.h"
#include "tests.h"

static void
test_body(void)
{
	struct gh_curl_body	 b = { NULL, 0, 10, 0 };
	char			 chunk[] = "hello";

	T(gh_curl_body_write(chunk, 1, 5, &b) == 5 &&
	    gh_curl_body_write(chunk, 5, 1, &b) == 5 && b.len == 10 &&
	    strcmp(b.buf, "hellohello") == 0 && !b.toolarge,
	    "body: two chunks joined, exactly the limit accepted");
	T(gh_curl_body_write(chunk, 1, 1, &b) == 0 && b.toolarge &&
	    b.len == 10, "body: one byte over the limit aborts the transfer");
	gh_curl_body_free(&b);
	T(b.buf == NULL && b.len == 0 && !b.toolarge && b.max == 10,
	    "body: freed, the limit kept");
	T(gh_curl_body_write(chunk, 1, 0, &b) == 0 && b.len == 0 &&
	    !b.toolarge, "body: an empty chunk");
	gh_curl_body_free(&b);
}

int
main(void)
{
	const curl_version_info_data	*vi = curl_version_info(CURLVERSION_NOW);
	char				 tmpl[] = "/tmp/gh-ca-XXXXXX";
	const char			*f;
	int				 fd;

	unsetenv("SSL_CERT_FILE");
	f = gh_curl_ca_file();
	T(f != NULL && access(f, R_OK) == 0, "a readable bundle is found");
	if (vi->cainfo != NULL && access(vi->cainfo, R_OK) == 0)
		T(f != NULL && strcmp(f, vi->cainfo) == 0,
		    "libcurl's own bundle when it exists");

	if ((fd = mkstemp(tmpl)) < 0)
		abort();
	close(fd);
	setenv("SSL_CERT_FILE", tmpl, 1);
	f = gh_curl_ca_file();
	T(f != NULL && strcmp(f, tmpl) == 0, "SSL_CERT_FILE wins when readable");
	unlink(tmpl);
	f = gh_curl_ca_file();
	T(f != NULL && strcmp(f, tmpl) != 0,
	    "an unreadable SSL_CERT_FILE is passed over");
	setenv("SSL_CERT_FILE", "", 1);
	T(gh_curl_ca_file() != NULL, "an empty SSL_CERT_FILE is ignored");
	unsetenv("SSL_CERT_FILE");
	test_body();
	return tests_done();
}
