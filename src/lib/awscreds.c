/*
 * awscreds.c: the AWS credential provider chain (see gh_awscreds.h):
 * environment, container endpoint, EC2 instance metadata (IMDSv2), a cache
 * refreshed before Expiration.  Every message written here names a source,
 * a URL or a status, never a credential or an answer's body.
 */
#include <sys/stat.h>
#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "gh_awscreds.h"
#include "gh_curl.h"
#include "gh_json.h"

#define IMDS_DEFAULT	"http://169.254.169.254"
#define ECS_HOST	"http://169.254.170.2"
#define IMDS_TOKEN_TTL	"21600"		/* seconds of an IMDSv2 token */
#define NET_CONNECT_MS	1000L
#define NET_TOTAL_MS	2000L
#define NET_MAX		(64 * 1024)	/* bytes of one answer */
#define MAX_KEY		128		/* AccessKeyId, SecretAccessKey */
#define MAX_TOKEN	8192		/* Token; IMDS token */
#define MAX_ROLE	128
#define PLACEHOLDER	"gatehouse-local"

const char *const gh_awscreds_sources[GH_AWSCREDS__MAX] = {
	"none",
	"environment",
	"container",
	"imds",
	"placeholder",
};

struct gh_awscreds_chain {
	unsigned		 flags;
	struct gh_awscreds	 cached;	/* source NONE: empty */
	long long		 deadline;	/* ms, monotonic: this fetch's */
	unsigned		 fetches;
	char			 errmsg[256];
};

static enum gh_err
fail(struct gh_awscreds_chain *c, enum gh_err err, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
	va_end(ap);
	return err;
}

static const char *
env(const char *name)
{
	const char	*v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

void
gh_awscreds_clear(struct gh_awscreds *cr)
{
	if (cr == NULL)
		return;
	if (cr->secret_key != NULL)
		explicit_bzero(cr->secret_key, strlen(cr->secret_key));
	if (cr->token != NULL)
		explicit_bzero(cr->token, strlen(cr->token));
	free(cr->access_key);
	free(cr->secret_key);
	free(cr->token);
	memset(cr, 0, sizeof(*cr));
}

static enum gh_err
creds_set(struct gh_awscreds *cr, const char *ak, const char *sk,
    const char *token, time_t expires, enum gh_awscreds_source src)
{
	struct gh_awscreds	 n;

	memset(&n, 0, sizeof(n));
	n.expires = expires;
	n.source = src;
	if ((n.access_key = strdup(ak)) == NULL ||
	    (n.secret_key = strdup(sk)) == NULL ||
	    (token != NULL && (n.token = strdup(token)) == NULL)) {
		gh_awscreds_clear(&n);
		return GH_ERR_NOMEM;
	}
	gh_awscreds_clear(cr);
	*cr = n;
	return GH_OK;
}

enum gh_err
gh_awscreds_chain_new(unsigned flags, struct gh_awscreds_chain **out)
{
	struct gh_awscreds_chain	*c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return GH_ERR_NOMEM;
	c->flags = flags;
	*out = c;
	return GH_OK;
}

void
gh_awscreds_chain_free(struct gh_awscreds_chain *c)
{
	if (c == NULL)
		return;
	gh_awscreds_clear(&c->cached);
	free(c);
}

const char *
gh_awscreds_errmsg(const struct gh_awscreds_chain *c)
{
	return c->errmsg;
}

unsigned
gh_awscreds_fetches(const struct gh_awscreds_chain *c)
{
	return c->fetches;
}

int
gh_awscreds_invalidate(struct gh_awscreds_chain *c)
{
	int	 net = c->cached.source == GH_AWSCREDS_CONTAINER ||
	    c->cached.source == GH_AWSCREDS_IMDS;

	gh_awscreds_clear(&c->cached);
	return net;
}

/* ------------------------------------------------------------------ */
/* Checks */

/* 1 if s is 1..max bytes of printable ASCII (no space unless sp). */
static int
printable(const char *s, size_t max, int sp)
{
	size_t	 n;

	if (s == NULL || s[0] == '\0')
		return 0;
	for (n = 0; s[n] != '\0'; n++)
		if (n >= max || (unsigned char)s[n] < (sp ? 0x20 : 0x21) ||
		    (unsigned char)s[n] > 0x7e)
			return 0;
	return 1;
}

static int
digits(const char *s, int n, int *out)
{
	int	 i, v = 0;

	for (i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return 0;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 1;
}

enum gh_err
gh_awscreds_parse_time(const char *s, time_t *out)
{
	struct tm	 tm;
	int		 y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;
	time_t		 t;

	if (s == NULL || strlen(s) < 20 ||
	    !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
	    s[7] != '-' || !digits(s + 8, 2, &d) || s[10] != 'T' ||
	    !digits(s + 11, 2, &h) || s[13] != ':' ||
	    !digits(s + 14, 2, &mi) || s[16] != ':' ||
	    !digits(s + 17, 2, &sec))
		return GH_ERR_INVAL;
	s += 19;
	if (*s == '.') {
		if (!isdigit((unsigned char)s[1]))
			return GH_ERR_INVAL;
		for (s++; isdigit((unsigned char)*s); s++)
			;
	}
	if (s[0] == 'Z' && s[1] == '\0')
		sign = 0;
	else if ((s[0] == '+' || s[0] == '-') && strlen(s) == 6 &&
	    digits(s + 1, 2, &oh) && s[3] == ':' && digits(s + 4, 2, &om) &&
	    oh <= 23 && om <= 59)
		sign = s[0] == '+' ? 1 : -1;
	else
		return GH_ERR_INVAL;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 ||
	    mi > 59 || sec > 60)
		return GH_ERR_INVAL;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == (time_t)-1)
		return GH_ERR_INVAL;
	*out = t - sign * (oh * 3600 + om * 60);
	return GH_OK;
}

