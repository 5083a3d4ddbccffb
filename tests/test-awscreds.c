/*
 * test-awscreds.c: the AWS credential provider chain (awscreds.c) against a
 * loopback IMDSv2 and container-endpoint stand-in (tests/imds-server.py,
 * which refuses a GET without a token it handed out and counts every call),
 * and the DynamoDB backend signing with credentials from it against
 * tests/ddb-fault-server.py (which recomputes each signature and requires
 * the session token sent and signed).  Proves: the environment wins; IMDS
 * used without it; the cache and the refresh window; a failed refresh
 * keeps still-valid credentials; AWS_EC2_METADATA_DISABLED; stand-in mode
 * does not probe; unreachable or hanging endpoints fail fast; malformed,
 * expired, redirected, oversized answers refused; the container endpoint;
 * ExpiredToken/UnrecognizedClient refresh once and retry once; no key,
 * secret or token in any message.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <json-c/json.h>

#include "gh_awscreds.h"
#include "gh_conf.h"
#include "gh_store.h"
#include "standin.h"
#include "tests.h"

#define SECRET	"imds/secret+KEY0123456789"
#define TOKEN	"imds-session-token/with+odd=chars"
#define AUTH	"container-auth-0123456789"
#define ENV_AK	"AKIDENVTEST"
#define ENV_SK	"env/secret+KEY"

static pid_t	 imds_pid = -1, ddb_pid = -1;
static char	 imds[64], ddb[64];
static char	 dir[64];

static size_t
sink(char *p, size_t sz, size_t n, void *arg)
{
	json_object	**o = arg;

	if (*o == NULL)
		*o = json_tokener_parse(p);	/* small answers: one chunk */
	return sz * n;
}

/* GET imds+path without a token; the status, *o the JSON answer if any. */
static long
raw_get(const char *path, json_object **o)
{
	CURL		*c;
	json_object	*dummy = NULL;
	char		 url[256];
	long		 status = 0;

	snprintf(url, sizeof(url), "%s%s", imds, path);
	if ((c = curl_easy_init()) == NULL)
		return 0;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, o != NULL ? o : &dummy);
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	json_object_put(dummy);
	return status;
}

static void
control(const char *what)
{
	char	 path[128];

	snprintf(path, sizeof(path), "/control/%s", what);
	if (raw_get(path, NULL) != 200)
		fprintf(stderr, "control %s failed\n", what);
}

/* A count of the stand-in's (put, role, creds, container, refused...). */
static int
stat_of(const char *what)
{
	json_object	*o = NULL, *v;
	int		 n = -1;

	if (raw_get("/control/stats", &o) == 200 &&
	    json_object_object_get_ex(o, what, &v))
		n = json_object_get_int(v);
	json_object_put(o);
	return n;
}

/* No secret of either credential set in s. */
static int
clean(const char *s)
{
	return strstr(s, SECRET) == NULL && strstr(s, TOKEN) == NULL &&
	    strstr(s, "ASIAIMDS") == NULL && strstr(s, ENV_SK) == NULL &&
	    strstr(s, ENV_AK) == NULL && strstr(s, AUTH) == NULL;
}

/* The environment of one case: nothing, then IMDS at ep (NULL: unset). */
static void
env_reset(const char *ep)
{
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	unsetenv("AWS_EC2_METADATA_DISABLED");
	unsetenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	unsetenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	if (ep != NULL)
		setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", ep, 1);
	else
		unsetenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	control("mode/ok");
	control("expires/3600");
}

/* One get on a fresh chain: its error; *cr filled on success. */
static enum gh_err
get_once(unsigned flags, struct gh_awscreds *cr, char *msg, size_t size,
    unsigned *fetches)
{
	struct gh_awscreds_chain	*c = NULL;
	enum gh_err			 err;

	if (gh_awscreds_chain_new(flags, &c) != GH_OK)
		return GH_ERR_NOMEM;
	err = gh_awscreds_get(c, cr);
	snprintf(msg, size, "%s", gh_awscreds_errmsg(c));
	if (fetches != NULL)
		*fetches = gh_awscreds_fetches(c);
	gh_awscreds_chain_free(c);
	return err;
}

