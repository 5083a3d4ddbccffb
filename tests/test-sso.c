/*
 * test-sso.c: the SSO library (src/lib/sso.c) on a throwaway SQLite store:
 * the session id validator, the redirect URL, application and channel
 * lookup, enrolment (idempotent), and the session item: sealed at rest,
 * bound to its application (a wrong application consumes nothing), single
 * use even with 20 processes redeeming at once, expired alike unknown, and
 * a sealed set moved to another item does not open.
 */
#include <sys/stat.h>
#include <sys/wait.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "gh_admin.h"
#include "gh_conf.h"
#include "gh_http.h"
#include "gh_json.h"
#include "gh_sso.h"
#include "gh_store.h"

#include "tests.h"

static char		 dir[64];
static struct gh_conf	*conf;
static struct gh_store	*s;

static int
valid_sid(const char *str, size_t len)
{
	struct gh_value	 v;

	memset(&v, 0, sizeof(v));
	v.present = 1;
	v.str = str;
	v.len = len;
	return gh_valid_session_id(&v);
}

static void
test_validator(void)
{
	char	 sid[GH_SSO_SESSION_ID_LEN], odd[64];

	T(gh_random_id(sid) == GH_OK && valid_sid(sid, strlen(sid)),
	    "a fresh id is a valid session id");
	T(!valid_sid(sid, 42), "42 characters refused");
	memcpy(odd, sid, 44);
	odd[43] = 'A';
	odd[44] = '\0';
	T(!valid_sid(odd, 44), "44 characters refused");
	memcpy(odd, sid, 44);
	odd[10] = '\0';
	T(!valid_sid(odd, 43), "an embedded NUL refused");
	memcpy(odd, sid, 44);
	odd[5] = '+';
	T(!valid_sid(odd, 43), "'+' refused (base64url only)");
	odd[5] = '\xc3';
	T(!valid_sid(odd, 43), "a non-ASCII byte refused");
	T(!valid_sid("", 0), "empty refused");
}

static void
redirect_case(const char *url, const char *want)
{
	char	*out = NULL;

	T(gh_sso_redirect_url(url, "SID", &out) == GH_OK && out != NULL &&
	    strcmp(out, want) == 0, "redirect %s -> %s (got %s)", url, want,
	    out ? out : "(null)");
	free(out);
}

static void
test_redirect(void)
{
	redirect_case("http://h/success", "http://h/success?session_id=SID");
	redirect_case("http://h/s?a=1", "http://h/s?a=1&session_id=SID");
	redirect_case("http://h/s?", "http://h/s?session_id=SID");
	redirect_case("http://h/s?a=1&", "http://h/s?a=1&session_id=SID");
	redirect_case("http://h/s#frag", "http://h/s?session_id=SID#frag");
	redirect_case("http://h/s?a=1#f?x", "http://h/s?a=1&session_id=SID#f?x");
	redirect_case("http://h/p#?q", "http://h/p?session_id=SID#?q");
}