/*
 * A URL is acceptable: scheme http or https, a host, no user part.  *host
 * gets a pointer to the host part and *hostlen its length (port excluded).
 */
static int
url_shape(const char *url, const char **host, size_t *hostlen, int *https)
{
	const char	*p, *e, *colon;

	if (strncmp(url, "http://", 7) == 0) {
		p = url + 7;
		*https = 0;
	} else if (strncmp(url, "https://", 8) == 0) {
		p = url + 8;
		*https = 1;
	} else
		return 0;
	e = p + strcspn(p, "/?#");
	if (e == p || memchr(p, '@', (size_t)(e - p)) != NULL ||
	    !printable(url, 2048, 0))
		return 0;
	if (*p == '[') {
		if ((colon = memchr(p, ']', (size_t)(e - p))) == NULL)
			return 0;
		*host = p;
		*hostlen = (size_t)(colon + 1 - p);
	} else {
		colon = memchr(p, ':', (size_t)(e - p));
		*host = p;
		*hostlen = (size_t)((colon != NULL ? colon : e) - p);
	}
	return *hostlen > 0;
}

static int
host_is(const char *h, size_t n, const char *name)
{
	return strlen(name) == n && strncasecmp(h, name, n) == 0;
}

/* The hosts the SDKs accept for a plain-http container full URI. */
static int
container_host_ok(const char *h, size_t n)
{
	return (n > 4 && strncmp(h, "127.", 4) == 0 &&
	    strspn(h, "0123456789.") == n) ||
	    host_is(h, n, "localhost") || host_is(h, n, "[::1]") ||
	    host_is(h, n, "169.254.170.2") || host_is(h, n, "169.254.170.23") ||
	    host_is(h, n, "[fd00:ec2::23]");
}

static int
imds_disabled(void)
{
	const char	*v = env("AWS_EC2_METADATA_DISABLED");

	return v != NULL && strcasecmp(v, "true") == 0;
}

/* Whether the chain asks the metadata service at all. */
static int
imds_wanted(const struct gh_awscreds_chain *c)
{
	if (imds_disabled())
		return 0;
	if (c->flags & GH_AWSCREDS_STANDIN)
		return env("AWS_EC2_METADATA_SERVICE_ENDPOINT") != NULL;
	return 1;
}

