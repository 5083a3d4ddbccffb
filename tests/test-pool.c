/*
 * test-pool.c: the embedded user pool's library parts without a web server:
 * the pure helpers (lock schedule, masking, usernames, refresh token
 * format, mail formatting, attribute rules), the triggers on a throwaway
 * SQLite store, and the operations end to end in-process with low Argon2
 * costs (sign-up, mailed code, confirm, sign-in, refresh, codes dying after
 * five wrong tries, the lock, sign-out).
 *
 * It includes pool.c to reach its static helpers; the library's copy is
 * then not linked.
 */
#include "../src/lib/pool.c"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "gh_admin.h"
#include "tests.h"

static char		 dir[64];
static struct gh_conf	*conf;
static struct gh_store	*store;
static struct gh_pool	*pool;

static void
test_pure(void)
{
	static const struct { long n, want; } locks[] = {
		{ 0, 0 }, { 4, 0 }, { 5, 1 }, { 6, 2 }, { 9, 16 }, { 14, 512 },
		{ 15, 900 }, { 40, 900 }, { 100000, 900 },
	};
	static const struct { const char *in; int ok; const char *out; } users[] = {
		{ "Ann@Example.COM", 1, "ann@example.com" },
		{ "a.b+c@example.org", 1, "a.b+c@example.org" },
		{ "no-at-sign", 0, "no-at-sign" },
		{ "two@@example.com", 0, NULL },
		{ "@example.com", 0, NULL },
		{ "x@localhost", 0, NULL },
	};
	char	buf[256], sub[GH_UUID_LEN], ojti[GH_UUID_LEN];
	char	h1[GH_SHA256_HEX_LEN], h2[GH_SHA256_HEX_LEN], *tok = NULL;
	size_t	i;

	for (i = 0; i < sizeof(locks) / sizeof(locks[0]); i++)
		T(gh_pool_lock_seconds(locks[i].n) == locks[i].want,
		    "lock after %ld failures: %ld s", locks[i].n, locks[i].want);
	gh_pool_mask_email("ann@example.com", buf, sizeof(buf));
	T(strcmp(buf, "a***@e***.com") == 0, "masked: %s", buf);
	gh_pool_mask_email("weird", buf, sizeof(buf));
	T(strcmp(buf, "***") == 0, "masked non-address: %s", buf);
	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++) {
		int ok = norm_username(users[i].in, buf, sizeof(buf));
		T(ok == users[i].ok && (users[i].out == NULL ||
		    strcmp(buf, users[i].out) == 0), "username %s -> %d %s",
		    users[i].in, ok, buf);
	}
	T(refresh_make("11111111-2222-4333-8444-555555555555",
	    "66666666-7777-4888-9999-000000000000", &tok, h1) == GH_OK,
	    "refresh token made");
	T(tok != NULL && strchr(tok, ':') == NULL && strchr(tok, '.') == NULL,
	    "refresh token is opaque base64url");
	T(refresh_parse(tok, sub, ojti, h2) && strcmp(h1, h2) == 0 &&
	    strcmp(sub, "11111111-2222-4333-8444-555555555555") == 0 &&
	    strcmp(ojti, "66666666-7777-4888-9999-000000000000") == 0,
	    "refresh token parses back to its session and secret hash");
	tok[strlen(tok) - 3] ^= 1;
	T(!refresh_parse(tok, sub, ojti, h2) || strcmp(h1, h2) != 0,
	    "an edited refresh token does not match its hash");
	T(!refresh_parse("", sub, ojti, h2) && !refresh_parse("abc", sub, ojti, h2) &&
	    !refresh_parse("a.b.c", sub, ojti, h2), "junk is not a refresh token");
	free(tok);
}