static void
test_apps(void)
{
	const char	*ch[2] = { "web=http://127.0.0.1:1/success",
	    "mobile=http://127.0.0.1:1/m?x=1" };
	const char	*ch2[1] = { "web=http://127.0.0.1:1/closed" };
	char		 msg[256];
	json_object	*app = NULL;
	const char	*u;
	int		 e = -1;

	T(gh_admin_app_add(s, "demo", "Demo", ch, 2, "open", msg, sizeof(msg)) == GH_OK,
	    "app add demo");
	T(gh_admin_app_add(s, "shut", "Shut", ch2, 1, "closed", msg, sizeof(msg)) == GH_OK,
	    "app add shut (closed)");
	T(gh_sso_app_get(s, "demo", &app) == GH_OK, "app found");
	u = gh_sso_channel_url(app, "mobile");
	T(u != NULL && strcmp(u, "http://127.0.0.1:1/m?x=1") == 0, "channel url");
	T(gh_sso_channel_url(app, "web2") == NULL, "unknown channel NULL");
	T(gh_sso_app_open(app), "demo is open");
	json_object_put(app);
	app = NULL;
	T(gh_sso_app_get(s, "shut", &app) == GH_OK && !gh_sso_app_open(app),
	    "shut is closed");
	json_object_put(app);
	app = NULL;
	T(gh_sso_app_get(s, "nope", &app) == GH_ERR_NOTFOUND && app == NULL,
	    "unknown app NOTFOUND");

	T(gh_sso_enrolled(s, "sub-1", "demo", &e) == GH_OK && e == 0,
	    "not enrolled at first");
	T(gh_sso_enrol(s, "sub-1", "demo", "sso") == GH_OK, "enrol");
	T(gh_sso_enrol(s, "sub-1", "demo", "sso") == GH_OK, "enrol again: ok");
	T(gh_sso_enrolled(s, "sub-1", "demo", &e) == GH_OK && e == 1, "enrolled");
	T(gh_store_get(s, GH_TABLE_MAIN, "user-sub-1", "app-demo", &app) == GH_OK &&
	    strcmp(gh_json_str(app, "GSI1PK"), "appusers-demo") == 0 &&
	    strcmp(gh_json_str(app, "GSI1SK"), "user-sub-1") == 0,
	    "App-User item keys as the data model says");
	json_object_put(app);
	T(gh_sso_enrolled(s, "sub-1", "shut", &e) == GH_OK && e == 0,
	    "enrolment is per application");
}

/*
 * Before any key is cached: a session key the store refuses to trust (mode
 * 0644) is a configuration error, and the redemption consumes nothing.
 */
static void
test_bad_key(void)
{
	char		 kdir[128], path[160], keys[128];
	json_object	*item = json_object_new_object(), *out = NULL;
	const char	*sid = "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD";
	FILE		*f;

	snprintf(keys, sizeof(keys), "%s", gh_conf_str(conf, GH_CONF_KEYS_DIR));
	snprintf(kdir, sizeof(kdir), "%s/badkeys", dir);
	snprintf(path, sizeof(path), "%s/%s", kdir, GH_SSO_KEY_FILE);
	if (mkdir(kdir, 0700) != 0 || (f = fopen(path, "w")) == NULL) {
		T(0, "bad key file");
		json_object_put(item);
		return;
	}
	fwrite("0123456789abcdef0123456789abcdef", 1, 32, f);
	fclose(f);
	chmod(path, 0644);
	gh_conf_set(conf, GH_CONF_KEYS_DIR, kdir);
	gh_json_add_str(item, "PK", "session-DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD");
	gh_json_add_str(item, "SK", "app-demo");
	gh_json_add_str(item, "token_set", "x");
	T(gh_store_put(s, GH_TABLE_MAIN, item, NULL) == GH_OK, "a session item");
	T(gh_sso_session_redeem(conf, s, "demo", sid, &out) == GH_ERR_CONFIG &&
	    out == NULL, "an untrusted session key: GH_ERR_CONFIG");
	json_object_put(item);
	item = NULL;
	T(gh_store_get(s, GH_TABLE_MAIN,
	    "session-DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD", "app-demo",
	    &item) == GH_OK, "and the session was not consumed");
	json_object_put(item);
	gh_store_delete(s, GH_TABLE_MAIN,
	    "session-DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD", "app-demo", NULL, NULL);
	gh_conf_set(conf, GH_CONF_KEYS_DIR, keys);
}

static const struct gh_sso_tokens toks = {
	"id.tok.en", "acc.tok.en", "REFRESH-secret-value-1234", 4102444800
};

static enum gh_err
mksession(const char *app, char sid[GH_SSO_SESSION_ID_LEN])
{
	int64_t	 exp = 0;

	return gh_sso_session_create(conf, s, app, "sub-1", &toks, sid, &exp);
}

static int
file_has(const char *path, const char *needle)
{
	char	*buf = NULL;
	size_t	 len = 0;
	int	 found;

	if (gh_file_read(path, 64 << 20, &buf, &len) != GH_OK)
		return -1;
	found = memmem(buf, len, needle, strlen(needle)) != NULL;
	free(buf);
	return found;
}