static void
test_time(void)
{
	static const struct { const char *s; long long t; } ok[] = {
		{ "1970-01-01T00:00:00Z", 0 },
		{ "2026-12-01T21:30:00Z", 1796160600LL },
		{ "2026-12-01T21:30:00.123Z", 1796160600LL },
		{ "2026-12-01T23:30:00+02:00", 1796160600LL },
		{ "2026-12-01T20:00:00-01:30", 1796160600LL },
	};
	static const char *const bad[] = {
		"", "tomorrow", "2026-12-01", "2026-12-01T21:30:00",
		"2026-12-01 21:30:00Z", "2026-13-01T21:30:00Z",
		"2026-12-01T24:30:00Z", "2026-12-01T21:30:00.Z",
		"2026-12-01T21:30:00Zjunk", "2026-12-01T21:30:00+0200",
		"+026-12-01T21:30:00Z", "1969-12-31T23:59:59Z",
	};
	size_t	 i;
	time_t	 t;

	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		T(gh_awscreds_parse_time(ok[i].s, &t) == GH_OK &&
		    (long long)t == ok[i].t, "ISO 8601 \"%s\" parsed",
		    ok[i].s);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		T(gh_awscreds_parse_time(bad[i], &t) == GH_ERR_INVAL,
		    "ISO 8601 \"%s\" refused", bad[i]);
}

static void
test_env(void)
{
	struct gh_awscreds	 cr = { 0 };
	char			 msg[256];
	unsigned		 f;
	int			 c0;
	enum gh_err		 err;

	env_reset(imds);
	setenv("AWS_ACCESS_KEY_ID", ENV_AK, 1);
	setenv("AWS_SECRET_ACCESS_KEY", ENV_SK, 1);
	setenv("AWS_SESSION_TOKEN", "env-token", 1);
	c0 = stat_of("put");
	err = get_once(0, &cr, msg, sizeof(msg), &f);
	T(err == GH_OK && cr.source == GH_AWSCREDS_ENV &&
	    strcmp(cr.access_key, ENV_AK) == 0 &&
	    strcmp(cr.secret_key, ENV_SK) == 0 &&
	    strcmp(cr.token, "env-token") == 0 && cr.expires == 0 && f == 0 &&
	    stat_of("put") == c0, "the environment wins over IMDS (%s, "
	    "source %s, %u fetches)", gh_strerror(err),
	    gh_awscreds_sources[cr.source], f);
	gh_awscreds_clear(&cr);
	T(cr.access_key == NULL && cr.secret_key == NULL && cr.token == NULL,
	    "gh_awscreds_clear empties the copy");

	unsetenv("AWS_SESSION_TOKEN");
	err = get_once(0, &cr, msg, sizeof(msg), NULL);
	T(err == GH_OK && cr.token == NULL, "no AWS_SESSION_TOKEN: no token");
	gh_awscreds_clear(&cr);

	unsetenv("AWS_SECRET_ACCESS_KEY");
	err = get_once(0, &cr, msg, sizeof(msg), &f);
	T(err == GH_ERR_CONFIG && cr.access_key == NULL && f == 0 &&
	    strstr(msg, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY "
	    "is not") != NULL && clean(msg), "key without secret: a "
	    "configuration error, no fallback to IMDS (%s: %s)",
	    gh_strerror(err), msg);
	unsetenv("AWS_ACCESS_KEY_ID");
	setenv("AWS_SECRET_ACCESS_KEY", ENV_SK, 1);
	err = get_once(GH_AWSCREDS_STANDIN, &cr, msg, sizeof(msg), &f);
	T(err == GH_ERR_CONFIG && strstr(msg, "AWS_SECRET_ACCESS_KEY is set "
	    "but AWS_ACCESS_KEY_ID is not") != NULL && clean(msg),
	    "secret without key: a configuration error even for a stand-in "
	    "(%s)", msg);
	setenv("AWS_ACCESS_KEY_ID", "AKID WITH SPACE", 1);
	err = get_once(0, &cr, msg, sizeof(msg), &f);
	T(err == GH_ERR_CONFIG && clean(msg), "a key with a space refused "
	    "(%s)", msg);
	env_reset(imds);
}

