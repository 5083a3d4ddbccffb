/*
 * test-http.c: the shared request cycle (http.c) driven through its gh_io
 * seam: the checks every route gets before its handler, in their order, and
 * the shapes of the answers.  End-to-end tests repeat the important ones
 * through lighttpd and Apache.
 */
#include <sys/wait.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gh_conf.h"
#include "gh_http.h"
#include "gh_http_impl.h"
#include "gh_json.h"
#include "gh_store.h"

#include "mem-io.h"
#include "tests.h"

/* --- a small app ------------------------------------------------------ */

enum { F_NAME, F_COUNT, F__MAX };
static const struct gh_field fields[F__MAX] = {
	[F_NAME] = { "name", GH_SRC_BODY, gh_valid_id, 1 },
	[F_COUNT] = { "count", GH_SRC_BODY, gh_valid_uint, 0 },
};
enum { Q_LIMIT, Q__MAX };
static const struct gh_field qfields[Q__MAX] = {
	[Q_LIMIT] = { "limit", GH_SRC_QUERY, gh_valid_limit, 0 },
};

static void
h_echo(struct gh_req *r)
{
	json_object *o = json_object_new_object();

	gh_json_add_str(o, "name", gh_req_field(r, F_NAME)->str);
	if (gh_req_field(r, F_COUNT)->present)
		gh_json_add_int(o, "count", gh_req_field(r, F_COUNT)->num);
	gh_reply(r, 201, o);
}

static void
h_get(struct gh_req *r)
{
	json_object *o = json_object_new_object();

	if (gh_req_field(r, Q_LIMIT)->present)
		gh_json_add_int(o, "limit", gh_req_field(r, Q_LIMIT)->num);
	if (gh_req_param(r) != NULL)
		gh_json_add_str(o, "param", gh_req_param(r));
	gh_reply(r, 200, o);
}

static void
h_silent(struct gh_req *r)
{
	(void)r;	/* a buggy handler that forgets to reply */
}

static const struct gh_route routes[] = {
	{ GH_POST, "/t/echo", h_echo, fields, F__MAX, GH_AUTH_NONE, 0, GH_R_JSON },
	{ GH_GET, "/t/echo", h_get, qfields, Q__MAX, GH_AUTH_NONE, 0, 0 },
	{ GH_GET, "/t/items/{}", h_get, NULL, 0, GH_AUTH_NONE, 0, 0 },
	{ GH_GET, "/t/silent", h_silent, NULL, 0, GH_AUTH_NONE, 0, 0 },
	{ GH_GET, "/t/private", h_get, NULL, 0, GH_AUTH_ID, 0, 0 },
	{ GH_GET, "/t/pools/{}/doc", h_get, NULL, 0, GH_AUTH_NONE, 0, 0 },
};
static const struct gh_app app = { "test", routes, 6, GH_STYLE_API, 0, NULL, NULL, 0 };
static const struct gh_app capp = { "test-cognito", routes, 6, GH_STYLE_COGNITO, 0,
    "application/x-amz-json-1.1", NULL, 0 };

static struct gh_proc proc;

/* Runs one request; returns the status and leaves the output in m. */
static int
run(const struct gh_app *a, struct mem_io *m, const char *const *env,
    const char *body)
{
	int status = 0;

	mem_io_init(m, env, body);
	gh_handle(a, &proc, &m->io);
	sscanf(m->out, "Status: %d", &status);
	return status;
}

static int
has(const struct mem_io *m, const char *s)
{
	return strstr(m->out, s) != NULL;
}