static void
test_sessions(void)
{
	char		 sid[GH_SSO_SESSION_ID_LEN], sid2[GH_SSO_SESSION_ID_LEN];
	char		 pk[128], path[128];
	json_object	*out = NULL, *item = NULL, *item2 = NULL;
	struct stat	 st;
	int64_t		 exp = 0, ttl;
	time_t		 t0 = time(NULL);

	T(gh_sso_session_create(conf, s, "demo", "sub-1", &toks, sid, &exp) == GH_OK &&
	    strlen(sid) == 43, "session created");
	ttl = gh_conf_int(conf, GH_CONF_SESSION_TTL);
	T(exp >= t0 + ttl && exp <= time(NULL) + ttl, "expires_at = now + session_ttl");
	snprintf(pk, sizeof(pk), "session-%s", sid);
	T(gh_store_get(s, GH_TABLE_MAIN, pk, "app-demo", &item) == GH_OK,
	    "the lookup item is keyed by id and application");
	T(item != NULL && strstr(json_object_to_json_string(item), "REFRESH-secret") == NULL &&
	    strstr(json_object_to_json_string(item), "acc.tok.en") == NULL,
	    "the stored item holds no token in clear");
	T(item != NULL && strcmp(gh_json_str(item, "GSI1PK"), "user-sub-1") == 0,
	    "the session is listed under its user (GSI1)");
	json_object_put(item);
	item = NULL;
	gh_store_free(s);	/* flush: checkpoint so the file is complete */
	s = NULL;
	snprintf(path, sizeof(path), "%s/store.db", dir);
	T(file_has(path, "REFRESH-secret") == 0, "database file holds no refresh token");
	snprintf(path, sizeof(path), "%s/store.db-wal", dir);
	T(file_has(path, "REFRESH-secret") <= 0, "WAL holds no refresh token");
	T(gh_store_open(conf, &s) == GH_OK, "reopen");
	snprintf(path, sizeof(path), "%s/keys/%s", dir, GH_SSO_KEY_FILE);
	T(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "session.key mode 0600");

	T(gh_sso_session_redeem(conf, s, "shut", sid, &out) == GH_ERR_NOTFOUND &&
	    out == NULL, "another application: not found");
	T(gh_sso_session_redeem(conf, s, "demo", sid, &out) == GH_OK && out != NULL,
	    "the right application still redeems it after a wrong one");
	T(out != NULL && strcmp(gh_json_str(out, "refresh_token"), toks.refresh_token) == 0 &&
	    strcmp(gh_json_str(out, "id_token"), toks.id_token) == 0 &&
	    strcmp(gh_json_str(out, "access_token"), toks.access_token) == 0,
	    "the token set comes back whole");
	T(out != NULL && gh_json_int(out, "exp", &exp) && exp == toks.exp, "its exp too");
	json_object_put(out);
	out = NULL;
	T(gh_sso_session_redeem(conf, s, "demo", sid, &out) == GH_ERR_NOTFOUND,
	    "second redemption: not found");
	T(gh_sso_session_redeem(conf, s, "demo",
	    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &out) == GH_ERR_NOTFOUND,
	    "unknown id: not found");

	/* A sealed set moved onto another session's item does not open. */
	T(mksession("demo", sid) == GH_OK && mksession("demo", sid2) == GH_OK,
	    "two sessions");
	snprintf(pk, sizeof(pk), "session-%s", sid);
	gh_store_get(s, GH_TABLE_MAIN, pk, "app-demo", &item);
	snprintf(pk, sizeof(pk), "session-%s", sid2);
	gh_store_get(s, GH_TABLE_MAIN, pk, "app-demo", &item2);
	if (item != NULL && item2 != NULL) {
		json_object_object_add(item2, "token_set", json_object_new_string(
		    gh_json_str(item, "token_set")));
		json_object_object_del(item2, "version");
		gh_store_put(s, GH_TABLE_MAIN, item2, NULL);
	}
	T(gh_sso_session_redeem(conf, s, "demo", sid2, &out) == GH_ERR_CRYPTO &&
	    out == NULL, "swapped sealed set refused (associated data)");
	T(gh_sso_session_redeem(conf, s, "demo", sid2, &out) == GH_ERR_NOTFOUND,
	    "and the tampered item is gone");
	T(gh_sso_session_redeem(conf, s, "demo", sid, &out) == GH_OK, "the original still opens");
	json_object_put(out);
	out = NULL;
	json_object_put(item);
	json_object_put(item2);

	/* Expired: session_ttl 0 makes a session that is absent at once. */
	gh_conf_set(conf, GH_CONF_SESSION_TTL, "0");
	T(mksession("demo", sid) == GH_OK, "a session with ttl 0");
	T(gh_sso_session_redeem(conf, s, "demo", sid, &out) == GH_ERR_NOTFOUND,
	    "expired: not found");
	gh_conf_set(conf, GH_CONF_SESSION_TTL, "120");
}