static void
test_imds(void)
{
	struct gh_awscreds_chain	*c = NULL;
	struct gh_awscreds		 cr = { 0 }, cr2 = { 0 };
	char				 msg[256], ak1[32] = "";
	unsigned			 f;
	int				 p0, r0, c0, x0;
	time_t				 now = time(NULL);
	enum gh_err			 err;

	env_reset(imds);
	T(raw_get("/latest/meta-data/iam/security-credentials/", NULL) ==
	    401, "the stand-in refuses a GET without a token");
	x0 = stat_of("refused");
	p0 = stat_of("put");
	r0 = stat_of("role");
	c0 = stat_of("creds");
	err = get_once(0, &cr, msg, sizeof(msg), &f);
	T(err == GH_OK && cr.source == GH_AWSCREDS_IMDS &&
	    strncmp(cr.access_key, "ASIAIMDS", 8) == 0 &&
	    strcmp(cr.secret_key, SECRET) == 0 &&
	    strcmp(cr.token, TOKEN) == 0 &&
	    cr.expires >= now + 3590 && cr.expires <= now + 3610,
	    "IMDSv2 without the environment (%s %s, source %s)",
	    gh_strerror(err), msg, gh_awscreds_sources[cr.source]);
	T(f == 3 && stat_of("put") == p0 + 1 && stat_of("role") == r0 + 1 &&
	    stat_of("creds") == c0 + 1 && stat_of("refused") == x0,
	    "one token PUT, then the role and its credentials with the token "
	    "(%u fetches, none refused)", f);
	gh_awscreds_clear(&cr);

	/* The cache, and the refresh window (GH_AWSCREDS_REFRESH = 300). */
	if (gh_awscreds_chain_new(0, &c) != GH_OK)
		return;
	err = gh_awscreds_get(c, &cr);
	err |= gh_awscreds_get(c, &cr2);
	T(err == GH_OK && gh_awscreds_fetches(c) == 3 &&
	    strcmp(cr.access_key, cr2.access_key) == 0, "cached: a second get "
	    "an hour before Expiration does not fetch (%u fetches)",
	    gh_awscreds_fetches(c));
	gh_awscreds_clear(&cr);
	gh_awscreds_clear(&cr2);
	T(gh_awscreds_invalidate(c) == 1, "invalidate: IMDS credentials "
	    "can be refreshed");
	err = gh_awscreds_get(c, &cr);
	T(err == GH_OK && gh_awscreds_fetches(c) == 6, "after invalidate the "
	    "next get fetches again (%u)", gh_awscreds_fetches(c));
	gh_awscreds_clear(&cr);
	gh_awscreds_chain_free(c);
	c = NULL;

	control("expires/302");
	if (gh_awscreds_chain_new(0, &c) != GH_OK)
		return;
	err = gh_awscreds_get(c, &cr);
	if (err == GH_OK)
		snprintf(ak1, sizeof(ak1), "%s", cr.access_key);
	gh_awscreds_clear(&cr);
	err |= gh_awscreds_get(c, &cr);
	T(err == GH_OK && gh_awscreds_fetches(c) == 3 &&
	    strcmp(cr.access_key, ak1) == 0, "302 s before Expiration: "
	    "outside the 300 s window, not fetched again");
	gh_awscreds_clear(&cr);
	sleep(3);
	err = gh_awscreds_get(c, &cr);
	T(err == GH_OK && gh_awscreds_fetches(c) == 6 &&
	    strcmp(cr.access_key, ak1) != 0, "3 s later, inside the window: "
	    "fetched again, new credentials (%s, %u fetches)",
	    gh_strerror(err), gh_awscreds_fetches(c));
	snprintf(ak1, sizeof(ak1), "%s", err == GH_OK ? cr.access_key : "");
	gh_awscreds_clear(&cr);
	control("mode/malformed");
	sleep(3);
	err = gh_awscreds_get(c, &cr);
	T(err == GH_OK && gh_awscreds_fetches(c) == 9 &&
	    strcmp(cr.access_key, ak1) == 0, "a failed refresh keeps the "
	    "still-valid credentials (%s, %u fetches)", gh_strerror(err),
	    gh_awscreds_fetches(c));
	gh_awscreds_clear(&cr);
	gh_awscreds_chain_free(c);
	c = NULL;

	control("mode/ok");
	control("expires/60");
	if (gh_awscreds_chain_new(0, &c) != GH_OK)
		return;
	err = gh_awscreds_get(c, &cr);
	gh_awscreds_clear(&cr);
	err |= gh_awscreds_get(c, &cr);
	T(err == GH_OK && gh_awscreds_fetches(c) == 6, "credentials "
	    "expiring within the window are used and fetched again each "
	    "time (%u)", gh_awscreds_fetches(c));
	gh_awscreds_clear(&cr);
	gh_awscreds_chain_free(c);
	env_reset(imds);
}