/* gh_iso_time writes its digits by hand: the same text as strftime. */
static void
iso_time_cases(void)
{
	static const time_t	 at[] = { 0, 951782400 /* 2000-02-29 */,
	    1798761599 /* 2026-12-31T23:59:59 */, 4107542399 /* 2100-02-28T23:59:59 */,
	    253402300799 /* 9999-12-31T23:59:59 */, 253402300800 /* year 10000 */,
	    -1, -62167219200 /* year 0 */ };
	char		 got[GH_ISO_TIME_LEN + 8], want[GH_ISO_TIME_LEN + 8], small[8];
	struct tm	 tm;
	size_t		 i, bad = 0;
	time_t		 t;

	for (i = 0; i < sizeof(at) / sizeof(at[0]); i++) {
		gmtime_r(&at[i], &tm);
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
		gh_iso_time(at[i], got, sizeof(got));
		T(strcmp(got, want) == 0, "iso time %lld: %s (strftime: %s)",
		    (long long)at[i], got, want);
	}
	/* Every day of four years and odd seconds in them. */
	for (t = 1704067200; t < 1704067200 + 4 * 366 * 86400; t += 86400 + 3599) {
		gmtime_r(&t, &tm);
		strftime(want, sizeof(want), "%Y-%m-%dT%H:%M:%SZ", &tm);
		gh_iso_time(t, got, sizeof(got));
		bad += strcmp(got, want) != 0;
	}
	T(bad == 0, "iso time: 1461 days of 2024-2027 as strftime writes them (%zu differ)", bad);
	gh_iso_time(0, small, sizeof(small));
	T(small[0] == '\0', "iso time: a buffer too small gets the empty string");
}

/* The per-request log line: one JSON object with its members. */
static void
log_line_case(const struct gh_app *a, const char *dir)
{
	char		 conf[256], logf[256], line[1024];
	struct gh_proc	 lp;
	struct mem_io	 m;
	json_object	*o = NULL, *v;
	FILE		*f;
	int		 saved, fd, ok;
	const char	*e[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/t/echo",
	    "QUERY_STRING=limit=7", "HTTP_X_REQUEST_ID=log-case-1", NULL };

	snprintf(conf, sizeof(conf), "%s/log.conf", dir);
	snprintf(logf, sizeof(logf), "%s/log.txt", dir);
	if ((f = fopen(conf, "w")) == NULL)
		return;
	fprintf(f, "log_requests = yes\n");
	fclose(f);
	setenv("GATEHOUSE_CONFIG", conf, 1);
	memset(&lp, 0, sizeof(lp));
	fflush(stderr);
	saved = dup(STDERR_FILENO);
	fd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	dup2(fd, STDERR_FILENO);
	close(fd);
	mem_io_init(&m, e, NULL);
	gh_handle(a, &lp, &m.io);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	gh_conf_free(lp.conf);
	gh_store_free(lp.store);
	line[0] = '\0';
	if ((f = fopen(logf, "r")) != NULL) {
		if (fgets(line, sizeof(line), f) == NULL)
			line[0] = '\0';
		fclose(f);
	}
	unlink(logf);
	unlink(conf);
	o = json_tokener_parse(line);
	ok = o != NULL && json_object_object_get_ex(o, "status", &v) &&
	    json_object_is_type(v, json_type_int) && json_object_get_int(v) == 200 &&
	    json_object_object_get_ex(o, "ms", &v) &&
	    json_object_is_type(v, json_type_double) &&
	    json_object_get_double(v) >= 0 &&
	    json_object_object_get_ex(o, "store_ops", &v) &&
	    json_object_get_int(v) == 0 &&
	    strcmp(gh_json_str(o, "rid"), "log-case-1") == 0 &&
	    strcmp(gh_json_str(o, "path"), "/t/echo") == 0 &&
	    strcmp(gh_json_str(o, "method"), "GET") == 0 &&
	    strlen(gh_json_str(o, "ts")) == GH_ISO_TIME_LEN - 1;
	T(ok && strstr(line, ",\"ms\":") != NULL &&
	    strchr(strstr(line, ",\"ms\":"), '.') != NULL &&
	    strstr(line, "}\n") != NULL, "the log line: %s", line);
	json_object_put(o);
}

/* The request id of the reply in m ("" if none). */
static void
reply_rid(const struct mem_io *m, char out[40])
{
	const char	*h = strstr(m->out, "X-Request-Id: ");
	size_t		 n;

	out[0] = '\0';
	if (h == NULL)
		return;
	h += strlen("X-Request-Id: ");
	n = strcspn(h, "\r\n");
	if (n < 40) {
		memcpy(out, h, n);
		out[n] = '\0';
	}
}