enum gh_err
gh_awscreds_check(struct gh_awscreds_chain *c)
{
	const char	*ak = env("AWS_ACCESS_KEY_ID");
	const char	*sk = env("AWS_SECRET_ACCESS_KEY");
	const char	*u, *h, *path;
	size_t		 hl;
	int		 https, imds;

	c->errmsg[0] = '\0';
	if ((ak == NULL) != (sk == NULL))
		return fail(c, GH_ERR_CONFIG, "credentials: %s is set but "
		    "%s is not (set both or neither)", ak != NULL ?
		    "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY", ak != NULL ?
		    "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
	if (ak != NULL) {
		if (!printable(ak, MAX_KEY, 0) || !printable(sk, MAX_KEY, 0) ||
		    (env("AWS_SESSION_TOKEN") != NULL &&
		    !printable(env("AWS_SESSION_TOKEN"), MAX_TOKEN, 0)))
			return fail(c, GH_ERR_CONFIG, "credentials: "
			    "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY or "
			    "AWS_SESSION_TOKEN holds a space, a control "
			    "character or too many bytes");
		return GH_OK;
	}
	if ((u = env("AWS_CONTAINER_CREDENTIALS_FULL_URI")) != NULL) {
		if (!url_shape(u, &h, &hl, &https) ||
		    (!https && !container_host_ok(h, hl)))
			return fail(c, GH_ERR_CONFIG, "credentials: "
			    "AWS_CONTAINER_CREDENTIALS_FULL_URI must be an "
			    "https URL or an http one to a loopback or the "
			    "container agent's address");
		return GH_OK;
	}
	if ((u = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) != NULL) {
		if (u[0] != '/' || !printable(u, 1024, 0))
			return fail(c, GH_ERR_CONFIG, "credentials: "
			    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must be a "
			    "path");
		return GH_OK;
	}
	imds = imds_wanted(c);
	/* The endpoint: an http(s) URL whose path, if any, is only "/". */
	if (imds && (u = env("AWS_EC2_METADATA_SERVICE_ENDPOINT")) != NULL) {
		path = url_shape(u, &h, &hl, &https) ? h + strcspn(h, "/?#") :
		    NULL;
		if (path == NULL || path[strspn(path, "/")] != '\0')
			return fail(c, GH_ERR_CONFIG, "credentials: "
			    "AWS_EC2_METADATA_SERVICE_ENDPOINT must be an "
			    "http(s) URL without a path");
	}
	if (!imds && !(c->flags & GH_AWSCREDS_STANDIN))
		return fail(c, GH_ERR_CONFIG, "credentials: none "
		    "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY unset, no "
		    "container endpoint, AWS_EC2_METADATA_DISABLED=true)");
	return GH_OK;
}

/* ------------------------------------------------------------------ */
/* HTTP */

static long long
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * One request of a fetch: at most what is left of the fetch's NET_TOTAL_MS
 * (IMDS takes three), at most NET_CONNECT_MS of it to connect.  Method "GET" or "PUT" (an empty body) to url with the
 * header lines hdr (NULL-terminated, may be NULL).  *b gets the answer,
 * *status its HTTP status.  what names the step in messages.
 */
static enum gh_err
http_do(struct gh_awscreds_chain *c, const char *what, const char *method,
    const char *url, const char *const *hdr, struct gh_curl_body *b,
    long *status)
{
	CURL			*h = NULL;
	struct curl_slist	*list = NULL, *l;
	enum gh_err		 err = GH_ERR_NOMEM;
	long long		 left = c->deadline - mono_ms();
	CURLcode		 rc;

	gh_curl_body_free(b);
	if (left <= 0)
		return fail(c, GH_ERR_IO, "credentials: %s: no time left of "
		    "the %ld ms a fetch may take", what, NET_TOTAL_MS);
	b->max = NET_MAX;
	*status = 0;
	c->fetches++;
	if ((h = curl_easy_init()) == NULL)
		goto out;
	for (; hdr != NULL && *hdr != NULL; hdr++) {
		if ((l = curl_slist_append(list, *hdr)) == NULL)
			goto out;
		list = l;
	}
	if (strcmp(method, "PUT") == 0) {
		if ((l = curl_slist_append(list, "Content-Type:")) == NULL)
			goto out;
		list = l;
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, "PUT");
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, 0L);
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, left < NET_CONNECT_MS ?
	    (long)left : NET_CONNECT_MS);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)left);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, gh_curl_body_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, b);
	gh_curl_ca_setup(h);
	rc = curl_easy_perform(h);
	if (b->toolarge)
		err = fail(c, GH_ERR_INVAL, "credentials: %s: answer over %d "
		    "bytes", what, NET_MAX);
	else if (rc != CURLE_OK)
		err = fail(c, GH_ERR_IO, "credentials: %s: %s", what,
		    curl_easy_strerror(rc));
	else {
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
		err = GH_OK;
	}
out:
	if (err == GH_ERR_NOMEM)
		fail(c, err, "credentials: out of memory");
	if (err != GH_OK)
		gh_curl_body_free(b);
	curl_slist_free_all(list);
	if (h != NULL)
		curl_easy_cleanup(h);
	return err;
}