static void
test_mail_format(void)
{
	char	*m = NULL;
	size_t	 n = 0;

	T(gh_mail_format("gh <no-reply@example.com>", "u@example.com", "Hi",
	    "line 1\nline 2", &m, &n) == GH_OK, "formats a message");
	T(m != NULL && strstr(m, "From: gh <no-reply@example.com>\r\n") &&
	    strstr(m, "To: u@example.com\r\n") && strstr(m, "Subject: Hi\r\n") &&
	    strstr(m, "Date: ") && strstr(m, "@example.com>\r\n") &&
	    strstr(m, "Content-Transfer-Encoding: 7bit\r\n") &&
	    strstr(m, "\r\n\r\nline 1\r\nline 2\r\n") && n == strlen(m),
	    "headers, blank line, CRLF text");
	free(m);
	m = NULL;
	T(gh_mail_format("a@b.c", "u@example.com", "Hi", "caf\xc3\xa9", &m, &n) ==
	    GH_OK && strstr(m, "8bit"), "UTF-8 text is 8bit");
	free(m);
	m = NULL;
	T(gh_mail_format("a@b.c", "u@example.com\r\nBcc: x@evil", "Hi", "t", &m,
	    &n) == GH_ERR_INVAL, "CRLF in To refused");
	T(gh_mail_format("a@b.c", "u@example.com", "Hi\nBcc: x@evil", "t", &m,
	    &n) == GH_ERR_INVAL, "LF in Subject refused");
	T(gh_mail_format("a@b.c", "u@example.com, v@example.com", "Hi", "t", &m,
	    &n) == GH_ERR_INVAL, "two recipients refused");
	T(gh_mail_format("no address", "u@example.com", "Hi", "t", &m, &n) ==
	    GH_ERR_INVAL, "From without an address refused");
	T(gh_mail_format("a@b.c", "u@example.com", "Hi", "bad \xff utf8", &m,
	    &n) == GH_ERR_INVAL, "invalid UTF-8 refused");
	T(m == NULL, "no output on failure");
}

static void
test_attr_rules(void)
{
	static const struct { const char *n, *v; int ok; } cases[] = {
		{ "phone_number", "+14155550123", 1 },
		{ "phone_number", "+441234567", 1 },
		{ "phone_number", "14155550123", 0 },
		{ "phone_number", "+0123456789", 0 },
		{ "phone_number", "+1415555012345678", 0 },
		{ "phone_number", "+1 415 555", 0 },
		{ "custom:role", "customer", 1 },
		{ "custom:role", "partner", 1 },
		{ "custom:role", "admin", 0 },
		{ "custom:role", "Customer", 0 },
		{ "custom:accepts_marketing", "true", 1 },
		{ "custom:accepts_marketing", "yes", 0 },
		{ "email", "a@example.com", 1 },
		{ "email", "a@", 0 },
		{ "name", "Zoë", 1 },
		{ "name", "", 0 },
		{ "name", "tab\there", 0 },
		{ "custom:company", "Tech Corp", 1 },
		{ "something_else", "anything", 1 },	/* the schema's business */
	};
	char	msg[256];
	size_t	i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		T(gh_trigger_attr_ok(cases[i].n, cases[i].v, msg, sizeof(msg)) ==
		    cases[i].ok, "%s=%s %s", cases[i].n, cases[i].v,
		    cases[i].ok ? "accepted" : "refused");
}

static json_object *
event(const char *source, const char *attrs_json, const char *meta_json)
{
	char	buf[2048];

	snprintf(buf, sizeof(buf), "{\"version\":\"1\",\"triggerSource\":\"%s\","
	    "\"region\":\"us-east-1\",\"userPoolId\":\"us-east-1_Test\","
	    "\"userName\":\"x\",\"callerContext\":{},\"request\":{"
	    "\"userAttributes\":%s%s%s},\"response\":{}}", source, attrs_json,
	    meta_json ? ",\"clientMetadata\":" : "", meta_json ? meta_json : "");
	return json_tokener_parse(buf);
}

