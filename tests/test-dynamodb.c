/*
 * test-dynamodb.c: the DynamoDB backend's HTTP behaviour against a real
 * loopback server speaking the wire protocol (tests/ddb-fault-server.py,
 * Python standard library): retries with backoff on throttling and 5xx,
 * no retry on conditional failures or bad requests, the mapping of
 * DynamoDB's errors onto gh_err, UnprocessedKeys retried, the answer size
 * limit, SigV4 with a session token verified by the server, and one reused
 * connection per store.  (Semantics are tested by test-store.c against
 * dynalite, tests/suites/dynamodb.sh.)
 */
#include <sys/types.h>
#include <sys/wait.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "gh_conf.h"
#include "gh_store.h"
#include "tests.h"

#define SECRET	"test/secret+KEY"
#define TOKEN	"session-token/with+odd=chars"
#define TRIES	8	/* DDB_TRIES in store_dynamodb.c */

static pid_t	 srv = -1;
static char	 url[64];
static char	 dir[64];

static int
start_server(void)
{
	int	 fds[2];
	char	 line[64];
	FILE	*f;
	int	 port;

	if (pipe(fds) != 0)
		return -1;
	if ((srv = fork()) == -1)
		return -1;
	if (srv == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execlp("python3", "python3", "tests/ddb-fault-server.py", SECRET,
		    TOKEN, (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	if ((f = fdopen(fds[0], "r")) == NULL)
		return -1;
	if (fgets(line, sizeof(line), f) == NULL ||
	    sscanf(line, "PORT %d", &port) != 1) {
		fclose(f);
		return -1;
	}
	fclose(f);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
	return 0;
}

static void
stop_server(void)
{
	if (srv > 0) {
		kill(srv, SIGTERM);
		waitpid(srv, NULL, 0);
	}
}

/* A store on the fault server (or endpoint) whose tables are name, name-o. */
static struct gh_store *
open_on(const char *endpoint, const char *name)
{
	struct gh_conf	*conf = NULL;
	struct gh_store	*s = NULL;
	const char	*msg = NULL;
	char		 path[128];
	FILE		*f;

	snprintf(path, sizeof(path), "%s/gatehouse.conf", dir);
	if ((f = fopen(path, "w")) == NULL)
		return NULL;
	fprintf(f, "store = dynamodb\ndynamodb_endpoint = %s\n"
	    "dynamodb_region = eu-west-3\ndynamodb_table = %s\n"
	    "dynamodb_orders_table = %s-o\n", endpoint, name, name);
	fclose(f);
	if (gh_conf_load(path, 0, &conf, &msg) != GH_OK) {
		fprintf(stderr, "conf: %s\n", msg ? msg : "?");
		return NULL;
	}
	if (gh_store_open(conf, &s) != GH_OK) {
		fprintf(stderr, "open: %s\n", gh_store_errmsg(NULL));
		s = NULL;
	}
	gh_conf_free(conf);
	unlink(path);
	return s;
}

static struct gh_store *
open_store(const char *name)
{
	return open_on(url, name);
}

/* What the server saw: requests for table name, connections accepted. */
static int64_t
server_stat(const char *name, const char *what)
{
	struct gh_store	*s;
	json_object	*item = NULL, *v;
	int64_t		 n = -1;

	if ((s = open_store("stats")) == NULL)
		return -1;
	if (gh_store_get(s, GH_TABLE_MAIN, name, "stats", &item) == GH_OK &&
	    json_object_object_get_ex(item, what, &v))
		n = json_object_get_int64(v);
	json_object_put(item);
	gh_store_free(s);
	return n;
}

static double
now_s(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* A get on table name: its error, with ops and the server's count. */
static enum gh_err
get_on(const char *name, unsigned *ops, double *secs)
{
	struct gh_store	*s;
	json_object	*item = NULL;
	enum gh_err	 err;
	double		 t0;

	if ((s = open_store(name)) == NULL)
		return GH_ERR__MAX;
	t0 = now_s();
	err = gh_store_get(s, GH_TABLE_MAIN, "pk", "sk", &item);
	if (secs != NULL)
		*secs = now_s() - t0;
	*ops = gh_store_ops(s);
	if (err == GH_OK && (item == NULL ||
	    json_object_get_int64(json_object_object_get(item, "n")) != 42))
		err = GH_ERR__MAX;
	json_object_put(item);
	gh_store_free(s);
	return err;
}

static void
test_retries(void)
{
	static const char *const recover[] = {
		"throttle-3", "ptee-2", "limit-1", "e500-2", "e503-1",
	};
	static const struct {
		const char	*name;
		enum gh_err	 want;
		const char	*what;
	} give_up[] = {
		{ "throttle-always", GH_ERR_THROTTLED, "throttling" },
		{ "e500-always", GH_ERR_STORE, "HTTP 500" },
	};
	unsigned	 ops;
	double		 secs;
	size_t		 i;
	int		 n;
	enum gh_err	 err;

	for (i = 0; i < sizeof(recover) / sizeof(recover[0]); i++) {
		n = atoi(strchr(recover[i], '-') + 1);
		err = get_on(recover[i], &ops, NULL);
		T(err == GH_OK && ops == (unsigned)n + 1 &&
		    server_stat(recover[i], "n") == n + 1,
		    "%s: retried %d times, then ok (err %s, %u requests)",
		    recover[i], n, gh_strerror(err), ops);
	}
	for (i = 0; i < sizeof(give_up) / sizeof(give_up[0]); i++) {
		err = get_on(give_up[i].name, &ops, &secs);
		T(err == give_up[i].want && ops == TRIES &&
		    server_stat(give_up[i].name, "n") == TRIES,
		    "endless %s: %s after %d requests (got %s, %u)",
		    give_up[i].what, gh_strerror(give_up[i].want), TRIES,
		    gh_strerror(err), ops);
		/* Capped backoff: at most 25+50+...+1600 ms of sleep. */
		T(secs < 6.0, "endless %s: gave up after %.2fs (capped "
		    "backoff)", give_up[i].what, secs);
	}
}

static void
test_errors(void)
{
	struct gh_store	*s;
	json_object	*item, *got = NULL;
	struct gh_cond	 c = { GH_COND_NOT_EXISTS, 0 };
	struct gh_update u;
	unsigned	 ops;
	enum gh_err	 err;
	double		 secs;

	/* Conditional failures: CONFLICT at once, never retried. */
	if ((s = open_store("ccf-put")) == NULL) {
		T(0, "open");
		return;
	}
	item = json_tokener_parse("{\"PK\":\"a\",\"SK\":\"b\",\"x\":1}");
	err = gh_store_put(s, GH_TABLE_MAIN, item, &c);
	T(err == GH_ERR_CONFLICT && gh_store_ops(s) == 1 &&
	    server_stat("ccf-put", "n") == 1,
	    "ConditionalCheckFailedException: conflict, one request (%s, %u)",
	    gh_strerror(err), gh_store_ops(s));
	json_object_put(item);
	gh_store_free(s);

	if ((s = open_store("ok-put")) != NULL) {
		item = json_tokener_parse("{\"PK\":\"a\",\"SK\":\"b\"}");
		T(gh_store_put(s, GH_TABLE_MAIN, item, NULL) == GH_OK &&
		    gh_store_ops(s) == 1 && server_stat("ok-put", "n") == 1,
		    "an unconditional put of a new item: one request (%u)",
		    gh_store_ops(s));
		json_object_put(item);
		gh_store_free(s);
	}
	if ((s = open_store("ccf-update")) != NULL) {
		memset(&u, 0, sizeof(u));
		c.type = GH_COND_EXISTS;
		err = gh_store_update(s, GH_TABLE_MAIN, "a", "b", &u, &c, NULL);
		T(err == GH_ERR_CONFLICT && gh_store_ops(s) == 1,
		    "update EXISTS failing its condition: conflict, one "
		    "request (%s, %u)", gh_strerror(err), gh_store_ops(s));
		gh_store_free(s);
	}
	if ((s = open_store("ccf-delete")) != NULL) {
		err = gh_store_delete(s, GH_TABLE_MAIN, "a", "b", NULL, &got);
		T(err == GH_ERR_NOTFOUND && gh_store_ops(s) == 1 && got == NULL,
		    "delete failing its condition: not found, one request "
		    "(the atomic DeleteItem ALL_OLD) (%s, %u)",
		    gh_strerror(err), gh_store_ops(s));
		gh_store_free(s);
	}

	err = get_on("validation", &ops, NULL);
	T(err == GH_ERR_INVAL && ops == 1, "ValidationException: invalid, "
	    "not retried (%s, %u)", gh_strerror(err), ops);
	err = get_on("missing", &ops, NULL);
	T(err == GH_ERR_STORE && ops == 1, "ResourceNotFoundException: store "
	    "error, not retried (%s, %u)", gh_strerror(err), ops);
	err = get_on("garbage", &ops, NULL);
	T(err == GH_ERR_STORE && ops == 1, "an answer that is not JSON: "
	    "store error (%s, %u)", gh_strerror(err), ops);
	err = get_on("huge", &ops, NULL);
	T(err == GH_ERR_STORE && ops == 1, "a 40 MiB answer: refused at the "
	    "size limit, not retried (%s, %u)", gh_strerror(err), ops);
	if ((s = open_store("deep")) != NULL) {
		json_object *v;
		int depth = 0;

		got = NULL;
		err = gh_store_get(s, GH_TABLE_MAIN, "a", "b", &got);
		for (v = json_object_object_get(got, "deep");
		    json_object_is_type(v, json_type_object); depth++)
			v = json_object_object_get(v, "d");
		T(err == GH_OK && depth == 31 && json_object_get_int(v) == 7,
		    "an item nested 31 levels deep reads back whole (%s, %d)",
		    gh_strerror(err), depth);
		json_object_put(got);
		got = NULL;
		item = json_tokener_parse("{\"PK\":\"a\",\"SK\":\"b\"}");
		v = json_object_new_int(1);
		for (depth = 0; depth < 40; depth++) {
			json_object *m = json_object_new_object();
			json_object_object_add(m, "d", v);
			v = m;
		}
		json_object_object_add(item, "deep", v);
		gh_store_ops_reset(s);
		T(gh_store_put(s, GH_TABLE_MAIN, item, NULL) == GH_ERR_INVAL &&
		    gh_store_ops(s) == 0, "an item nested 40 levels: invalid, no "
		    "request (DynamoDB's limit is 32)");
		json_object_put(item);
		gh_store_free(s);
	}
	err = get_on("ok", &ops, NULL);
	T(err == GH_OK && ops == 1, "a plain get: one signed request, "
	    "verified by the server (%s, %u)", gh_strerror(err), ops);

	/* The server checks signatures: a wrong secret is refused once. */
	setenv("AWS_SECRET_ACCESS_KEY", "wrong", 1);
	err = get_on("ok-badsig", &ops, NULL);
	T(err == GH_ERR_STORE && ops == 1, "a wrong secret: the server "
	    "refuses the signature, not retried (%s, %u)", gh_strerror(err),
	    ops);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	unsetenv("AWS_SESSION_TOKEN");
	err = get_on("ok-notoken", &ops, NULL);
	T(err == GH_ERR_STORE, "no session token: refused by the server (%s)",
	    gh_strerror(err));
	setenv("AWS_SESSION_TOKEN", TOKEN, 1);

	/* Nothing listening: transport errors retried, then a store error. */
	if ((s = open_on("http://127.0.0.1:1", "ok")) != NULL) {
		double t0 = now_s();
		err = gh_store_get(s, GH_TABLE_MAIN, "a", "b", &got);
		secs = now_s() - t0;
		T(err == GH_ERR_STORE && gh_store_ops(s) == TRIES &&
		    secs < 6.0, "connection refused: retried, store error "
		    "(%s, %u, %.2fs)", gh_strerror(err), gh_store_ops(s),
		    secs);
		gh_store_ops_reset(s);
		t0 = now_s();
		err = gh_store_ping(s);
		secs = now_s() - t0;
		T(err == GH_ERR_STORE && gh_store_ops(s) == 2 && secs < 1.0,
		    "ping: store error after 2 attempts only (%s, %u, %.2fs)",
		    gh_strerror(err), gh_store_ops(s), secs);
		gh_store_free(s);
	}
}

static void
test_batch_and_reuse(void)
{
	struct gh_store	*s;
	struct gh_key	 keys[3] = { { "a", "1" }, { "a", "2" }, { "b", "1" } };
	json_object	*arr = NULL, *item = NULL;
	int64_t		 c0, c1;
	enum gh_err	 err;
	int		 i, ok;

	if ((s = open_store("unproc-2")) != NULL) {
		err = gh_store_batch_get(s, GH_TABLE_MAIN, keys, 3, &arr);
		T(err == GH_OK && json_object_array_length(arr) == 3 &&
		    gh_store_ops(s) == 3, "BatchGetItem: UnprocessedKeys "
		    "asked again until answered (%s, %u requests)",
		    gh_strerror(err), gh_store_ops(s));
		json_object_put(arr);
		arr = NULL;
		gh_store_free(s);
	}
	if ((s = open_store("unproc-always")) != NULL) {
		err = gh_store_batch_get(s, GH_TABLE_MAIN, keys, 3, &arr);
		T(err == GH_ERR_THROTTLED && arr == NULL && gh_store_ops(s) ==
		    TRIES, "BatchGetItem never answered: throttled after %d "
		    "requests (%s, %u)", TRIES, gh_strerror(err),
		    gh_store_ops(s));
		gh_store_free(s);
	}

	c0 = server_stat("none", "conns");
	if ((s = open_store("ok-reuse")) == NULL) {
		T(0, "open");
		return;
	}
	for (i = 0, ok = 1; i < 10; i++) {
		item = NULL;
		ok &= gh_store_get(s, GH_TABLE_MAIN, "a", "b", &item) == GH_OK;
		json_object_put(item);
	}
	gh_store_free(s);
	c1 = server_stat("none", "conns");
	/* c1 - c0: the store's one connection and the second stats call's. */
	T(ok && c0 > 0 && c1 - c0 == 2, "10 requests of one store over one "
	    "connection (%lld new connections, 1 of them the stats call's)",
	    (long long)(c1 - c0));
}

int
main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/gh-test-dynamodb-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
	setenv("AWS_SESSION_TOKEN", TOKEN, 1);
	unsetenv("GATEHOUSE_STORE");
	unsetenv("DYNAMODB_ENDPOINT");
	unsetenv("DYNAMODB_TABLE");
	unsetenv("DYNAMODB_ORDERS_TABLE");
	unsetenv("AWS_REGION");
	if (start_server() != 0) {
		T(0, "the fault server (python3 tests/ddb-fault-server.py) "
		    "started");
		stop_server();
		rmdir(dir);
		return tests_done();
	}
	printf("# fault server on %s\n", url);
	test_retries();
	test_errors();
	test_batch_and_reuse();
	stop_server();
	rmdir(dir);
	return tests_done();
}