static void
test_disabled(void)
{
	struct gh_awscreds_chain	*c = NULL;
	struct gh_awscreds		 cr = { 0 };
	char				 msg[256];
	unsigned			 f;
	int				 p0;
	enum gh_err			 err;

	env_reset(imds);
	p0 = stat_of("put");
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	if (gh_awscreds_chain_new(0, &c) == GH_OK) {
		err = gh_awscreds_check(c);
		T(err == GH_ERR_CONFIG && strstr(gh_awscreds_errmsg(c),
		    "AWS_EC2_METADATA_DISABLED") != NULL, "disabled, nothing "
		    "else: gh_awscreds_check says so (%s)",
		    gh_awscreds_errmsg(c));
		gh_awscreds_chain_free(c);
	}
	err = get_once(0, &cr, msg, sizeof(msg), &f);
	T(err == GH_ERR_CONFIG && f == 0 && stat_of("put") == p0,
	    "AWS_EC2_METADATA_DISABLED=true: IMDS not asked (%s)", msg);
	setenv("AWS_EC2_METADATA_DISABLED", "TRUE", 1);
	err = get_once(GH_AWSCREDS_STANDIN, &cr, msg, sizeof(msg), &f);
	T(err == GH_OK && cr.source == GH_AWSCREDS_PLACEHOLDER && f == 0 &&
	    stat_of("put") == p0, "disabled, stand-in: the placeholder, IMDS "
	    "not asked even with its endpoint set");
	gh_awscreds_clear(&cr);
	setenv("AWS_EC2_METADATA_DISABLED", "false", 1);
	err = get_once(0, &cr, msg, sizeof(msg), &f);
	T(err == GH_OK && cr.source == GH_AWSCREDS_IMDS, "\"false\" does "
	    "not disable");
	gh_awscreds_clear(&cr);

	env_reset(NULL);
	p0 = stat_of("put");
	err = get_once(GH_AWSCREDS_STANDIN, &cr, msg, sizeof(msg), &f);
	T(err == GH_OK && cr.source == GH_AWSCREDS_PLACEHOLDER &&
	    cr.token == NULL && f == 0, "stand-in, no endpoint variable: the "
	    "placeholder, no network probe (%u fetches)", f);
	gh_awscreds_clear(&cr);
	env_reset(imds);
	err = get_once(GH_AWSCREDS_STANDIN, &cr, msg, sizeof(msg), &f);
	T(err == GH_OK && cr.source == GH_AWSCREDS_IMDS, "stand-in with "
	    "AWS_EC2_METADATA_SERVICE_ENDPOINT set: IMDS asked (%s)",
	    gh_awscreds_sources[cr.source]);
	gh_awscreds_clear(&cr);
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1/x",
	    1);
	err = get_once(0, &cr, msg, sizeof(msg), &f);
	T(err == GH_ERR_CONFIG && f == 0, "an endpoint with a path refused "
	    "(%s)", msg);
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "file:///etc/passwd", 1);
	err = get_once(0, &cr, msg, sizeof(msg), &f);
	T(err == GH_ERR_CONFIG && f == 0, "a file: endpoint refused (%s)",
	    msg);
	env_reset(imds);
}