static void
test_triggers(void)
{
	json_object	*ev, *out = NULL, *item = NULL, *resp;
	char		 msg[256];
	const char	*chan[] = { "web=http://127.0.0.1/x" };
	enum gh_err	 err;

	ev = event("PreSignUp_SignUp", "{\"email\":\"a@example.com\","
	    "\"custom:role\":\"partner\"}", NULL);
	err = gh_trigger_run(conf, store, ev, &out, msg, sizeof(msg));
	T(err == GH_OK && json_object_object_get_ex(out, "response", &resp) &&
	    json_object_object_get_ex(resp, "autoConfirmUser", NULL),
	    "PreSignUp accepts a partner and answers a response");
	json_object_put(out);
	out = NULL;
	json_object_put(ev);
	ev = event("PreSignUp_SignUp", "{\"email\":\"a@example.com\","
	    "\"custom:role\":\"admin\"}", NULL);
	T(gh_trigger_run(conf, store, ev, &out, msg, sizeof(msg)) == GH_ERR_DENIED &&
	    out == NULL && strstr(msg, "custom:role"), "PreSignUp refuses admin: %s", msg);
	json_object_put(ev);
	ev = event("PreSignUp_SignUp", "{\"email\":\"a@example.com\","
	    "\"phone_number\":\"555\"}", NULL);
	T(gh_trigger_run(conf, store, ev, &out, msg, sizeof(msg)) == GH_ERR_DENIED,
	    "PreSignUp refuses a bad phone number");
	json_object_put(ev);
	ev = event("Nope_Nope", "{}", NULL);
	T(gh_trigger_run(conf, store, ev, &out, msg, sizeof(msg)) == GH_ERR_INVAL,
	    "unknown triggerSource");
	json_object_put(ev);
	ev = json_tokener_parse("{\"triggerSource\":\"PreSignUp_SignUp\"}");
	T(gh_trigger_run(conf, store, ev, &out, msg, sizeof(msg)) == GH_ERR_INVAL,
	    "event without request");
	json_object_put(ev);

	T(gh_admin_app_add(store, "appopen", "Open", chan, 1, "open", msg,
	    sizeof(msg)) == GH_OK, "open application made");
	T(gh_admin_app_add(store, "appclosed", "Closed", chan, 1, "closed", msg,
	    sizeof(msg)) == GH_OK, "closed application made");
	ev = event("PostConfirmation_ConfirmSignUp", "{\"sub\":\"s-1\","
	    "\"email\":\"pc@example.com\",\"custom:role\":\"partner\","
	    "\"custom:company\":\"Co\",\"custom:accepts_marketing\":\"true\"}",
	    "{\"application_id\":\"appopen\"}");
	T(gh_trigger_run(conf, store, ev, &out, msg, sizeof(msg)) == GH_OK,
	    "PostConfirmation runs");
	json_object_put(out);
	out = NULL;
	T(gh_store_get(store, GH_TABLE_MAIN, "user-s-1", "user", &item) == GH_OK &&
	    strcmp(gh_json_str(item, "role"), "partner") == 0 &&
	    strcmp(gh_json_str(item, "status"), "active") == 0 &&
	    strcmp(gh_json_str(item, "company"), "Co") == 0 &&
	    strcmp(gh_json_str(item, "GSI1PK"), "email-pc@example.com") == 0 &&
	    strcmp(gh_json_str(item, "GSI2PK"), "role-partner") == 0 &&
	    strcmp(gh_json_str(item, "GSI3PK"), "users") == 0 &&
	    json_object_get_boolean(json_object_object_get(item, "accepts_marketing")),
	    "User item as the data model fixes it");
	json_object_put(item);
	item = NULL;
	T(gh_store_get(store, GH_TABLE_MAIN, "user-s-1", "app-appopen", &item) ==
	    GH_OK && strcmp(gh_json_str(item, "GSI1PK"), "appusers-appopen") == 0 &&
	    strcmp(gh_json_str(item, "GSI1SK"), "user-s-1") == 0 &&
	    strcmp(gh_json_str(item, "user_id"), "s-1") == 0,
	    "App-User item as the data model fixes it");
	json_object_put(item);
	item = NULL;
	/* An admin's change survives a retried trigger. */
	{
		struct gh_update u = { 0 };
		json_object *set = json_tokener_parse("{\"role\":\"admin\"}");
		u.set = set;
		gh_store_update(store, GH_TABLE_MAIN, "user-s-1", "user", &u, NULL, NULL);
		json_object_put(set);
	}
	T(gh_trigger_run(conf, store, ev, &out, msg, sizeof(msg)) == GH_OK,
	    "PostConfirmation again (a retry) succeeds");
	json_object_put(out);
	out = NULL;
	T(gh_store_get(store, GH_TABLE_MAIN, "user-s-1", "user", &item) == GH_OK &&
	    strcmp(gh_json_str(item, "role"), "admin") == 0,
	    "the retry did not overwrite the stored role");
	json_object_put(item);
	item = NULL;
	json_object_put(ev);
	ev = event("PostConfirmation_ConfirmSignUp", "{\"sub\":\"s-2\","
	    "\"email\":\"pc2@example.com\"}", "{\"application_id\":\"appclosed\"}");
	T(gh_trigger_run(conf, store, ev, &out, msg, sizeof(msg)) == GH_OK,
	    "PostConfirmation for a closed application");
	json_object_put(out);
	out = NULL;
	T(gh_store_get(store, GH_TABLE_MAIN, "user-s-2", "app-appclosed", &item) ==
	    GH_ERR_NOTFOUND, "no self-enrolment in a closed application");
	T(gh_store_get(store, GH_TABLE_MAIN, "user-s-2", "user", &item) == GH_OK &&
	    strcmp(gh_json_str(item, "role"), "customer") == 0,
	    "no role attribute: a customer");
	json_object_put(item);
	item = NULL;
	json_object_put(ev);
	ev = event("PostConfirmation_ConfirmSignUp", "{\"sub\":\"s-3\","
	    "\"email\":\"pc3@example.com\"}", "{\"application_id\":\"nosuchapp\"}");
	T(gh_trigger_run(conf, store, ev, &out, msg, sizeof(msg)) == GH_OK &&
	    gh_store_get(store, GH_TABLE_MAIN, "user-s-3", "app-nosuchapp", &item) ==
	    GH_ERR_NOTFOUND, "an unknown application enrols nobody");
	json_object_put(out);
	out = NULL;
	json_object_put(ev);
	ev = event("PostConfirmation_ConfirmSignUp", "{\"email\":\"x@example.com\"}", NULL);
	T(gh_trigger_run(conf, store, ev, &out, msg, sizeof(msg)) == GH_ERR_INVAL,
	    "PostConfirmation without sub");
	json_object_put(ev);
}