/*
 * The credentials document of IMDS and of the container endpoint:
 * {"AccessKeyId", "SecretAccessKey", "Token", "Expiration", ["Code"]}.
 * Token and Expiration are required (both services give temporary
 * credentials only).
 */
static enum gh_err
parse_doc(struct gh_awscreds_chain *c, const char *what,
    const struct gh_curl_body *b, enum gh_awscreds_source src,
    struct gh_awscreds *out)
{
	json_object	*o = NULL;
	const char	*ak, *sk, *tok, *exp, *code;
	time_t		 t;
	enum gh_err	 err;

	if (b->buf == NULL || gh_json_parse(b->buf, b->len, 4, &o, NULL) !=
	    GH_OK || !json_object_is_type(o, json_type_object)) {
		err = fail(c, GH_ERR_INVAL, "credentials: %s: the answer is "
		    "not a JSON object", what);
		goto out;
	}
	if ((code = gh_json_str(o, "Code")) != NULL &&
	    strcmp(code, "Success") != 0) {
		err = fail(c, GH_ERR_INVAL, "credentials: %s: Code is not "
		    "Success", what);
		goto out;
	}
	ak = gh_json_str(o, "AccessKeyId");
	sk = gh_json_str(o, "SecretAccessKey");
	tok = gh_json_str(o, "Token");
	exp = gh_json_str(o, "Expiration");
	if (!printable(ak, MAX_KEY, 0) || !printable(sk, MAX_KEY, 0) ||
	    !printable(tok, MAX_TOKEN, 0)) {
		err = fail(c, GH_ERR_INVAL, "credentials: %s: AccessKeyId, "
		    "SecretAccessKey or Token missing or malformed", what);
		goto out;
	}
	if (gh_awscreds_parse_time(exp, &t) != GH_OK) {
		err = fail(c, GH_ERR_INVAL, "credentials: %s: Expiration "
		    "missing or not ISO 8601", what);
		goto out;
	}
	if (t <= time(NULL)) {
		err = fail(c, GH_ERR_EXPIRED, "credentials: %s: the "
		    "credentials expired at %s", what, exp);
		goto out;
	}
	if ((err = creds_set(out, ak, sk, tok, t, src)) != GH_OK)
		fail(c, err, "credentials: out of memory");
out:
	json_object_put(o);
	return err;
}

/* ------------------------------------------------------------------ */
/* Providers */

static enum gh_err
from_env(struct gh_awscreds_chain *c, struct gh_awscreds *out)
{
	enum gh_err	 err;

	if ((err = creds_set(out, env("AWS_ACCESS_KEY_ID"),
	    env("AWS_SECRET_ACCESS_KEY"), env("AWS_SESSION_TOKEN"), 0,
	    GH_AWSCREDS_ENV)) != GH_OK)
		fail(c, err, "credentials: out of memory");
	return err;
}

static enum gh_err
from_container(struct gh_awscreds_chain *c, struct gh_awscreds *out)
{
	const char	*full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	const char	*rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char	*file, *tok, *hdr[2] = { NULL, NULL };
	char		*url = NULL, *line = NULL, buf[MAX_TOKEN + 2];
	struct gh_curl_body	 b = { NULL, 0, NET_MAX, 0 };
	ssize_t		 n = 0;
	long		 status;
	int		 fd;
	enum gh_err	 err;

	if (full != NULL)
		url = strdup(full);
	else if (asprintf(&url, "%s%s", ECS_HOST, rel) < 0)
		url = NULL;
	if (url == NULL) {
		err = fail(c, GH_ERR_NOMEM, "credentials: out of memory");
		goto out;
	}
	tok = NULL;
	if ((file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) != NULL) {
		if ((fd = open(file, O_RDONLY | O_CLOEXEC)) == -1 ||
		    (n = read(fd, buf, sizeof(buf) - 1)) < 0) {
			if (fd != -1)
				close(fd);
			err = fail(c, GH_ERR_CONFIG, "credentials: cannot "
			    "read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s",
			    file);
			goto out;
		}
		close(fd);
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			n--;
		buf[n] = '\0';
		tok = buf;
	} else
		tok = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	if (tok != NULL) {
		if (!printable(tok, MAX_TOKEN, 1)) {
			err = fail(c, GH_ERR_CONFIG, "credentials: the "
			    "container authorization token is empty, too long "
			    "or holds a control character");
			goto out;
		}
		if (asprintf(&line, "Authorization: %s", tok) < 0) {
			line = NULL;
			err = fail(c, GH_ERR_NOMEM, "credentials: out of "
			    "memory");
			goto out;
		}
		hdr[0] = line;
	}
	if ((err = http_do(c, "container endpoint", "GET", url, hdr, &b,
	    &status)) != GH_OK)
		goto out;
	if (status != 200) {
		err = fail(c, GH_ERR_IO, "credentials: container endpoint %s: "
		    "HTTP %ld", url, status);
		goto out;
	}
	err = parse_doc(c, "container endpoint", &b, GH_AWSCREDS_CONTAINER,
	    out);
out:
	explicit_bzero(buf, sizeof(buf));
	if (line != NULL)
		explicit_bzero(line, strlen(line));
	free(line);
	free(url);
	gh_curl_body_free(&b);
	return err;
}