static void
test_unreachable(void)
{
	struct gh_awscreds	 cr = { 0 };
	struct sockaddr_in	 sa;
	socklen_t		 len = sizeof(sa);
	char			 msg[256], ep[64];
	double			 t0, dt;
	int			 fd;
	enum gh_err		 err;

	/* A port nobody listens on: refused at once. */
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	getsockname(fd, (struct sockaddr *)&sa, &len);
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", ntohs(sa.sin_port));
	close(fd);
	env_reset(ep);
	t0 = standin_now();
	err = get_once(0, &cr, msg, sizeof(msg), NULL);
	dt = standin_now() - t0;
	T(err == GH_ERR_IO && dt < 1.0 && strstr(msg, "instance metadata "
	    "token") != NULL, "IMDS refused: fails at once, clearly (%.2f s: "
	    "%s)", dt, msg);

	/* A listener that never answers (never accepts, even): the 2 s cap. */
	if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
		return;
	sa.sin_port = 0;
	len = sizeof(sa);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 ||
	    listen(fd, 4) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) != 0) {
		close(fd);
		T(0, "a silent listener");
		return;
	}
	snprintf(ep, sizeof(ep), "http://127.0.0.1:%d", ntohs(sa.sin_port));
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", ep, 1);
	t0 = standin_now();
	err = get_once(0, &cr, msg, sizeof(msg), NULL);
	dt = standin_now() - t0;
	close(fd);
	T(err == GH_ERR_IO && dt >= 1.8 && dt < 3.0 && strstr(msg,
	    "imeout") != NULL, "IMDS silent: gives up after 2 s, says it timed "
	    "out (%.2f s: %s)", dt, msg);

	/* The credentials answer comes after 5 s: the same cap. */
	env_reset(imds);
	control("mode/slow");
	t0 = standin_now();
	err = get_once(0, &cr, msg, sizeof(msg), NULL);
	dt = standin_now() - t0;
	T(err == GH_ERR_IO && dt < 2.5 && clean(msg), "IMDS slow to answer "
	    "the credentials: gives up within 2 s (%.2f s: %s)", dt, msg);

	/* Each of the three answers after 0.8 s: 2 s for the whole fetch. */
	env_reset(imds);
	control("mode/slowish");
	t0 = standin_now();
	err = get_once(0, &cr, msg, sizeof(msg), NULL);
	dt = standin_now() - t0;
	T(err == GH_ERR_IO && dt >= 1.8 && dt < 2.5 && strstr(msg,
	    "instance metadata credentials") != NULL && clean(msg),
	    "three answers of 0.8 s each: the fetch gives up at 2 s in all, "
	    "on the third (%.2f s: %s)", dt, msg);
	env_reset(imds);
}

static void
test_malformed(void)
{
	static const struct { const char *mode; enum gh_err err;
	    const char *says; } cases[] = {
		{ "malformed", GH_ERR_INVAL, "not a JSON object" },
		{ "notoken", GH_ERR_INVAL, "Token missing" },
		{ "badexp", GH_ERR_INVAL, "Expiration" },
		{ "expired", GH_ERR_EXPIRED, "expired at" },
		{ "codefail", GH_ERR_INVAL, "Code is not Success" },
		{ "ctrl", GH_ERR_INVAL, "malformed" },
		{ "redirect", GH_ERR_IO, "HTTP 302" },
		{ "huge", GH_ERR_INVAL, "answer over" },
		{ "norole", GH_ERR_IO, "no IAM role" },
	};
	struct gh_awscreds	 cr = { 0 };
	char			 msg[256], what[64];
	size_t			 i;
	enum gh_err		 err;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		env_reset(imds);
		snprintf(what, sizeof(what), "mode/%s", cases[i].mode);
		control(what);
		err = get_once(0, &cr, msg, sizeof(msg), NULL);
		T(err == cases[i].err && cr.access_key == NULL &&
		    strstr(msg, cases[i].says) != NULL && clean(msg),
		    "IMDS answer \"%s\" refused (%s: %s)", cases[i].mode,
		    gh_strerror(err), msg);
	}
	T(stat_of("redirected") == 0, "the redirect was not followed");
	env_reset(imds);
}

static void
test_container(void)
{
	struct gh_awscreds	 cr = { 0 };
	char			 msg[256], uri[128], path[128];
	unsigned		 f;
	int			 c0, fd;
	enum gh_err		 err;

	env_reset(imds);
	snprintf(uri, sizeof(uri), "%s/container/creds", imds);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", uri, 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", AUTH, 1);
	c0 = stat_of("put");
	err = get_once(0, &cr, msg, sizeof(msg), &f);
	T(err == GH_OK && cr.source == GH_AWSCREDS_CONTAINER &&
	    strcmp(cr.token, TOKEN) == 0 && f == 1 && stat_of("put") == c0,
	    "the container endpoint comes before IMDS (%s %s)",
	    gh_strerror(err), msg);
	gh_awscreds_clear(&cr);

	snprintf(path, sizeof(path), "%s/auth", dir);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600)) != -1) {
		(void)!write(fd, AUTH "\n", strlen(AUTH) + 1);
		close(fd);
	}
	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path, 1);
	err = get_once(0, &cr, msg, sizeof(msg), &f);
	T(err == GH_OK && cr.source == GH_AWSCREDS_CONTAINER, "the "
	    "authorization token read from its file (%s)", msg);
	gh_awscreds_clear(&cr);
	unlink(path);

	unsetenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "wrong", 1);
	err = get_once(0, &cr, msg, sizeof(msg), &f);
	T(err == GH_ERR_IO && strstr(msg, "HTTP 401") != NULL &&
	    stat_of("put") == c0 && clean(msg), "a refused container "
	    "endpoint is an error, no fallback to IMDS (%s)", msg);

	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI",
	    "http://example.com/creds", 1);
	err = get_once(0, &cr, msg, sizeof(msg), &f);
	T(err == GH_ERR_CONFIG && f == 0, "plain http to another host "
	    "refused (%s)", msg);
	env_reset(imds);
}