/* --- the operations in-process ------------------------------------------ */

static enum gh_err
call(enum gh_err (*op)(struct gh_pool *, struct gh_pool_call *),
    const char *in, struct gh_pool_call *c)
{
	enum gh_err err;

	json_object_put(c->out);
	memset(c, 0, sizeof(*c));
	c->store = store;
	c->addr = "192.0.2.1";
	c->in = json_tokener_parse(in);
	err = op(pool, c);
	json_object_put(c->in);
	c->in = NULL;
	return err;
}

/* The 6-digit code in the newest mail of mail_dir. */
static int
last_code(char code[7])
{
	char		 path[512], best[512] = "", *text = NULL, *p;
	DIR		*d;
	struct dirent	*e;
	size_t		 len;
	int		 ok = 0;

	snprintf(path, sizeof(path), "%s/mail", dir);
	if ((d = opendir(path)) == NULL)
		return 0;
	while ((e = readdir(d)) != NULL)
		if (strstr(e->d_name, ".eml") != NULL && strcmp(e->d_name, best) > 0)
			snprintf(best, sizeof(best), "%s", e->d_name);
	closedir(d);
	snprintf(path, sizeof(path), "%s/mail/%s", dir, best);
	if (gh_file_read(path, 65536, &text, &len) != GH_OK)
		return 0;
	if ((p = strstr(text, "code is ")) != NULL &&
	    strspn(p + 8, "0123456789") >= 6) {
		memcpy(code, p + 8, 6);
		code[6] = '\0';
		ok = 1;
	}
	free(text);
	return ok;
}