static enum gh_err
from_imds(struct gh_awscreds_chain *c, struct gh_awscreds *out)
{
	const char	*ep = env("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char	*hdr[2] = { NULL, NULL };
	char		*base = NULL, *url = NULL, *tokhdr = NULL;
	char		 role[MAX_ROLE + 1];
	struct gh_curl_body	 b = { NULL, 0, NET_MAX, 0 };
	size_t		 len;
	long		 status;
	enum gh_err	 err = GH_ERR_NOMEM;

	if (ep == NULL)
		ep = IMDS_DEFAULT;
	len = strlen(ep);
	while (len > 0 && ep[len - 1] == '/')
		len--;
	if ((base = strndup(ep, len)) == NULL)
		goto out;

	/* 1. The session token (IMDSv2). */
	if (asprintf(&url, "%s/latest/api/token", base) < 0) {
		url = NULL;
		goto out;
	}
	hdr[0] = "X-aws-ec2-metadata-token-ttl-seconds: " IMDS_TOKEN_TTL;
	if ((err = http_do(c, "instance metadata token", "PUT", url, hdr, &b,
	    &status)) != GH_OK)
		goto out;
	if (status != 200) {
		err = fail(c, GH_ERR_IO, "credentials: instance metadata "
		    "%s: HTTP %ld to the token PUT", base, status);
		goto out;
	}
	if (!printable(b.buf, MAX_TOKEN, 0)) {
		err = fail(c, GH_ERR_INVAL, "credentials: instance metadata "
		    "%s: malformed token", base);
		goto out;
	}
	if (asprintf(&tokhdr, "X-aws-ec2-metadata-token: %s", b.buf) < 0) {
		tokhdr = NULL;
		err = GH_ERR_NOMEM;
		goto out;
	}
	gh_curl_body_free(&b);
	hdr[0] = tokhdr;

	/* 2. The role attached to the instance. */
	free(url);
	if (asprintf(&url, "%s/latest/meta-data/iam/security-credentials/",
	    base) < 0) {
		url = NULL;
		err = GH_ERR_NOMEM;
		goto out;
	}
	if ((err = http_do(c, "instance metadata role", "GET", url, hdr, &b,
	    &status)) != GH_OK)
		goto out;
	if (status == 404) {
		err = fail(c, GH_ERR_IO, "credentials: instance metadata "
		    "%s: no IAM role attached to the instance", base);
		goto out;
	}
	if (status != 200) {
		err = fail(c, GH_ERR_IO, "credentials: instance metadata "
		    "%s: HTTP %ld to the role GET", base, status);
		goto out;
	}
	len = b.buf != NULL ? strcspn(b.buf, "\r\n") : 0;
	if (len == 0 || len > MAX_ROLE || strspn(b.buf, "ABCDEFGHIJKLMNOPQRST"
	    "UVWXYZabcdefghijklmnopqrstuvwxyz0123456789+=,.@_-") != len) {
		err = fail(c, GH_ERR_INVAL, "credentials: instance metadata "
		    "%s: malformed role name", base);
		goto out;
	}
	memcpy(role, b.buf, len);
	role[len] = '\0';
	gh_curl_body_free(&b);

	/* 3. The role's credentials. */
	free(url);
	if (asprintf(&url, "%s/latest/meta-data/iam/security-credentials/%s",
	    base, role) < 0) {
		url = NULL;
		err = GH_ERR_NOMEM;
		goto out;
	}
	if ((err = http_do(c, "instance metadata credentials", "GET", url, hdr,
	    &b, &status)) != GH_OK)
		goto out;
	if (status != 200) {
		err = fail(c, GH_ERR_IO, "credentials: instance metadata "
		    "%s: HTTP %ld to the credentials GET of role %s", base,
		    status, role);
		goto out;
	}
	err = parse_doc(c, "instance metadata", &b, GH_AWSCREDS_IMDS, out);
out:
	if (err == GH_ERR_NOMEM)
		fail(c, err, "credentials: out of memory");
	if (tokhdr != NULL)
		explicit_bzero(tokhdr, strlen(tokhdr));
	free(tokhdr);
	free(url);
	free(base);
	gh_curl_body_free(&b);
	return err;
}

/* The chain, once: into *out. */
static enum gh_err
resolve(struct gh_awscreds_chain *c, struct gh_awscreds *out)
{
	enum gh_err	 err;

	if ((err = gh_awscreds_check(c)) != GH_OK)
		return err;
	c->deadline = mono_ms() + NET_TOTAL_MS;
	if (env("AWS_ACCESS_KEY_ID") != NULL)
		return from_env(c, out);
	if (env("AWS_CONTAINER_CREDENTIALS_FULL_URI") != NULL ||
	    env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") != NULL)
		return from_container(c, out);
	if (imds_wanted(c))
		return from_imds(c, out);
	if (c->flags & GH_AWSCREDS_STANDIN) {
		if ((err = creds_set(out, PLACEHOLDER, PLACEHOLDER, NULL, 0,
		    GH_AWSCREDS_PLACEHOLDER)) != GH_OK)
			fail(c, err, "credentials: out of memory");
		return err;
	}
	return fail(c, GH_ERR_CONFIG, "credentials: none found");
}

static int
fresh(const struct gh_awscreds *cr, time_t now)
{
	return cr->source != GH_AWSCREDS_NONE && (cr->expires == 0 ||
	    now < cr->expires - GH_AWSCREDS_REFRESH);
}

enum gh_err
gh_awscreds_get(struct gh_awscreds_chain *c, struct gh_awscreds *out)
{
	struct gh_awscreds	 n;
	time_t			 now = time(NULL);
	enum gh_err		 err;

	memset(&n, 0, sizeof(n));
	c->errmsg[0] = '\0';
	if (!fresh(&c->cached, now)) {
		if ((err = resolve(c, &n)) == GH_OK) {
			gh_awscreds_clear(&c->cached);
			c->cached = n;
		} else if (c->cached.source == GH_AWSCREDS_NONE ||
		    now >= c->cached.expires)
			return err;
		/* else: the refresh failed, the cached ones still hold. */
	}
	if ((err = creds_set(out, c->cached.access_key, c->cached.secret_key,
	    c->cached.token, c->cached.expires, c->cached.source)) != GH_OK)
		return fail(c, err, "credentials: out of memory");
	return GH_OK;
}

/* Replaces, in place, every occurrence of one of s[0..n) in buf (size bytes
 * with its NUL) by "[redacted]", truncating if it must. */
static void
redact_one(char *buf, size_t size, const char *s)
{
	static const char	 mark[] = "[redacted]";
	size_t			 n, ml = sizeof(mark) - 1, tail;
	char			*p;

	if (s == NULL || (n = strlen(s)) < 4)
		return;
	p = buf;
	while ((p = strstr(p, s)) != NULL) {
		tail = strlen(p + n) + 1;
		if ((size_t)(p - buf) + ml + tail > size)
			tail = size - (size_t)(p - buf) - ml;
		if ((size_t)(p - buf) + ml >= size) {
			*p = '\0';
			return;
		}
		memmove(p + ml, p + n, tail);
		memcpy(p, mark, ml);
		buf[size - 1] = '\0';
		p += ml;
	}
}

void
gh_awscreds_redact(const struct gh_awscreds *cr, char *buf, size_t size)
{
	if (cr == NULL || buf == NULL || size == 0)
		return;
	redact_one(buf, size, cr->secret_key);
	redact_one(buf, size, cr->token);
	redact_one(buf, size, cr->access_key);
}

char *
gh_awscreds_redact_dup(const struct gh_awscreds *cr, const char *s)
{
	size_t	 size = strlen(s) * 3 + 16;	/* "[redacted]" per >= 4 */
	char	*buf;

	if ((buf = malloc(size)) == NULL)
		return NULL;
	memcpy(buf, s, strlen(s) + 1);
	gh_awscreds_redact(cr, buf, size);
	return buf;
}