/* Request ids come from a pool of random bytes: distinct, also after fork. */
static void
rid_cases(const struct gh_app *a)
{
	static char	 seen[200][40];
	char		 mine[40], child[40] = "";
	struct mem_io	 m;
	size_t		 i, j, dup = 0, odd = 0;
	int		 fds[2];
	pid_t		 pid;
	const char	*e[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/t/echo", NULL };

	for (i = 0; i < 200; i++) {
		mem_io_init(&m, e, NULL);
		gh_handle(a, &proc, &m.io);
		reply_rid(&m, seen[i]);
		odd += strlen(seen[i]) != 16 ||
		    strspn(seen[i], "0123456789abcdef") != 16;
		for (j = 0; j < i; j++)
			dup += strcmp(seen[i], seen[j]) == 0;
	}
	T(odd == 0 && dup == 0, "200 request ids: 16 hex digits, all distinct "
	    "(%zu odd, %zu repeated)", odd, dup);
	if (pipe(fds) != 0)
		return;
	if ((pid = fork()) == 0) {
		close(fds[0]);
		mem_io_init(&m, e, NULL);
		gh_handle(a, &proc, &m.io);
		reply_rid(&m, mine);
		(void)!write(fds[1], mine, strlen(mine));
		_exit(0);
	}
	close(fds[1]);
	mem_io_init(&m, e, NULL);
	gh_handle(a, &proc, &m.io);
	reply_rid(&m, mine);
	if (pid > 0) {
		i = 0;
		while (i < sizeof(child) - 1 &&
		    read(fds[0], child + i, 1) == 1)
			i++;
		child[i] = '\0';
		waitpid(pid, NULL, 0);
	}
	close(fds[0]);
	T(strlen(child) == 16 && strcmp(child, mine) != 0,
	    "a forked child's next request id is not its parent's (%s, %s)",
	    child, mine);
}

#define POST_JSON(len) "REQUEST_METHOD=POST", "REQUEST_URI=/t/echo", \
	"CONTENT_TYPE=application/json", "CONTENT_LENGTH=" len

int
main(void)
{
	struct mem_io	 m;
	char		 dir[] = "/tmp/gh-test-http-XXXXXX", conf[256], deep[200];
	FILE		*f;
	int		 i;

	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(conf, sizeof(conf), "%s/gatehouse.conf", dir);
	if ((f = fopen(conf, "w")) == NULL)
		return 1;
	fprintf(f, "max_body = 64\njson_max_depth = 4\nlog_requests = no\n");
	fclose(f);
	setenv("GATEHOUSE_CONFIG", conf, 1);

	{
		const char *e[] = { POST_JSON("24"), NULL };
		T(run(&app, &m, e, "{\"name\":\"a-1\",\"count\":3}") == 201 &&
		    has(&m, "\"count\":3") && has(&m, "Content-Type: application/json"),
		    "valid POST reaches the handler");
	}
	{
		const char *e[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/nope", NULL };
		T(run(&app, &m, e, NULL) == 404 && has(&m, "\"error\":\"not_found\""),
		    "unknown path is a JSON 404");
	}
	{
		const char *e[] = { "REQUEST_METHOD=DELETE", "REQUEST_URI=/t/echo", NULL };
		T(run(&app, &m, e, NULL) == 405 && has(&m, "Allow: POST, GET") &&
		    has(&m, "method_not_allowed"), "wrong method is 405 with Allow");
	}
	{
		const char *e[] = { "REQUEST_METHOD=BREW", "REQUEST_URI=/t/echo", NULL };
		T(run(&app, &m, e, NULL) == 405, "unknown method is 405");
	}
	{
		const char *e[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/t/echo",
		    "CONTENT_TYPE=text/plain", "CONTENT_LENGTH=2", NULL };
		T(run(&app, &m, e, "{}") == 415, "wrong content type is 415");
	}
	{
		const char *e[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/t/echo",
		    "CONTENT_TYPE=application/json; charset=utf-8", "CONTENT_LENGTH=14", NULL };
		T(run(&app, &m, e, "{\"name\":\"abc\"}") == 201,
		    "content type parameters are accepted");
	}
	{
		const char *e[] = { POST_JSON("100000"), NULL };
		T(run(&app, &m, e, "{\"name\":\"x\"}") == 413 && m.reads == 0 &&
		    has(&m, "body_too_large"), "body over the limit is 413, unread");
	}
	{
		const char *e[] = { POST_JSON("-1"), NULL };
		T(run(&app, &m, e, NULL) == 400, "negative Content-Length is 400");
	}
	{
		const char *e[] = { POST_JSON("20"), NULL };
		T(run(&app, &m, e, "{\"name\":") == 400, "body shorter than its length is 400");
	}
	{
		static const char *bad[] = {
			"{\"name\":\"a\",}", "{'name':'a'}", "{\"name\":\"a\"} x",
			"[1]", "\"str\"", "{\"name\":\"a\xff\"}", "{\"name\":\"a\\u0000b\"}",
			"{\"name\":\"a\" /* c */}", "{name:\"a\"}", "{\"name\":\"\xc0\x80\"}",
			"{\"name\\u0000x\":\"a\"}",
		};
		for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
			char len[40];
			snprintf(len, sizeof(len), "CONTENT_LENGTH=%zu", strlen(bad[i]));
			const char *e[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/t/echo",
			    "CONTENT_TYPE=application/json", len, NULL };
			T(run(&app, &m, e, bad[i]) == 400 && has(&m, "invalid_json"),
			    "malformed JSON is 400 (case %d)", i);
		}
	}
	{
		snprintf(deep, sizeof(deep), "{\"name\":\"a\",\"x\":[[[[[1]]]]]}");
		char len[40];
		snprintf(len, sizeof(len), "CONTENT_LENGTH=%zu", strlen(deep));
		const char *e[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/t/echo",
		    "CONTENT_TYPE=application/json", len, NULL };
		T(run(&app, &m, e, deep) == 400 && has(&m, "nested too deeply"),
		    "nesting over the limit is 400");
	}
	{
		const char *e[] = { POST_JSON("2"), NULL };
		T(run(&app, &m, e, "{}") == 400 && has(&m, "missing_field") &&
		    has(&m, "\\\"name\\\""), "missing field is 400 naming it");
	}
	{
		const char *e[] = { POST_JSON("14"), NULL };
		T(run(&app, &m, e, "{\"name\":\"a b\"}") == 400 && has(&m, "invalid_field"),
		    "invalid field is 400");
	}
	{
		const char *e[] = { POST_JSON("15"), NULL };
		T(run(&app, &m, e, "{\"name\":[\"a\"]}") == 400, "wrong field type is 400");
	}
	{
		const char *e[] = { POST_JSON("27"), NULL };
		T(run(&app, &m, e, "{\"name\":\"a\",\"role\":\"admin\"}") == 400 &&
		    has(&m, "unknown_field"), "undeclared field is refused");
	}
	{
		const char *e[] = { POST_JSON("24"), NULL };
		T(run(&app, &m, e, "{\"name\":\"a\",\"count\":-3}") == 400,
		    "negative count is refused");
	}
	{
		const char *e[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/t/echo?limit=7",
		    "QUERY_STRING=limit=7", NULL };
		T(run(&app, &m, e, NULL) == 200 && has(&m, "\"limit\":7"), "query field parsed");
	}
	{
		static const char *bad[] = { "limit=0", "limit=101", "limit=1&limit=2",
		    "limit=%zz", "limit=1%00", "limit=abc", "limit=%" };
		for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
			char qs[64];
			snprintf(qs, sizeof(qs), "QUERY_STRING=%s", bad[i]);
			const char *e[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/t/echo", qs, NULL };
			T(run(&app, &m, e, NULL) == 400, "bad query \"%s\" is 400", bad[i]);
		}
	}
	{
		const char *e[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/t/items/abc-1", NULL };
		T(run(&app, &m, e, NULL) == 200 && has(&m, "\"param\":\"abc-1\""),
		    "path parameter extracted");
	}
	{
		const char *e[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/t/pools/us-east-1_X/doc", NULL };
		T(run(&app, &m, e, NULL) == 200 && has(&m, "\"param\":\"us-east-1_X\""),
		    "path parameter in the middle extracted");
	}
	{
		static const char *bad[] = { "/t/pools//doc", "/t/pools/p/doc/x",
		    "/t/pools/p/docx", "/t/pools/p", "/t/pools/a/b/doc", "/t/pools/p/" };
		for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
			char uri[64];
			snprintf(uri, sizeof(uri), "REQUEST_URI=%s", bad[i]);
			const char *e[] = { "REQUEST_METHOD=GET", uri, NULL };
			T(run(&app, &m, e, NULL) == 404, "odd path \"%s\" is 404", bad[i]);
		}
	}
	{
		static const char *bad[] = { "/t/items/", "/t/items/a/b", "/t/items/a%00",
		    "/t/items/a%2Fb", "/t/items/%zz", "/t/itemsx" };
		for (i = 0; i < (int)(sizeof(bad) / sizeof(bad[0])); i++) {
			char uri[64];
			snprintf(uri, sizeof(uri), "REQUEST_URI=%s", bad[i]);
			const char *e[] = { "REQUEST_METHOD=GET", uri, NULL };
			T(run(&app, &m, e, NULL) == 404, "odd path \"%s\" is 404", bad[i]);
		}
	}
	{
		const char *e[] = { "REQUEST_METHOD=HEAD", "REQUEST_URI=/t/echo", NULL };
		T(run(&app, &m, e, NULL) == 200 && has(&m, "Content-Length: 0") &&
		    !has(&m, "{"), "HEAD answers headers only");
	}
	{
		const char *e[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/t/silent", NULL };
		T(run(&app, &m, e, NULL) == 500, "a handler that does not reply gives 500");
	}
	{
		const char *e[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/t/private", NULL };
		T(run(&app, &m, e, NULL) == 401 && has(&m, "WWW-Authenticate: Bearer"),
		    "no bearer token is 401");
	}
	{
		const char *e[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/t/private",
		    "HTTP_AUTHORIZATION=Basic dXNlcjpwYXNz", NULL };
		T(run(&app, &m, e, NULL) == 401, "basic auth is 401");
	}
	{
		const char *e[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/t/echo",
		    "HTTP_X_REQUEST_ID=abc-123", NULL };
		T(run(&app, &m, e, NULL) == 200 && has(&m, "X-Request-Id: abc-123"),
		    "a sane request id is echoed");
	}
	{
		const char *e[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/t/echo",
		    "HTTP_X_REQUEST_ID=a\"b", NULL };
		T(run(&app, &m, e, NULL) == 200 && !has(&m, "a\"b"),
		    "an odd request id is replaced");
	}
	{
		const char *e[] = { "REQUEST_METHOD=POST", "REQUEST_URI=/t/echo",
		    "CONTENT_TYPE=application/x-amz-json-1.1", "CONTENT_LENGTH=3", NULL };
		T(run(&capp, &m, e, "{x}") == 400 &&
		    has(&m, "\"__type\":\"SerializationException\"") &&
		    has(&m, "x-amzn-ErrorType: SerializationException") &&
		    has(&m, "Content-Type: application/x-amz-json-1.1"),
		    "Cognito-style errors for the user pool");
	}
	{
		const char *e[] = { "REQUEST_METHOD=GET", "REQUEST_URI=/t/echo", NULL };
		struct gh_proc saved = proc;
		memset(&proc, 0, sizeof(proc));
		setenv("GATEHOUSE_CONFIG", "/nonexistent/gatehouse.conf", 1);
		T(run(&app, &m, e, NULL) == 503 && has(&m, "\"error\""),
		    "missing configuration is 503");
		gh_conf_free(proc.conf);
		proc = saved;
	}
	iso_time_cases();
	rid_cases(&app);
	log_line_case(&app, dir);
	gh_conf_free(proc.conf);
	gh_store_free(proc.store);
	unlink(conf);
	rmdir(dir);
	return tests_done();
}