static void
test_operations(void)
{
	struct gh_pool_call	 c = { 0 };
	json_object		*claims = NULL, *ar;
	char			 code[7], wrong[16], buf[8192], refresh[512], access[4096];
	const char		*why;
	int			 i;

	T(call(gh_pool_sign_up, "{\"ClientId\":\"testclient\",\"Username\":"
	    "\"Op@Example.com\",\"Password\":\"Unit-Test-Pw-1\",\"UserAttributes\":"
	    "[{\"Name\":\"email\",\"Value\":\"op@example.com\"}]}", &c) == GH_OK,
	    "SignUp");
	T(c.out != NULL && !json_object_get_boolean(json_object_object_get(c.out,
	    "UserConfirmed")), "SignUp: UserConfirmed false");
	T(call(gh_pool_sign_up, "{\"ClientId\":\"testclient\",\"Username\":"
	    "\"op@example.com\",\"Password\":\"Unit-Test-Pw-1\"}", &c) ==
	    GH_ERR_DENIED && c.fault == GH_PF_USERNAME_EXISTS, "SignUp twice");
	T(call(gh_pool_sign_up, "{\"ClientId\":\"other\",\"Username\":"
	    "\"x@example.com\",\"Password\":\"Unit-Test-Pw-1\"}", &c) ==
	    GH_ERR_DENIED && c.fault == GH_PF_RESOURCE_NOT_FOUND, "wrong client id");
	T(call(gh_pool_sign_up, "{\"ClientId\":\"testclient\",\"Username\":"
	    "\"y@example.com\",\"Password\":\"password\"}", &c) ==
	    GH_ERR_DENIED && c.fault == GH_PF_INVALID_PASSWORD, "common password");
	T(last_code(code), "a code was mailed");
	snprintf(wrong, sizeof(wrong), "%06d", (atoi(code) + 1) % 1000000);
	snprintf(buf, sizeof(buf), "{\"ClientId\":\"testclient\",\"Username\":"
	    "\"op@example.com\",\"ConfirmationCode\":\"%s\"}", wrong);
	T(call(gh_pool_confirm_sign_up, buf, &c) == GH_ERR_DENIED &&
	    c.fault == GH_PF_CODE_MISMATCH, "wrong code");
	snprintf(buf, sizeof(buf), "{\"ClientId\":\"testclient\",\"Username\":"
	    "\"OP@example.com\",\"ConfirmationCode\":\"%s\",\"ClientMetadata\":"
	    "{\"application_id\":\"appopen\"}}", code);
	T(call(gh_pool_confirm_sign_up, buf, &c) == GH_OK, "right code confirms");
	T(call(gh_pool_initiate_auth, "{\"ClientId\":\"testclient\",\"AuthFlow\":"
	    "\"USER_PASSWORD_AUTH\",\"AuthParameters\":{\"USERNAME\":\"op@example.com\","
	    "\"PASSWORD\":\"Unit-Test-Pw-1\"}}", &c) == GH_OK, "InitiateAuth");
	ar = json_object_object_get(c.out, "AuthenticationResult");
	snprintf(refresh, sizeof(refresh), "%s", gh_json_str(ar, "RefreshToken"));
	snprintf(access, sizeof(access), "%s", gh_json_str(ar, "AccessToken"));
	T(gh_auth_verify(conf, gh_json_str(ar, "IdToken"), "id", &claims, &why) ==
	    GH_OK, "the id token verifies with the library's verifier");
	T(claims != NULL && strcmp(gh_json_str(claims, "email"), "op@example.com") == 0 &&
	    strcmp(gh_json_str(claims, "custom:role"), "customer") == 0,
	    "id token claims");
	json_object_put(claims);
	claims = NULL;
	T(gh_auth_verify(conf, access, "access", &claims, &why) == GH_OK,
	    "the access token verifies");
	json_object_put(claims);
	claims = NULL;
	snprintf(buf, sizeof(buf), "{\"ClientId\":\"testclient\",\"AuthFlow\":"
	    "\"REFRESH_TOKEN_AUTH\",\"AuthParameters\":{\"REFRESH_TOKEN\":\"%s\"}}",
	    refresh);
	T(call(gh_pool_initiate_auth, buf, &c) == GH_OK &&
	    !json_object_object_get_ex(json_object_object_get(c.out,
	    "AuthenticationResult"), "RefreshToken", NULL), "refresh: no new refresh token");
	/* Five failures lock; the right password is refused while locked. */
	for (i = 0; i < 5; i++)
		T(call(gh_pool_initiate_auth, "{\"ClientId\":\"testclient\",\"AuthFlow\":"
		    "\"USER_PASSWORD_AUTH\",\"AuthParameters\":{\"USERNAME\":\"op@example.com\","
		    "\"PASSWORD\":\"wrong-wrong\"}}", &c) == GH_ERR_DENIED &&
		    strcmp(c.msg, BAD_LOGIN) == 0, "failure %d", i + 1);
	T(call(gh_pool_initiate_auth, "{\"ClientId\":\"testclient\",\"AuthFlow\":"
	    "\"USER_PASSWORD_AUTH\",\"AuthParameters\":{\"USERNAME\":\"op@example.com\","
	    "\"PASSWORD\":\"Unit-Test-Pw-1\"}}", &c) == GH_ERR_DENIED &&
	    strcmp(c.msg, LOCKED) == 0, "locked: %s", c.msg);
	usleep(700000);	/* the first lock is a whole second, not "until the next second" */
	T(call(gh_pool_initiate_auth, "{\"ClientId\":\"testclient\",\"AuthFlow\":"
	    "\"USER_PASSWORD_AUTH\",\"AuthParameters\":{\"USERNAME\":\"op@example.com\","
	    "\"PASSWORD\":\"Unit-Test-Pw-1\"}}", &c) == GH_ERR_DENIED &&
	    strcmp(c.msg, LOCKED) == 0, "still locked 0.7 s later");
	sleep(1);
	T(call(gh_pool_initiate_auth, "{\"ClientId\":\"testclient\",\"AuthFlow\":"
	    "\"USER_PASSWORD_AUTH\",\"AuthParameters\":{\"USERNAME\":\"op@example.com\","
	    "\"PASSWORD\":\"Unit-Test-Pw-1\"}}", &c) == GH_OK, "after the lock: in");
	/* Sign-out ends the refresh token and the access token. */
	snprintf(buf, sizeof(buf), "{\"AccessToken\":\"%s\"}", access);
	T(call(gh_pool_get_user, buf, &c) == GH_OK, "GetUser");
	T(call(gh_pool_global_sign_out, buf, &c) == GH_OK, "GlobalSignOut");
	T(call(gh_pool_get_user, buf, &c) == GH_ERR_DENIED &&
	    c.fault == GH_PF_NOT_AUTHORIZED, "GetUser after sign-out");
	snprintf(buf, sizeof(buf), "{\"ClientId\":\"testclient\",\"AuthFlow\":"
	    "\"REFRESH_TOKEN_AUTH\",\"AuthParameters\":{\"REFRESH_TOKEN\":\"%s\"}}",
	    refresh);
	T(call(gh_pool_initiate_auth, buf, &c) == GH_ERR_DENIED,
	    "refresh after sign-out");
	/* A reset code dies after five wrong tries. */
	T(call(gh_pool_forgot_password, "{\"ClientId\":\"testclient\",\"Username\":"
	    "\"op@example.com\"}", &c) == GH_OK && last_code(code), "ForgotPassword");
	snprintf(wrong, sizeof(wrong), "%06d", (atoi(code) + 7) % 1000000);
	for (i = 0; i < 5; i++) {
		snprintf(buf, sizeof(buf), "{\"ClientId\":\"testclient\",\"Username\":"
		    "\"op@example.com\",\"ConfirmationCode\":\"%s\",\"Password\":"
		    "\"Reset-Unit-Pw-2\"}", wrong);
		T(call(gh_pool_confirm_forgot, buf, &c) == GH_ERR_DENIED &&
		    c.fault == GH_PF_CODE_MISMATCH, "wrong reset code %d", i + 1);
	}
	snprintf(buf, sizeof(buf), "{\"ClientId\":\"testclient\",\"Username\":"
	    "\"op@example.com\",\"ConfirmationCode\":\"%s\",\"Password\":"
	    "\"Reset-Unit-Pw-2\"}", code);
	T(call(gh_pool_confirm_forgot, buf, &c) == GH_ERR_DENIED &&
	    c.fault == GH_PF_EXPIRED_CODE, "the right code is dead after five wrong ones");
	/* A lookup left without its account: taken over once it is old. */
	{
		char	 item[256];
		json_object *o;

		snprintf(item, sizeof(item), "{\"PK\":\"idp-email-orphan@example.com\","
		    "\"SK\":\"email\",\"sub\":\"gone\",\"created\":%lld}",
		    (long long)time(NULL));
		o = json_tokener_parse(item);
		gh_store_put(store, GH_TABLE_MAIN, o, NULL);
		json_object_put(o);
		T(call(gh_pool_sign_up, "{\"ClientId\":\"testclient\",\"Username\":"
		    "\"orphan@example.com\",\"Password\":\"Unit-Test-Pw-1\"}", &c) ==
		    GH_ERR_DENIED && c.fault == GH_PF_USERNAME_EXISTS,
		    "a young orphaned lookup is left alone (its sign-up may be running)");
		snprintf(item, sizeof(item), "{\"PK\":\"idp-email-orphan@example.com\","
		    "\"SK\":\"email\",\"sub\":\"gone\",\"created\":%lld}",
		    (long long)time(NULL) - 120);
		o = json_tokener_parse(item);
		gh_store_put(store, GH_TABLE_MAIN, o, NULL);
		json_object_put(o);
		T(call(gh_pool_sign_up, "{\"ClientId\":\"testclient\",\"Username\":"
		    "\"orphan@example.com\",\"Password\":\"Unit-Test-Pw-1\"}", &c) ==
		    GH_OK, "an old orphaned lookup is taken over");
	}
	json_object_put(c.out);
}