static struct gh_store *
open_on(const char *endpoint, const char *name)
{
	return standin_store(dir, endpoint, name);
}

static void
test_store(void)
{
	struct gh_store	*s;
	json_object	*item = NULL;
	const char	*m;
	int		 c0, n;
	enum gh_err	 err;

	/* Signed with IMDS credentials, token sent and signed. */
	env_reset(imds);
	c0 = stat_of("creds");
	if ((s = open_on(ddb, "ok-imds")) != NULL) {
		err = gh_store_get(s, GH_TABLE_MAIN, "a", "b", &item);
		n = stat_of("creds");
		T(err == GH_OK && item != NULL && gh_store_ops(s) == 1 &&
		    n == c0 + 1, "DynamoDB signed with IMDS credentials: the "
		    "fault server verified the signature and the "
		    "X-Amz-Security-Token (%s %s; %u requests, %d fetches)",
		    gh_strerror(err), gh_store_errmsg(s), gh_store_ops(s),
		    n - c0);
		json_object_put(item);
		item = NULL;
		err = gh_store_get(s, GH_TABLE_MAIN, "a", "c", &item);
		T(err == GH_OK && stat_of("creds") == c0 + 1, "a second "
		    "request reuses the store's cached credentials");
		json_object_put(item);
		item = NULL;
		gh_store_free(s);
	} else
		T(0, "open on the fault server: %s", gh_store_errmsg(NULL));

	/* Without the token the fault server refuses: the check can fail. */
	setenv("AWS_ACCESS_KEY_ID", "AKIDNOTOKEN", 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	if ((s = open_on(ddb, "ok-notoken")) != NULL) {
		err = gh_store_get(s, GH_TABLE_MAIN, "a", "b", &item);
		T(err != GH_OK && strstr(gh_store_errmsg(s),
		    "InvalidSignatureException") != NULL, "the same without "
		    "a session token is refused by the fault server (%s)",
		    gh_store_errmsg(s));
		json_object_put(item);
		item = NULL;
		gh_store_free(s);
	}
	env_reset(imds);

	/* ExpiredTokenException: refreshed once, retried once. */
	c0 = stat_of("creds");
	if ((s = open_on(ddb, "exptoken-1")) != NULL) {
		err = gh_store_get(s, GH_TABLE_MAIN, "a", "b", &item);
		T(err == GH_OK && gh_store_ops(s) == 2 &&
		    stat_of("creds") == c0 + 2, "ExpiredTokenException: "
		    "credentials fetched again, request retried once (%s, %u "
		    "requests)", gh_strerror(err), gh_store_ops(s));
		json_object_put(item);
		item = NULL;
		gh_store_free(s);
	}
	c0 = stat_of("creds");
	if ((s = open_on(ddb, "unrecog-1")) != NULL) {
		err = gh_store_get(s, GH_TABLE_MAIN, "a", "b", &item);
		T(err == GH_OK && gh_store_ops(s) == 2 &&
		    stat_of("creds") == c0 + 2, "UnrecognizedClientException: "
		    "the same (%s, %u requests)", gh_strerror(err),
		    gh_store_ops(s));
		json_object_put(item);
		item = NULL;
		gh_store_free(s);
	}
	c0 = stat_of("creds");
	if ((s = open_on(ddb, "exptoken-always")) != NULL) {
		err = gh_store_get(s, GH_TABLE_MAIN, "a", "b", &item);
		m = gh_store_errmsg(s);
		T(err == GH_ERR_STORE && gh_store_ops(s) == 2 &&
		    stat_of("creds") == c0 + 2 && strstr(m,
		    "ExpiredTokenException") != NULL && clean(m),
		    "still expired after the refresh: fails after one retry "
		    "(%u requests: %s)", gh_store_ops(s), m);
		gh_store_free(s);
	}
	setenv("AWS_ACCESS_KEY_ID", ENV_AK, 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	setenv("AWS_SESSION_TOKEN", TOKEN, 1);
	if ((s = open_on(ddb, "exptoken-1-env")) != NULL) {
		err = gh_store_get(s, GH_TABLE_MAIN, "a", "b", &item);
		T(err == GH_ERR_STORE && gh_store_ops(s) == 1, "environment "
		    "credentials: nothing to refresh, no retry (%u)",
		    gh_store_ops(s));
		gh_store_free(s);
	}

	/* An answer quoting the token (as AWS's signature mismatch does). */
	if ((s = open_on(ddb, "sigecho-env")) != NULL) {
		err = gh_store_get(s, GH_TABLE_MAIN, "a", "b", &item);
		m = gh_store_errmsg(s);
		T(err == GH_ERR_STORE && strstr(m, "[redacted]") != NULL &&
		    clean(m), "environment credentials quoted by the answer are "
		    "redacted from the message (%s)", m);
		gh_store_free(s);
	}
	env_reset(imds);
	if ((s = open_on(ddb, "sigecho-imds")) != NULL) {
		err = gh_store_get(s, GH_TABLE_MAIN, "a", "b", &item);
		m = gh_store_errmsg(s);
		T(err == GH_ERR_STORE && strstr(m, "[redacted]") != NULL &&
		    clean(m), "IMDS credentials quoted by the answer are "
		    "redacted from the message (%s)", m);
		gh_store_free(s);
	}

	/* The regional endpoint (no override), IMDS unreachable: no hang,
	 * and no placeholder. */
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", "http://127.0.0.1:1", 1);
	if ((s = open_on("", "nowhere")) != NULL) {
		double t0 = standin_now();

		err = gh_store_get(s, GH_TABLE_MAIN, "a", "b", &item);
		T(err == GH_ERR_STORE && gh_store_ops(s) == 0 &&
		    standin_now() - t0 < 1.0 && strstr(gh_store_errmsg(s),
		    "credentials: instance metadata") != NULL, "AWS endpoint, "
		    "no credentials anywhere: a clear error before any "
		    "request (%s)", gh_store_errmsg(s));
		gh_store_free(s);
	} else
		T(0, "open without an endpoint: %s", gh_store_errmsg(NULL));
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	s = open_on("", "nowhere");
	T(s == NULL && strstr(gh_store_errmsg(NULL),
	    "AWS_EC2_METADATA_DISABLED") != NULL, "AWS endpoint, IMDS "
	    "disabled, no keys: the store does not open (%s)",
	    gh_store_errmsg(NULL));
	gh_store_free(s);
	setenv("AWS_ACCESS_KEY_ID", ENV_AK, 1);
	s = open_on(ddb, "ok-half");
	T(s == NULL && strstr(gh_store_errmsg(NULL), "AWS_ACCESS_KEY_ID is "
	    "set but AWS_SECRET_ACCESS_KEY is not") != NULL &&
	    clean(gh_store_errmsg(NULL)), "half a key pair: the store does "
	    "not open, even on a stand-in (%s)", gh_store_errmsg(NULL));
	gh_store_free(s);
	env_reset(imds);
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/gh-test-awscreds-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	unsetenv("GATEHOUSE_STORE");
	unsetenv("DYNAMODB_ENDPOINT");
	unsetenv("DYNAMODB_TABLE");
	unsetenv("DYNAMODB_ORDERS_TABLE");
	unsetenv("AWS_REGION");
	curl_global_init(CURL_GLOBAL_DEFAULT);
	if (standin_start("tests/imds-server.py", SECRET, TOKEN, AUTH,
	    &imds_pid, imds, sizeof(imds)) != 0 ||
	    standin_start("tests/ddb-fault-server.py", SECRET, TOKEN, NULL,
	    &ddb_pid, ddb, sizeof(ddb)) != 0) {
		T(0, "the stand-ins (python3 tests/imds-server.py, "
		    "tests/ddb-fault-server.py) started");
		goto out;
	}
	printf("# IMDS stand-in on %s, fault server on %s\n", imds, ddb);
	test_time();
	test_env();
	test_imds();
	test_disabled();
	test_unreachable();
	test_malformed();
	test_container();
	test_store();
out:
	standin_stop(imds_pid);
	standin_stop(ddb_pid);
	rmdir(dir);
	curl_global_cleanup();
	return tests_done();
}