#define RACERS	20

static void
test_race(void)
{
	char		 sid[GH_SSO_SESSION_ID_LEN];
	pid_t		 pids[RACERS];
	int		 fds[2], i, ws, won = 0, lost = 0, other = 0;
	char		 c;

	T(mksession("demo", sid) == GH_OK, "a session to race for");
	gh_store_free(s);
	s = NULL;
	fflush(stdout);
	if (pipe(fds) == -1)
		return;
	for (i = 0; i < RACERS; i++) {
		if ((pids[i] = fork()) == 0) {
			struct gh_store	*cs = NULL;
			json_object	*o = NULL;
			enum gh_err	 e = GH_ERR_INTERNAL;

			close(fds[1]);
			if (gh_store_open(conf, &cs) == GH_OK && read(fds[0], &c, 1) == 0)
				e = gh_sso_session_redeem(conf, cs, "demo", sid, &o);
			json_object_put(o);
			gh_store_free(cs);
			_exit(e == GH_OK ? 0 : e == GH_ERR_NOTFOUND ? 1 : 2);
		}
	}
	close(fds[0]);
	close(fds[1]);
	for (i = 0; i < RACERS; i++) {
		if (pids[i] > 0 && waitpid(pids[i], &ws, 0) == pids[i] && WIFEXITED(ws)) {
			if (WEXITSTATUS(ws) == 0)
				won++;
			else if (WEXITSTATUS(ws) == 1)
				lost++;
			else
				other++;
		} else
			other++;
	}
	T(won == 1 && lost == RACERS - 1 && other == 0,
	    "%d processes redeem one id at once: %d won, %d not found, %d other",
	    RACERS, won, lost, other);
	T(gh_store_open(conf, &s) == GH_OK, "reopen after the race");
}

static int
setup(void)
{
	char		 file[128];
	const char	*msg = NULL;
	FILE		*f;

	snprintf(dir, sizeof(dir), "/tmp/gh-test-sso-XXXXXX");
	if (mkdtemp(dir) == NULL)
		return -1;
	snprintf(file, sizeof(file), "%s/gatehouse.conf", dir);
	if ((f = fopen(file, "w")) == NULL)
		return -1;
	fprintf(f, "store = sqlite\nsqlite_path = store.db\nsqlite_busy_ms = 10000\n"
	    "keys_dir = keys\nsession_ttl = 120\n");
	fclose(f);
	if (gh_conf_load(file, 0, &conf, &msg) != GH_OK) {
		fprintf(stderr, "%s: %s\n", file, msg ? msg : "?");
		return -1;
	}
	if (gh_store_open(conf, &s) != GH_OK) {
		fprintf(stderr, "open: %s\n", gh_store_errmsg(NULL));
		return -1;
	}
	return 0;
}

int
main(void)
{
	char	 cmd[128];

	if (setup() != 0) {
		T(0, "setup");
		return tests_done();
	}
	test_validator();
	test_redirect();
	test_apps();
	test_bad_key();
	test_sessions();
	test_race();
	gh_store_free(s);
	gh_conf_free(conf);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return tests_done();
}