int
main(void)
{
	static const struct gh_pw_params cheap = { 1, 64, 1 };
	char		 p[256];
	const char	*msg = NULL;

	snprintf(dir, sizeof(dir), "%s/gh-pool-XXXXXX",
	    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(p, sizeof(p), "%s/none.conf", dir);
	if (gh_conf_load(p, 1, &conf, &msg) != GH_OK) {
		fprintf(stderr, "conf: %s\n", msg);
		return 1;
	}
	snprintf(p, sizeof(p), "%s/db", dir);
	gh_conf_set(conf, GH_CONF_STORE, "sqlite");
	gh_conf_set(conf, GH_CONF_IDP, "embedded");
	gh_conf_set(conf, GH_CONF_SQLITE_PATH, p);
	snprintf(p, sizeof(p), "%s/keys", dir);
	gh_conf_set(conf, GH_CONF_KEYS_DIR, p);
	snprintf(p, sizeof(p), "%s/mail", dir);
	gh_conf_set(conf, GH_CONF_MAIL_DIR, p);
	mkdir(p, 0700);
	gh_conf_set(conf, GH_CONF_USER_POOL_ID, "us-east-1_Test");
	gh_conf_set(conf, GH_CONF_CLIENT_ID, "testclient");
	gh_conf_set(conf, GH_CONF_MAIL_MODE, "file");
	if (gh_store_open(conf, &store) != GH_OK ||
	    gh_pool_new(conf, &pool) != GH_OK) {
		fprintf(stderr, "store or pool: %s\n", gh_store_errmsg(store));
		return 1;
	}
	gh_pool_set_pw_params(pool, &cheap);
	/* The mail lines of file mode go to stderr; keep the output readable. */
	test_pure();
	test_mail_format();
	test_attr_rules();
	test_triggers();
	test_operations();
	gh_pool_free(pool);
	gh_store_free(store);
	gh_conf_free(conf);
	snprintf(p, sizeof(p), "rm -rf '%s'", dir);
	if (system(p) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return tests_done();
}
