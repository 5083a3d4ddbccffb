/*
 * pool.c: the embedded user pool (see gh_pool.h for its items and rules).
 *
 * Every operation follows the same order: check the client id, then the
 * client address's throttle (where guessing is possible), then the
 * username's lock, then the secret (password or code), and only then look
 * at what the account is allowed to do.  Unknown users cost one dummy
 * password verification, so they take as long as a wrong password, and
 * they get the same answer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <arpa/inet.h>

#include "gh_auth.h"
#include "gh_conf.h"
#include "gh_crypto.h"
#include "gh_http.h"
#include "gh_json.h"
#include "gh_jwt.h"
#include "gh_keys.h"
#include "gh_mail.h"
#include "gh_password.h"
#include "gh_pool.h"
#include "gh_store.h"
#include "gh_trigger.h"

#ifndef GH_DATA_DIR
#define GH_DATA_DIR	"src/data"
#endif

#define CODE_TRIES	5	/* wrong tries that kill a code */
#define LOCK_AFTER	5	/* failures before the first lock */
#define LOCK_MAX	900	/* seconds: the longest lock */
#define LOCK_MEMORY	900	/* seconds a failure is remembered */
#define SEND_MAX	5	/* codes of one purpose mailed to an account ... */
#define SEND_WINDOW	3600	/* ... per this many seconds */

const char *const gh_pool_fault_names[GH_PF__MAX] = {
	[GH_PF_NONE] = "InternalErrorException",
	[GH_PF_INVALID_PARAMETER] = "InvalidParameterException",
	[GH_PF_INVALID_PASSWORD] = "InvalidPasswordException",
	[GH_PF_USERNAME_EXISTS] = "UsernameExistsException",
	[GH_PF_NOT_AUTHORIZED] = "NotAuthorizedException",
	[GH_PF_USER_NOT_CONFIRMED] = "UserNotConfirmedException",
	[GH_PF_CODE_MISMATCH] = "CodeMismatchException",
	[GH_PF_EXPIRED_CODE] = "ExpiredCodeException",
	[GH_PF_LIMIT_EXCEEDED] = "LimitExceededException",
	[GH_PF_TOO_MANY_REQUESTS] = "TooManyRequestsException",
	[GH_PF_RESOURCE_NOT_FOUND] = "ResourceNotFoundException",
	[GH_PF_LAMBDA_VALIDATION] = "UserLambdaValidationException",
	[GH_PF_CODE_DELIVERY] = "CodeDeliveryFailureException",
	[GH_PF_UNSUPPORTED_TOKEN] = "UnsupportedTokenTypeException",
};

/* The one message for a failed sign-in, whatever failed. */
static const char BAD_LOGIN[] = "Incorrect username or password.";
static const char LOCKED[] = "Password attempts exceeded";

/* The attributes of the pool's schema (and whether a user may write them). */
static const struct {
	const char	*name;
	int		 writable;
} schema[] = {
	{ "email", 1 }, { "phone_number", 1 }, { "name", 1 },
	{ "given_name", 1 }, { "family_name", 1 }, { "gender", 1 },
	{ "custom:role", 0 }, { "custom:company", 1 },
	{ "custom:accepts_marketing", 1 },
};

struct gh_pool {
	const struct gh_conf	*conf;
	struct gh_keys		*keys;
	struct gh_pwlist	*list;
	unsigned char		 code_key[GH_SECRET_KEY_LEN];
	struct gh_pw_params	 params;
	char			 issuer[1024];
};

int
gh_pool_fault_status(enum gh_pool_fault f)
{
	return f == GH_PF_TOO_MANY_REQUESTS ? 429 : 400;
}

long
gh_pool_lock_seconds(long n)
{
	if (n < LOCK_AFTER)
		return 0;
	if (n - LOCK_AFTER >= 10)
		return LOCK_MAX;
	return (1L << (n - LOCK_AFTER)) > LOCK_MAX ? LOCK_MAX : 1L << (n - LOCK_AFTER);
}

enum gh_err
gh_pool_new(const struct gh_conf *conf, struct gh_pool **out)
{
	struct gh_pool	*p;
	const char	*list = gh_conf_str(conf, GH_CONF_PASSWORD_LIST);
	enum gh_err	 err;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return GH_ERR_NOMEM;
	p->conf = conf;
	p->params = gh_pw_default;
	if ((err = gh_auth_issuer(conf, p->issuer, sizeof(p->issuer))) != GH_OK ||
	    (err = gh_keys_load(gh_conf_str(conf, GH_CONF_KEYS_DIR), GH_KEYS_CREATE,
	    &p->keys)) != GH_OK ||
	    (err = gh_code_key_load(gh_conf_str(conf, GH_CONF_KEYS_DIR),
	    p->code_key)) != GH_OK ||
	    (err = gh_pwlist_load(*list != '\0' ? list :
	    GH_DATA_DIR "/common-passwords.txt", &p->list)) != GH_OK) {
		gh_pool_free(p);
		return err;
	}
	*out = p;
	return GH_OK;
}

void
gh_pool_free(struct gh_pool *p)
{
	if (p == NULL)
		return;
	gh_keys_free(p->keys);
	gh_pwlist_free(p->list);
	memset(p->code_key, 0, sizeof(p->code_key));
	free(p);
}

void
gh_pool_set_pw_params(struct gh_pool *p, const struct gh_pw_params *params)
{
	p->params = params != NULL ? *params : gh_pw_default;
}

/* --- small helpers ----------------------------------------------------- */

static enum gh_err
deny(struct gh_pool_call *c, enum gh_pool_fault f, const char *fmt, ...)
{
	va_list ap;

	c->fault = f;
	va_start(ap, fmt);
	vsnprintf(c->msg, sizeof(c->msg), fmt, ap);
	va_end(ap);
	return GH_ERR_DENIED;
}

static const char *
in_str(struct gh_pool_call *c, const char *key)
{
	return gh_json_str(c->in, key);
}

/*
 * The route checks members' shapes; the library checks again that the
 * strings an operation needs are there (NULL-terminated list of names).
 */
static enum gh_err
require(struct gh_pool_call *c, ...)
{
	va_list		 ap;
	const char	*name;
	enum gh_err	 err = GH_OK;

	va_start(ap, c);
	while ((name = va_arg(ap, const char *)) != NULL)
		if (in_str(c, name) == NULL) {
			err = deny(c, GH_PF_INVALID_PARAMETER,
			    "Missing required parameter %s", name);
			break;
		}
	va_end(ap);
	return err;
}

static json_object *
in_obj(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_object))
		return NULL;
	return v;
}

/* The time in milliseconds (locks: a 1 s lock must last a second). */
static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The username as the pool keys it: lower-cased.  Returns 1 if it is an
 * e-mail address (the only usernames this pool has), else 0 (out still
 * holds the lower-cased text, at most size - 1 bytes, for the lock item).
 */
static int
norm_username(const char *in, char *out, size_t size)
{
	struct gh_value	v;
	size_t		i;
	int		ok;

	for (i = 0; in != NULL && in[i] != '\0' && i < size - 1; i++)
		out[i] = (char)(in[i] >= 'A' && in[i] <= 'Z' ? in[i] + 32 : in[i]);
	out[i] = '\0';
	if (in == NULL || strlen(in) >= size)
		return 0;
	memset(&v, 0, sizeof(v));
	v.str = out;
	v.len = i;
	ok = gh_valid_email(&v);
	free(v.buf);
	return ok;
}

void
gh_pool_mask_email(const char *email, char *buf, size_t size)
{
	const char *at = strchr(email, '@'), *dot;

	if (at == NULL || at == email) {
		snprintf(buf, size, "***");
		return;
	}
	dot = strrchr(at, '.');
	snprintf(buf, size, "%c***@%c***%s", email[0], at[1] != '\0' ? at[1] : '*',
	    dot != NULL ? dot : "");
}

static enum gh_err
client_check(struct gh_pool *p, struct gh_pool_call *c)
{
	const char *id = in_str(c, "ClientId");

	if (id == NULL || !gh_ct_streq(gh_auth_client_id(p->conf), id))
		return deny(c, GH_PF_RESOURCE_NOT_FOUND,
		    "User pool client %.64s does not exist.", id ? id : "");
	return GH_OK;
}

static json_object *
item_new(const char *prefix, const char *id, const char *sk)
{
	json_object	*o;
	char		 pk[1100];

	snprintf(pk, sizeof(pk), "%s%s", prefix, id);
	if ((o = json_object_new_object()) == NULL)
		return NULL;
	if (gh_json_add_str(o, "PK", pk) != GH_OK ||
	    gh_json_add_str(o, "SK", sk) != GH_OK) {
		json_object_put(o);
		return NULL;
	}
	return o;
}

static enum gh_err
get_item(struct gh_store *s, const char *prefix, const char *id,
    const char *sk, json_object **out)
{
	char pk[1100];

	snprintf(pk, sizeof(pk), "%s%s", prefix, id);
	return gh_store_get(s, GH_TABLE_MAIN, pk, sk, out);
}

/* The account of username (normalised e-mail); GH_ERR_NOTFOUND if none. */
static enum gh_err
account_load(struct gh_store *s, const char *email, json_object **out)
{
	json_object	*look = NULL;
	const char	*sub;
	enum gh_err	 err;

	if ((err = get_item(s, "idp-email-", email, "email", &look)) != GH_OK)
		return err;
	if ((sub = gh_json_str(look, "sub")) == NULL)
		err = GH_ERR_NOTFOUND;
	else
		err = get_item(s, "idp-user-", sub, "account", out);
	json_object_put(look);
	return err;
}

static enum gh_err
account_set(struct gh_store *s, const char *sub, json_object *set,
    const struct gh_cond *cond)
{
	struct gh_update	u;
	char			pk[200];

	memset(&u, 0, sizeof(u));
	u.set = set;
	snprintf(pk, sizeof(pk), "idp-user-%s", sub);
	return gh_store_update(s, GH_TABLE_MAIN, pk, "account", &u, cond, NULL);
}

/* The profile (User item) of sub; GH_ERR_NOTFOUND if none yet. */
static enum gh_err
profile_load(struct gh_store *s, const char *sub, json_object **out)
{
	return get_item(s, "user-", sub, "user", out);
}

/* --- throttling ---------------------------------------------------------- */

static void
ip_key(struct gh_pool *p, struct gh_pool_call *c, char *sk, size_t size)
{
	int64_t w = gh_conf_int(p->conf, GH_CONF_THROTTLE_IP_WINDOW);
	time_t	now = time(NULL);

	if (w <= 0)
		w = 1;
	snprintf(sk, size, "w-%lld", (long long)(now - now % w));
}

/*
 * The name the address throttle counts a client under: an IPv4 address as
 * it is (an IPv4-mapped IPv6 one as IPv4), an IPv6 address as its /64, the
 * smallest block a host is given: one machine has 2^64 addresses to pick
 * from, so counting each alone would throttle nothing.  Other text (no
 * address) is taken as it is.
 */
static void
ip_id(const char *addr, char *out, size_t size)
{
	unsigned char	a[16];
	char		buf[INET6_ADDRSTRLEN];
	static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (inet_pton(AF_INET6, addr, a) != 1) {
		snprintf(out, size, "%.150s", addr);
		return;
	}
	if (memcmp(a, mapped, sizeof(mapped)) == 0 &&
	    inet_ntop(AF_INET, a + 12, buf, sizeof(buf)) != NULL) {
		snprintf(out, size, "%s", buf);
		return;
	}
	memset(a + 8, 0, 8);
	if (inet_ntop(AF_INET6, a, buf, sizeof(buf)) == NULL)
		snprintf(out, size, "%.150s", addr);
	else
		snprintf(out, size, "%s/64", buf);
}

/* GH_ERR_DENIED (429) if the client address used up its failures. */
static enum gh_err
ip_check(struct gh_pool *p, struct gh_pool_call *c)
{
	int64_t		 limit = gh_conf_int(p->conf, GH_CONF_THROTTLE_IP_LIMIT), n = 0;
	json_object	*o = NULL;
	char		 sk[64], id[160];
	enum gh_err	 err;

	if (limit <= 0 || c->addr == NULL || *c->addr == '\0')
		return GH_OK;
	ip_key(p, c, sk, sizeof(sk));
	ip_id(c->addr, id, sizeof(id));
	err = get_item(c->store, "idp-ip-", id, sk, &o);
	if (err == GH_ERR_NOTFOUND)
		return GH_OK;
	if (err != GH_OK)
		return err;
	gh_json_int(o, "failures", &n);
	json_object_put(o);
	if (n >= limit)
		return deny(c, GH_PF_TOO_MANY_REQUESTS,
		    "Too many failed attempts from this address; try again later.");
	return GH_OK;
}

/* Counts one failure against the client address. */
static enum gh_err
ip_fail(struct gh_pool *p, struct gh_pool_call *c)
{
	int64_t			 w = gh_conf_int(p->conf, GH_CONF_THROTTLE_IP_WINDOW);
	struct gh_update	 u;
	json_object		*add = NULL, *set = NULL;
	char			 pk[200], sk[64], id[160];
	time_t			 now = time(NULL);
	enum gh_err		 err = GH_ERR_NOMEM;

	if (gh_conf_int(p->conf, GH_CONF_THROTTLE_IP_LIMIT) <= 0 ||
	    c->addr == NULL || *c->addr == '\0')
		return GH_OK;
	if (w <= 0)
		w = 1;
	ip_key(p, c, sk, sizeof(sk));
	ip_id(c->addr, id, sizeof(id));
	snprintf(pk, sizeof(pk), "idp-ip-%s", id);
	if ((add = json_object_new_object()) == NULL ||
	    (set = json_object_new_object()) == NULL ||
	    gh_json_add_int(add, "failures", 1) != GH_OK ||
	    gh_json_add_int(set, "expires_at", now - now % w + w) != GH_OK)
		goto out;
	memset(&u, 0, sizeof(u));
	u.set = set;
	u.add = add;
	err = gh_store_update(c->store, GH_TABLE_MAIN, pk, sk, &u, NULL, NULL);
out:
	json_object_put(add);
	json_object_put(set);
	return err;
}

/*
 * The key of a username's failure item: PK idp-fail-{sha256 hex of the
 * lower-cased username}, whatever its length or bytes (an unknown user's
 * name is the client's text).
 */
static enum gh_err
lock_key(const char *user, char pk[10 + GH_SHA256_HEX_LEN])
{
	char		 hex[GH_SHA256_HEX_LEN], *low;
	size_t		 i, n = strlen(user);
	enum gh_err	 err;

	if ((low = malloc(n + 1)) == NULL)
		return GH_ERR_NOMEM;
	for (i = 0; i <= n; i++)
		low[i] = (char)(user[i] >= 'A' && user[i] <= 'Z' ? user[i] + 32 : user[i]);
	err = gh_sha256_hex(low, n, hex);
	free(low);
	if (err == GH_OK)
		snprintf(pk, 10 + GH_SHA256_HEX_LEN, "idp-fail-%s", hex);
	return err;
}

/* Seconds left of the username's lock (0: not locked); *fails its count. */
static enum gh_err
lock_get(struct gh_store *s, const char *user, long *left, int64_t *fails)
{
	json_object	*o = NULL;
	int64_t		 until = 0, now = now_ms();
	char		 pk[10 + GH_SHA256_HEX_LEN];
	enum gh_err	 err;

	*left = 0;
	*fails = 0;
	if ((err = lock_key(user, pk)) != GH_OK)
		return err;
	err = gh_store_get(s, GH_TABLE_MAIN, pk, "fail", &o);
	if (err == GH_ERR_NOTFOUND)
		return GH_OK;
	if (err != GH_OK)
		return err;
	gh_json_int(o, "failures", fails);
	gh_json_int(o, "locked_until_ms", &until);
	if (until > now)
		*left = (long)((until - now + 999) / 1000);
	json_object_put(o);
	return GH_OK;
}

/* One more failure of the username; locks it from the 5th on. */
static enum gh_err
lock_fail(struct gh_store *s, const char *user)
{
	struct gh_update	 u;
	json_object		*add = NULL, *set = NULL, *after = NULL;
	char			 pk[10 + GH_SHA256_HEX_LEN];
	time_t			 now = time(NULL);
	int64_t			 n = 0;
	long			 lock;
	enum gh_err		 err;

	if ((err = lock_key(user, pk)) != GH_OK)
		return err;
	err = GH_ERR_NOMEM;
	if ((add = json_object_new_object()) == NULL ||
	    (set = json_object_new_object()) == NULL ||
	    gh_json_add_int(add, "failures", 1) != GH_OK ||
	    gh_json_add_int(set, "expires_at", now + LOCK_MEMORY + LOCK_MAX) != GH_OK)
		goto out;
	memset(&u, 0, sizeof(u));
	u.set = set;
	u.add = add;
	if ((err = gh_store_update(s, GH_TABLE_MAIN, pk, "fail", &u, NULL,
	    &after)) != GH_OK)
		goto out;
	gh_json_int(after, "failures", &n);
	if ((lock = gh_pool_lock_seconds((long)n)) > 0) {
		json_object_put(set);
		if ((set = json_object_new_object()) == NULL ||
		    gh_json_add_int(set, "locked_until_ms", now_ms() + lock * 1000) != GH_OK) {
			err = GH_ERR_NOMEM;
			goto out;
		}
		u.set = set;
		u.add = NULL;
		err = gh_store_update(s, GH_TABLE_MAIN, pk, "fail", &u, NULL, NULL);
	}
out:
	json_object_put(add);
	json_object_put(set);
	json_object_put(after);
	return err;
}

static enum gh_err
lock_clear(struct gh_store *s, const char *user)
{
	char		pk[10 + GH_SHA256_HEX_LEN];
	enum gh_err	err;

	if ((err = lock_key(user, pk)) != GH_OK)
		return err;
	err = gh_store_delete(s, GH_TABLE_MAIN, pk, "fail", NULL, NULL);
	return err == GH_ERR_NOTFOUND ? GH_OK : err;
}

/* --- codes ---------------------------------------------------------------- */

static void
code_context(const char *purpose, const char *sub, char *buf, size_t size)
{
	snprintf(buf, size, "%s:%s", purpose, sub);
}

static void
ttl_words(int64_t s, char *buf, size_t size)
{
	if (s % 3600 == 0)
		snprintf(buf, size, "%lld hour%s", (long long)(s / 3600), s == 3600 ? "" : "s");
	else if (s % 60 == 0)
		snprintf(buf, size, "%lld minutes", (long long)(s / 60));
	else
		snprintf(buf, size, "%lld seconds", (long long)s);
}

/*
 * Makes a new code for purpose ("signup" or "reset"), replacing any old
 * one, and mails it.  Mail failure is GH_ERR_DENIED (CodeDeliveryFailure);
 * more than SEND_MAX codes in SEND_WINDOW is LimitExceeded (no mail floods).
 */
static enum gh_err
code_issue(struct gh_pool *p, struct gh_pool_call *c, const char *sub,
    const char *email, const char *purpose)
{
	json_object	*item = NULL, *old = NULL;
	char		 code[GH_CODE6_LEN], hash[GH_CODE_HASH_LEN], ctx[200];
	char		 sk[32], text[1024], ttlw[64];
	const char	*why = NULL, *subject;
	int64_t		 ttl, sent = 0, since = 0, now = time(NULL);
	enum gh_err	 err;

	ttl = gh_conf_int(p->conf, strcmp(purpose, "signup") == 0 ?
	    GH_CONF_SIGNUP_CODE_TTL : GH_CONF_RESET_CODE_TTL);
	code_context(purpose, sub, ctx, sizeof(ctx));
	if ((err = gh_random_code6(code)) != GH_OK ||
	    (err = gh_code_hash(p->code_key, ctx, code, hash)) != GH_OK)
		return err;
	snprintf(sk, sizeof(sk), "code-%s", purpose);
	err = get_item(c->store, "idp-user-", sub, sk, &old);
	if (err == GH_OK) {
		gh_json_int(old, "sent", &sent);
		gh_json_int(old, "sent_since", &since);
		if (now - since >= SEND_WINDOW)
			sent = since = 0;
		if (sent >= SEND_MAX) {
			err = deny(c, GH_PF_LIMIT_EXCEEDED,
			    "Attempt limit exceeded, please try after some time.");
			goto out;
		}
	} else if (err != GH_ERR_NOTFOUND)
		goto out;
	err = GH_ERR_NOMEM;
	if ((item = item_new("idp-user-", sub, sk)) == NULL ||
	    gh_json_add_str(item, "hash", hash) != GH_OK ||
	    gh_json_add_int(item, "tries", 0) != GH_OK ||
	    gh_json_add_int(item, "sent", sent + 1) != GH_OK ||
	    gh_json_add_int(item, "sent_since", since != 0 ? since : now) != GH_OK ||
	    gh_json_add_int(item, "expires_at", now + ttl) != GH_OK)
		goto out;
	if ((err = gh_store_put(c->store, GH_TABLE_MAIN, item, NULL)) != GH_OK)
		goto out;
	ttl_words(ttl, ttlw, sizeof(ttlw));
	if (strcmp(purpose, "signup") == 0) {
		subject = "Your verification code";
		snprintf(text, sizeof(text), "Hello,\n\nYour verification code is %s\n\n"
		    "Enter it to confirm your e-mail address. It is valid for %s and "
		    "can be used once.\n\nIf you did not sign up, ignore this message.\n",
		    code, ttlw);
	} else {
		subject = "Your password reset code";
		snprintf(text, sizeof(text), "Hello,\n\nYour password reset code is %s\n\n"
		    "Enter it with your new password. It is valid for %s and can be "
		    "used once.\n\nIf you did not ask for a reset, ignore this message: "
		    "your password has not changed.\n", code, ttlw);
	}
	err = gh_mail_send(p->conf, email, subject, text, &why);
	memset(code, 0, sizeof(code));
	if (err == GH_ERR_NOMEM)
		goto out;
	if (err != GH_OK) {
		fprintf(stderr, "{\"level\":\"error\",\"what\":\"mail\",\"err\":\"%s\","
		    "\"detail\":\"%s\"}\n", gh_strerror(err),
		    gh_json_escape_static(why ? why : ""));
		err = deny(c, GH_PF_CODE_DELIVERY, "Unable to deliver the code by e-mail.");
	}
out:
	memset(code, 0, sizeof(code));
	json_object_put(old);
	json_object_put(item);
	return err;
}

/*
 * The answer when there is no live code to check: expired, used, dead,
 * never issued, an unknown user, a confirmed user's sign-up code.  One
 * answer for all, so a wrong guess tells nothing about whether an
 * account exists (only an account with a pending code answers otherwise).
 */
static enum gh_err
code_absent(struct gh_pool_call *c)
{
	return deny(c, GH_PF_EXPIRED_CODE,
	    "Invalid code provided, please request a code again.");
}

/*
 * Checks code against the stored one.  GH_OK: it matches (*version is the
 * item's, for code_consume).  GH_ERR_DENIED: absent or dead (ExpiredCode) or
 * wrong (CodeMismatch; the 5th wrong try kills the code).
 *
 * Every guess first takes a try with one atomic increment and is compared
 * only if that try was within CODE_TRIES: racing guesses that all read the
 * same count would otherwise be compared and only one of them counted, so
 * parallel requests could try far more than CODE_TRIES codes.
 */
static enum gh_err
code_check(struct gh_pool *p, struct gh_pool_call *c, const char *sub,
    const char *purpose, const char *code, int64_t *version)
{
	struct gh_update	 u;
	struct gh_cond		 exists = { GH_COND_EXISTS, 0 };
	struct gh_cond		 cond = { GH_COND_VERSION, 0 };
	json_object		*item = NULL, *add = NULL;
	char			 sk[32], ctx[200], pk[200];
	const char		*hash;
	int64_t			 tries = 0;
	enum gh_err		 err;

	snprintf(sk, sizeof(sk), "code-%s", purpose);
	snprintf(pk, sizeof(pk), "idp-user-%s", sub);
	if ((add = json_object_new_object()) == NULL ||
	    gh_json_add_int(add, "tries", 1) != GH_OK) {
		err = GH_ERR_NOMEM;
		goto out;
	}
	memset(&u, 0, sizeof(u));
	u.add = add;
	err = gh_store_update(c->store, GH_TABLE_MAIN, pk, sk, &u, &exists, &item);
	if (err == GH_ERR_NOTFOUND || err == GH_ERR_CONFLICT) {
		err = code_absent(c);
		goto out;
	}
	if (err != GH_OK)
		goto out;
	code_context(purpose, sub, ctx, sizeof(ctx));
	gh_json_int(item, "tries", &tries);
	gh_json_int(item, "version", &cond.version);
	if ((hash = gh_json_str(item, "hash")) == NULL || tries > CODE_TRIES) {
		err = code_absent(c);
		goto out;
	}
	if (strlen(code) == 6 && strspn(code, "0123456789") == 6 &&
	    gh_code_check(p->code_key, ctx, code, hash)) {
		*version = cond.version;
		err = GH_OK;
		goto out;
	}
	/* Wrong: count it against the address; the last try deletes the code. */
	if ((err = ip_fail(p, c)) != GH_OK)
		goto out;
	if (tries >= CODE_TRIES) {
		err = gh_store_delete(c->store, GH_TABLE_MAIN, pk, sk, &cond, NULL);
		if (err != GH_OK && err != GH_ERR_CONFLICT && err != GH_ERR_NOTFOUND)
			goto out;
	}
	err = deny(c, GH_PF_CODE_MISMATCH,
	    "Invalid verification code provided, please try again.");
out:
	json_object_put(add);
	json_object_put(item);
	return err;
}

/* Uses up a checked code: of two racing uses exactly one succeeds. */
static enum gh_err
code_consume(struct gh_pool_call *c, const char *sub, const char *purpose,
    int64_t version)
{
	struct gh_cond	cond = { GH_COND_VERSION, version };
	char		sk[32], pk[200];
	enum gh_err	err;

	snprintf(sk, sizeof(sk), "code-%s", purpose);
	snprintf(pk, sizeof(pk), "idp-user-%s", sub);
	err = gh_store_delete(c->store, GH_TABLE_MAIN, pk, sk, &cond, NULL);
	if (err == GH_ERR_NOTFOUND || err == GH_ERR_CONFLICT)
		return code_absent(c);
	return err;
}

/* --- attributes ----------------------------------------------------------- */

static int
schema_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(schema) / sizeof(schema[0]); i++)
		if (strcmp(schema[i].name, name) == 0)
			return (int)i;
	return -1;
}

/*
 * Reads a UserAttributes array ([{Name, Value}]) into *out (name -> value),
 * checking the schema and the formats.  writing: refuse what a user may
 * not change (custom:role).
 */
static enum gh_err
attrs_parse(struct gh_pool_call *c, json_object *arr, int writing,
    json_object **out)
{
	json_object	*o, *e;
	const char	*name, *value;
	char		 msg[200];
	size_t		 i, n;
	int		 k;

	if (arr != NULL && !json_object_is_type(arr, json_type_array))
		return deny(c, GH_PF_INVALID_PARAMETER, "UserAttributes must be a list.");
	if ((o = json_object_new_object()) == NULL)
		return GH_ERR_NOMEM;
	n = arr != NULL ? json_object_array_length(arr) : 0;
	for (i = 0; i < n; i++) {
		e = json_object_array_get_idx(arr, i);
		name = gh_json_str(e, "Name");
		value = gh_json_str(e, "Value");
		if (name == NULL || !json_object_is_type(e, json_type_object)) {
			json_object_put(o);
			return deny(c, GH_PF_INVALID_PARAMETER,
			    "Each user attribute needs a Name and a Value.");
		}
		if ((k = schema_find(name)) < 0) {
			json_object_put(o);
			return deny(c, GH_PF_INVALID_PARAMETER,
			    "Attributes did not conform to the schema: Type for "
			    "attribute {%.64s} could not be determined", name);
		}
		if (writing && !schema[k].writable) {
			json_object_put(o);
			return deny(c, GH_PF_NOT_AUTHORIZED,
			    "A client attempted to write unauthorized attribute");
		}
		if (json_object_object_get_ex(o, name, NULL)) {
			json_object_put(o);
			return deny(c, GH_PF_INVALID_PARAMETER,
			    "Duplicate attribute %.64s.", name);
		}
		if (!gh_trigger_attr_ok(name, value, msg, sizeof(msg))) {
			json_object_put(o);
			return deny(c, GH_PF_INVALID_PARAMETER, "%s", msg);
		}
		if (gh_json_add_str(o, name, value) != GH_OK) {
			json_object_put(o);
			return GH_ERR_NOMEM;
		}
	}
	*out = o;
	return GH_OK;
}

/* The trigger event Cognito sends, for our account. */
static json_object *
event_new(struct gh_pool *p, const char *source, const char *sub,
    json_object *attrs, json_object *meta)
{
	json_object *ev, *req, *cc, *ua = NULL;

	if ((ev = json_object_new_object()) == NULL)
		return NULL;
	if (json_object_deep_copy(attrs, &ua, NULL) != 0)
		goto fail;
	if (sub != NULL && gh_json_add_str(ua, "sub", sub) != GH_OK)
		goto fail;
	req = json_object_new_object();
	cc = json_object_new_object();
	if (req == NULL || cc == NULL ||
	    json_object_object_add(ev, "request", req) != 0 ||
	    json_object_object_add(ev, "callerContext", cc) != 0) {
		json_object_put(req);
		json_object_put(cc);
		goto fail;
	}
	json_object_object_add(req, "userAttributes", ua);
	ua = NULL;
	if (meta != NULL)
		json_object_object_add(req, "clientMetadata", json_object_get(meta));
	if (gh_json_add_str(ev, "version", "1") != GH_OK ||
	    gh_json_add_str(ev, "triggerSource", source) != GH_OK ||
	    gh_json_add_str(ev, "region", gh_conf_str(p->conf, GH_CONF_REGION)) != GH_OK ||
	    gh_json_add_str(ev, "userPoolId", gh_conf_str(p->conf, GH_CONF_USER_POOL_ID)) != GH_OK ||
	    gh_json_add_str(ev, "userName", sub != NULL ? sub : "") != GH_OK ||
	    gh_json_add_str(cc, "awsSdkVersion", "gatehouse") != GH_OK ||
	    gh_json_add_str(cc, "clientId", gh_auth_client_id(p->conf)) != GH_OK ||
	    json_object_object_add(ev, "response", json_object_new_object()) != 0)
		goto fail;
	return ev;
fail:
	json_object_put(ua);
	json_object_put(ev);
	return NULL;
}

/* Runs PostConfirmation for a confirmed account (idempotent). */
static enum gh_err
post_confirm(struct gh_pool *p, struct gh_pool_call *c, json_object *acct,
    json_object *meta)
{
	json_object	*attrs = NULL, *ev = NULL, *res = NULL;
	const char	*sub = gh_json_str(acct, "sub");
	char		 msg[256];
	enum gh_err	 err;

	json_object_object_get_ex(acct, "attributes", &attrs);
	if ((ev = event_new(p, "PostConfirmation_ConfirmSignUp", sub, attrs,
	    meta)) == NULL)
		return GH_ERR_NOMEM;
	json_object *ua = in_obj(in_obj(ev, "request"), "userAttributes");
	gh_json_add_str(ua, "email", gh_json_str(acct, "email"));
	gh_json_add_str(ua, "email_verified", "true");
	gh_json_add_str(ua, "cognito:user_status", "CONFIRMED");
	err = gh_trigger_run(p->conf, c->store, ev, &res, msg, sizeof(msg));
	if (err == GH_ERR_DENIED || err == GH_ERR_INVAL)
		err = deny(c, GH_PF_LAMBDA_VALIDATION,
		    "PostConfirmation failed with error %s", msg);
	json_object_put(res);
	json_object_put(ev);
	return err;
}

static enum gh_err
delivery_details(json_object *o, const char *key, const char *email)
{
	json_object	*d;
	char		 mask[300];

	gh_pool_mask_email(email, mask, sizeof(mask));
	if ((d = json_object_new_object()) == NULL)
		return GH_ERR_NOMEM;
	if (gh_json_add_str(d, "Destination", mask) != GH_OK ||
	    gh_json_add_str(d, "DeliveryMedium", "EMAIL") != GH_OK ||
	    gh_json_add_str(d, "AttributeName", "email") != GH_OK ||
	    json_object_object_add(o, key, d) != 0) {
		json_object_put(d);
		return GH_ERR_NOMEM;
	}
	return GH_OK;
}

static enum gh_err
password_policy(struct gh_pool *p, struct gh_pool_call *c, const char *pw,
    const char *email)
{
	enum gh_pw_verdict v;

	v = gh_password_check(pw, (size_t)gh_conf_int(p->conf,
	    GH_CONF_PASSWORD_MIN_LENGTH), p->list, email);
	if (v != GH_PW_OK)
		return deny(c, GH_PF_INVALID_PASSWORD,
		    "Password did not conform with policy: %s", gh_pw_verdict_str(v));
	return GH_OK;
}

/* --- SignUp --------------------------------------------------------------- */

/*
 * Claims the e-mail for sub.  A live lookup is UsernameExists.  A lookup
 * whose account was never written (a crash between the two puts) is taken
 * over, but only once it is ORPHAN_AGE old: a younger one may belong to a
 * sign-up that is writing its account right now.
 */
#define ORPHAN_AGE	60	/* seconds */

static enum gh_err
claim_email(struct gh_pool_call *c, const char *email, const char *sub)
{
	struct gh_cond	 cond = { GH_COND_NOT_EXISTS, 0 };
	struct gh_cond	 vc = { GH_COND_VERSION, 0 };
	json_object	*look = NULL, *acct = NULL;
	const char	*owner;
	char		 pk[400];
	int64_t		 created = 0;
	int		 attempt;
	enum gh_err	 err;

	snprintf(pk, sizeof(pk), "idp-email-%s", email);
	for (attempt = 0; attempt < 2; attempt++) {
		if ((look = item_new("", pk, "email")) == NULL ||
		    gh_json_add_str(look, "sub", sub) != GH_OK ||
		    gh_json_add_int(look, "created", time(NULL)) != GH_OK) {
			err = GH_ERR_NOMEM;
			goto out;
		}
		err = gh_store_put(c->store, GH_TABLE_MAIN, look, &cond);
		json_object_put(look);
		look = NULL;
		if (err != GH_ERR_CONFLICT)
			goto out;
		/* Taken: by a live account, or orphaned? */
		err = gh_store_get(c->store, GH_TABLE_MAIN, pk, "email", &look);
		if (err == GH_ERR_NOTFOUND)
			continue;	/* gone meanwhile: try again */
		if (err != GH_OK)
			goto out;
		owner = gh_json_str(look, "sub");
		gh_json_int(look, "created", &created);
		err = get_item(c->store, "idp-user-", owner != NULL ? owner : "-",
		    "account", &acct);
		json_object_put(acct);
		acct = NULL;
		if (err != GH_OK && err != GH_ERR_NOTFOUND)
			goto out;
		if (err == GH_OK || attempt > 0 || time(NULL) - created < ORPHAN_AGE)
			break;
		gh_json_int(look, "version", &vc.version);
		err = gh_store_delete(c->store, GH_TABLE_MAIN, pk, "email", &vc, NULL);
		if (err != GH_OK && err != GH_ERR_NOTFOUND && err != GH_ERR_CONFLICT)
			goto out;
		json_object_put(look);
		look = NULL;
	}
	err = deny(c, GH_PF_USERNAME_EXISTS,
	    "An account with the given email already exists.");
out:
	json_object_put(look);
	return err;
}

enum gh_err
gh_pool_sign_up(struct gh_pool *p, struct gh_pool_call *c)
{
	json_object	*attrs = NULL, *arr = NULL, *ev = NULL, *res = NULL;
	json_object	*acct = NULL, *out = NULL;
	const char	*pw = in_str(c, "Password"), *given;
	char		 email[320], sub[GH_UUID_LEN], ts[32], msg[256];
	char		*phc = NULL;
	struct gh_cond	 cond = { GH_COND_NOT_EXISTS, 0 };
	enum gh_err	 err;

	if ((err = require(c, "ClientId", "Username", "Password", NULL)) != GH_OK)
		return err;
	if ((err = client_check(p, c)) != GH_OK)
		return err;
	if (!norm_username(in_str(c, "Username"), email, sizeof(email)))
		return deny(c, GH_PF_INVALID_PARAMETER, "Username should be an email.");
	json_object_object_get_ex(c->in, "UserAttributes", &arr);
	if ((err = attrs_parse(c, arr, 0, &attrs)) != GH_OK)
		return err;
	if ((given = gh_json_str(attrs, "email")) != NULL &&
	    strcasecmp(given, email) != 0) {
		err = deny(c, GH_PF_INVALID_PARAMETER,
		    "The email attribute must be the username.");
		goto out;
	}
	if ((err = gh_json_add_str(attrs, "email", email)) != GH_OK)
		goto out;
	if ((err = password_policy(p, c, pw, email)) != GH_OK)
		goto out;
	/* PreSignUp: the Lambda trigger's validation. */
	if ((ev = event_new(p, "PreSignUp_SignUp", NULL, attrs,
	    in_obj(c->in, "ClientMetadata"))) == NULL) {
		err = GH_ERR_NOMEM;
		goto out;
	}
	json_object_object_del(ev, "userName");
	gh_json_add_str(ev, "userName", email);
	err = gh_trigger_run(p->conf, c->store, ev, &res, msg, sizeof(msg));
	if (err == GH_ERR_DENIED || err == GH_ERR_INVAL) {
		err = deny(c, GH_PF_LAMBDA_VALIDATION,
		    "PreSignUp failed with error %s", msg);
		goto out;
	} else if (err != GH_OK)
		goto out;
	if ((err = gh_uuid_v4(sub)) != GH_OK ||
	    (err = gh_password_hash(pw, &p->params, &phc)) != GH_OK)
		goto out;
	if ((err = claim_email(c, email, sub)) != GH_OK)
		goto out;
	gh_iso_time(time(NULL), ts, sizeof(ts));
	if ((acct = item_new("idp-user-", sub, "account")) == NULL ||
	    gh_json_add_str(acct, "sub", sub) != GH_OK ||
	    gh_json_add_str(acct, "email", email) != GH_OK ||
	    gh_json_add_str(acct, "password", phc) != GH_OK ||
	    gh_json_add_str(acct, "status", "UNCONFIRMED") != GH_OK ||
	    gh_json_add_str(acct, "created_at", ts) != GH_OK ||
	    gh_json_add_str(acct, "updated_at", ts) != GH_OK ||
	    json_object_object_add(acct, "attributes", json_object_get(attrs)) != 0) {
		err = GH_ERR_NOMEM;
		goto out;
	}
	if ((err = gh_store_put(c->store, GH_TABLE_MAIN, acct, &cond)) != GH_OK)
		goto out;
	if ((err = code_issue(p, c, sub, email, "signup")) != GH_OK)
		goto out;
	if ((out = json_object_new_object()) == NULL ||
	    json_object_object_add(out, "UserConfirmed", json_object_new_boolean(0)) != 0 ||
	    gh_json_add_str(out, "UserSub", sub) != GH_OK ||
	    delivery_details(out, "CodeDeliveryDetails", email) != GH_OK) {
		err = GH_ERR_NOMEM;
		goto out;
	}
	c->out = out;
	out = NULL;
out:
	if (phc != NULL) {
		memset(phc, 0, strlen(phc));
		free(phc);
	}
	json_object_put(out);
	json_object_put(acct);
	json_object_put(res);
	json_object_put(ev);
	json_object_put(attrs);
	return err;
}

/* --- ConfirmSignUp, ResendConfirmationCode ---------------------------------- */

enum gh_err
gh_pool_confirm_sign_up(struct gh_pool *p, struct gh_pool_call *c)
{
	json_object	*acct = NULL, *set = NULL;
	const char	*code = in_str(c, "ConfirmationCode"), *sub, *st;
	char		 email[320], ts[32];
	int64_t		 version = 0;
	enum gh_err	 err;

	if ((err = require(c, "ClientId", "Username", "ConfirmationCode", NULL)) != GH_OK)
		return err;
	if ((err = client_check(p, c)) != GH_OK ||
	    (err = ip_check(p, c)) != GH_OK)
		return err;
	if (!norm_username(in_str(c, "Username"), email, sizeof(email)) ||
	    (err = account_load(c->store, email, &acct)) == GH_ERR_NOTFOUND) {
		/* Unknown: the answer of an account with no live code. */
		if ((err = ip_fail(p, c)) != GH_OK)
			return err;
		return code_absent(c);
	}
	if (err != GH_OK)
		return err;
	sub = gh_json_str(acct, "sub");
	st = gh_json_str(acct, "status");
	if (st != NULL && strcmp(st, "CONFIRMED") == 0) {
		/* No sign-up code left: the same answer as for anyone else. */
		if ((err = ip_fail(p, c)) == GH_OK)
			err = code_absent(c);
		goto out;
	}
	if ((err = code_check(p, c, sub, "signup", code, &version)) != GH_OK)
		goto out;
	/* The profile first: a failed trigger leaves the code usable. */
	if ((err = post_confirm(p, c, acct, in_obj(c->in, "ClientMetadata"))) != GH_OK)
		goto out;
	if ((err = code_consume(c, sub, "signup", version)) != GH_OK)
		goto out;
	gh_iso_time(time(NULL), ts, sizeof(ts));
	if ((set = json_object_new_object()) == NULL ||
	    gh_json_add_str(set, "status", "CONFIRMED") != GH_OK ||
	    gh_json_add_str(set, "updated_at", ts) != GH_OK) {
		err = GH_ERR_NOMEM;
		goto out;
	}
	err = account_set(c->store, sub, set, NULL);
	if (err == GH_OK && (c->out = json_object_new_object()) == NULL)
		err = GH_ERR_NOMEM;
out:
	json_object_put(set);
	json_object_put(acct);
	return err;
}

/* A reply that says a code went out, whether or not anything happened. */
static enum gh_err
reply_delivery(struct gh_pool_call *c, const char *email)
{
	json_object *out;

	if ((out = json_object_new_object()) == NULL ||
	    delivery_details(out, "CodeDeliveryDetails", email) != GH_OK) {
		json_object_put(out);
		return GH_ERR_NOMEM;
	}
	c->out = out;
	return GH_OK;
}

/*
 * The start the operations that mail a code to a username share
 * (ResendConfirmationCode, ForgotPassword): the client, the username as an
 * e-mail address, its account.  GH_OK with *acct NULL: no such account, and
 * the answer an existing one would get is made (no enumeration).
 */
static enum gh_err
mail_target(struct gh_pool *p, struct gh_pool_call *c, char *email,
    size_t size, json_object **acct)
{
	enum gh_err	 err;

	*acct = NULL;
	if ((err = require(c, "ClientId", "Username", NULL)) != GH_OK)
		return err;
	if ((err = client_check(p, c)) != GH_OK)
		return err;
	if (!norm_username(in_str(c, "Username"), email, size))
		return deny(c, GH_PF_INVALID_PARAMETER, "Username should be an email.");
	if ((err = account_load(c->store, email, acct)) == GH_ERR_NOTFOUND) {
		*acct = NULL;
		return reply_delivery(c, email);
	}
	return err;
}

enum gh_err
gh_pool_resend_code(struct gh_pool *p, struct gh_pool_call *c)
{
	json_object	*acct = NULL;
	const char	*st;
	char		 email[320];
	enum gh_err	 err;

	if ((err = mail_target(p, c, email, sizeof(email), &acct)) != GH_OK ||
	    acct == NULL)
		return err;
	st = gh_json_str(acct, "status");
	if (st != NULL && strcmp(st, "CONFIRMED") == 0)
		err = reply_delivery(c, email);	/* mails nothing, as for unknown */
	else if ((err = code_issue(p, c, gh_json_str(acct, "sub"), email,
	    "signup")) == GH_OK)
		err = reply_delivery(c, email);
	json_object_put(acct);
	return err;
}

/* --- tokens ------------------------------------------------------------------ */

static enum gh_err
sign(struct gh_pool *p, json_object *claims, char **out)
{
	const char	*dir = gh_conf_str(p->conf, GH_CONF_KEYS_DIR);
	struct gh_keys	*k = NULL;
	enum gh_err	 err;

	if (gh_keys_changed(p->keys, dir)) {
		/* A rotation: sign with the new current key from now on. */
		if ((err = gh_keys_load(dir, 0, &k)) != GH_OK)
			return err;
		gh_keys_free(p->keys);
		p->keys = k;
	}
	return gh_jwt_sign(p->keys, claims, GH_JWT_HEADER_COGNITO, out);
}

/*
 * The id and access tokens of one sign-in (origin_jti, auth_time) for the
 * account and its profile, into res (an AuthenticationResult).
 */
static enum gh_err
tokens_add(struct gh_pool *p, json_object *acct, json_object *prof,
    const char *ojti, int64_t auth_time, json_object *res)
{
	static const char *const prof_attrs[][2] = {
		{ "name", "name" }, { "given_name", "given_name" },
		{ "family_name", "family_name" }, { "phone_number", "phone_number" },
		{ "gender", "gender" },
	};
	json_object	*id = NULL, *ac = NULL;
	const char	*sub = gh_json_str(acct, "sub"), *v;
	const char	*client = gh_auth_client_id(p->conf);
	char		 jti[GH_UUID_LEN], *tok = NULL;
	time_t		 now = time(NULL);
	size_t		 i;
	enum gh_err	 err = GH_ERR_NOMEM;

	if ((id = json_object_new_object()) == NULL ||
	    (ac = json_object_new_object()) == NULL)
		goto out;
	if ((err = gh_uuid_v4(jti)) != GH_OK)
		goto out;
	err = GH_ERR_NOMEM;
	if (gh_json_add_str(id, "sub", sub) != GH_OK ||
	    json_object_object_add(id, "email_verified", json_object_new_boolean(1)) != 0 ||
	    gh_json_add_str(id, "iss", p->issuer) != GH_OK ||
	    gh_json_add_str(id, "cognito:username", sub) != GH_OK ||
	    gh_json_add_str(id, "origin_jti", ojti) != GH_OK ||
	    gh_json_add_str(id, "aud", client) != GH_OK ||
	    gh_json_add_str(id, "token_use", "id") != GH_OK ||
	    gh_json_add_int(id, "auth_time", auth_time) != GH_OK ||
	    gh_json_add_int(id, "iat", now) != GH_OK ||
	    gh_json_add_int(id, "exp", now + gh_conf_int(p->conf, GH_CONF_ID_TOKEN_TTL)) != GH_OK ||
	    gh_json_add_str(id, "jti", jti) != GH_OK ||
	    gh_json_add_str(id, "email", gh_json_str(acct, "email")) != GH_OK ||
	    gh_json_add_str(id, "custom:role", gh_json_str(prof, "role") ?
	    gh_json_str(prof, "role") : "customer") != GH_OK)
		goto out;
	if ((v = gh_json_str(prof, "company")) != NULL &&
	    gh_json_add_str(id, "custom:company", v) != GH_OK)
		goto out;
	for (i = 0; i < sizeof(prof_attrs) / sizeof(prof_attrs[0]); i++)
		if ((v = gh_json_str(prof, prof_attrs[i][0])) != NULL &&
		    gh_json_add_str(id, prof_attrs[i][1], v) != GH_OK)
			goto out;
	if ((err = sign(p, id, &tok)) != GH_OK)
		goto out;
	if ((err = gh_json_add_str(res, "IdToken", tok)) != GH_OK)
		goto out;
	free(tok);
	tok = NULL;
	if ((err = gh_uuid_v4(jti)) != GH_OK)
		goto out;
	err = GH_ERR_NOMEM;
	if (gh_json_add_str(ac, "sub", sub) != GH_OK ||
	    gh_json_add_str(ac, "iss", p->issuer) != GH_OK ||
	    gh_json_add_str(ac, "client_id", client) != GH_OK ||
	    gh_json_add_str(ac, "origin_jti", ojti) != GH_OK ||
	    gh_json_add_str(ac, "token_use", "access") != GH_OK ||
	    gh_json_add_str(ac, "scope", "aws.cognito.signin.user.admin") != GH_OK ||
	    gh_json_add_int(ac, "auth_time", auth_time) != GH_OK ||
	    gh_json_add_int(ac, "iat", now) != GH_OK ||
	    gh_json_add_int(ac, "exp", now + gh_conf_int(p->conf, GH_CONF_ACCESS_TOKEN_TTL)) != GH_OK ||
	    gh_json_add_str(ac, "jti", jti) != GH_OK ||
	    gh_json_add_str(ac, "username", sub) != GH_OK)
		goto out;
	if ((err = sign(p, ac, &tok)) != GH_OK)
		goto out;
	if ((err = gh_json_add_str(res, "AccessToken", tok)) != GH_OK ||
	    (err = gh_json_add_int(res, "ExpiresIn",
	    gh_conf_int(p->conf, GH_CONF_ACCESS_TOKEN_TTL))) != GH_OK ||
	    (err = gh_json_add_str(res, "TokenType", "Bearer")) != GH_OK)
		goto out;
out:
	free(tok);
	json_object_put(id);
	json_object_put(ac);
	return err;
}

/*
 * The refresh token is base64url("{sub}:{origin_jti}:{secret}"): opaque to
 * clients, and it names its session item, which stores only the SHA-256 of
 * the secret.
 */
static enum gh_err
refresh_make(const char *sub, const char *ojti, char **tok,
    char hash[GH_SHA256_HEX_LEN])
{
	char		secret[GH_RANDOM_ID_LEN], raw[256];
	enum gh_err	err;

	if ((err = gh_random_id(secret)) != GH_OK ||
	    (err = gh_sha256_hex(secret, strlen(secret), hash)) != GH_OK)
		return err;
	snprintf(raw, sizeof(raw), "%s:%s:%s", sub, ojti, secret);
	err = gh_b64url_encode(raw, strlen(raw), tok);
	memset(secret, 0, sizeof(secret));
	memset(raw, 0, sizeof(raw));
	return err;
}

/* Splits a refresh token; 0 if it is not one of ours. */
static int
refresh_parse(const char *tok, char sub[GH_UUID_LEN], char ojti[GH_UUID_LEN],
    char hash[GH_SHA256_HEX_LEN])
{
	unsigned char	 raw[256];
	size_t		 n;
	char		*a, *b;
	int		 ok = 0;

	if (tok == NULL || strlen(tok) > 340 ||
	    gh_b64url_decode_buf(tok, strlen(tok), raw, sizeof(raw) - 1, &n) != GH_OK)
		return 0;
	raw[n] = '\0';
	if (strlen((char *)raw) != n || (a = strchr((char *)raw, ':')) == NULL ||
	    (b = strchr(a + 1, ':')) == NULL)
		goto out;
	*a++ = '\0';
	*b++ = '\0';
	if (strlen((char *)raw) != GH_UUID_LEN - 1 || strlen(a) != GH_UUID_LEN - 1 ||
	    strlen(b) != GH_RANDOM_ID_LEN - 1)
		goto out;
	memcpy(sub, raw, GH_UUID_LEN);
	memcpy(ojti, a, GH_UUID_LEN);
	ok = gh_sha256_hex(b, strlen(b), hash) == GH_OK;
out:
	memset(raw, 0, sizeof(raw));
	return ok;
}

/* A new session (sign-in) and the full AuthenticationResult into c->out. */
static enum gh_err
session_start(struct gh_pool *p, struct gh_pool_call *c, json_object *acct,
    json_object *prof)
{
	json_object	*item = NULL, *res = NULL, *out = NULL;
	const char	*sub = gh_json_str(acct, "sub");
	char		 ojti[GH_UUID_LEN], sk[64], hash[GH_SHA256_HEX_LEN];
	char		*tok = NULL;
	time_t		 now = time(NULL);
	enum gh_err	 err;

	if ((err = gh_uuid_v4(ojti)) != GH_OK ||
	    (err = refresh_make(sub, ojti, &tok, hash)) != GH_OK)
		goto out;
	snprintf(sk, sizeof(sk), "session-%s", ojti);
	err = GH_ERR_NOMEM;
	if ((item = item_new("idp-user-", sub, sk)) == NULL ||
	    gh_json_add_str(item, "refresh_hash", hash) != GH_OK ||
	    gh_json_add_str(item, "client_id", gh_auth_client_id(p->conf)) != GH_OK ||
	    gh_json_add_int(item, "auth_time", now) != GH_OK ||
	    gh_json_add_int(item, "expires_at", now +
	    gh_conf_int(p->conf, GH_CONF_REFRESH_TOKEN_TTL)) != GH_OK)
		goto out;
	if ((err = gh_store_put(c->store, GH_TABLE_MAIN, item, NULL)) != GH_OK)
		goto out;
	err = GH_ERR_NOMEM;
	if ((res = json_object_new_object()) == NULL ||
	    (out = json_object_new_object()) == NULL)
		goto out;
	if ((err = tokens_add(p, acct, prof, ojti, now, res)) != GH_OK ||
	    (err = gh_json_add_str(res, "RefreshToken", tok)) != GH_OK)
		goto out;
	err = GH_ERR_NOMEM;
	if (json_object_object_add(out, "ChallengeParameters", json_object_new_object()) != 0 ||
	    json_object_object_add(out, "AuthenticationResult", res) != 0)
		goto out;
	res = NULL;
	c->out = out;
	out = NULL;
	err = GH_OK;
out:
	free(tok);
	json_object_put(res);
	json_object_put(out);
	json_object_put(item);
	return err;
}

/*
 * The profile of a confirmed account, made by PostConfirmation if it is
 * missing (a trigger that failed after confirmation); a suspended user is
 * refused as Cognito refuses a disabled one.
 */
static enum gh_err
profile_active(struct gh_pool *p, struct gh_pool_call *c, json_object *acct,
    json_object **prof)
{
	const char	*sub = gh_json_str(acct, "sub"), *st;
	enum gh_err	 err;

	err = profile_load(c->store, sub, prof);
	if (err == GH_ERR_NOTFOUND) {
		if ((err = post_confirm(p, c, acct, NULL)) != GH_OK)
			return err;
		err = profile_load(c->store, sub, prof);
	}
	if (err != GH_OK)
		return err;
	st = gh_json_str(*prof, "status");
	if (st != NULL && strcmp(st, "active") != 0) {
		json_object_put(*prof);
		*prof = NULL;
		return deny(c, GH_PF_NOT_AUTHORIZED, "User is disabled.");
	}
	return GH_OK;
}

/* --- InitiateAuth ---------------------------------------------------------- */

/* A failed sign-in: counted against the username and the address. */
static enum gh_err
login_failed(struct gh_pool *p, struct gh_pool_call *c, const char *user)
{
	enum gh_err err;

	if ((err = lock_fail(c->store, user)) != GH_OK ||
	    (err = ip_fail(p, c)) != GH_OK)
		return err;
	return deny(c, GH_PF_NOT_AUTHORIZED, "%s", BAD_LOGIN);
}

static enum gh_err
auth_password(struct gh_pool *p, struct gh_pool_call *c, json_object *ap)
{
	json_object	*acct = NULL, *prof = NULL, *set = NULL;
	const char	*user = gh_json_str(ap, "USERNAME");
	const char	*pw = gh_json_str(ap, "PASSWORD"), *phc, *st;
	char		 email[320], *fresh = NULL;
	int64_t		 fails = 0;
	long		 left = 0;
	int		 rehash = 0, known;
	enum gh_err	 err;

	if (user == NULL)
		return deny(c, GH_PF_INVALID_PARAMETER, "Missing required parameter USERNAME");
	if (pw == NULL)
		return deny(c, GH_PF_INVALID_PARAMETER, "Missing required parameter PASSWORD");
	if ((err = ip_check(p, c)) != GH_OK)
		return err;
	known = norm_username(user, email, sizeof(email));
	if ((err = lock_get(c->store, user, &left, &fails)) != GH_OK)
		return err;
	if (left > 0)
		return deny(c, GH_PF_NOT_AUTHORIZED, "%s", LOCKED);
	if (known && (err = account_load(c->store, email, &acct)) != GH_OK &&
	    err != GH_ERR_NOTFOUND)
		return err;
	if (acct == NULL || (phc = gh_json_str(acct, "password")) == NULL) {
		gh_password_dummy_verify(pw, &p->params);
		err = login_failed(p, c, user);
		goto out;
	}
	err = gh_password_verify(pw, phc, &p->params, &rehash);
	if (err == GH_ERR_DENIED || err == GH_ERR_INVAL) {
		err = login_failed(p, c, user);
		goto out;
	}
	if (err != GH_OK)
		goto out;
	if (fails > 0 && (err = lock_clear(c->store, user)) != GH_OK)
		goto out;
	st = gh_json_str(acct, "status");
	if (st == NULL || strcmp(st, "CONFIRMED") != 0) {
		err = deny(c, GH_PF_USER_NOT_CONFIRMED, "User is not confirmed.");
		goto out;
	}
	if ((err = profile_active(p, c, acct, &prof)) != GH_OK)
		goto out;
	if (rehash && gh_password_hash(pw, &p->params, &fresh) == GH_OK &&
	    (set = json_object_new_object()) != NULL &&
	    gh_json_add_str(set, "password", fresh) == GH_OK)
		(void)account_set(c->store, gh_json_str(acct, "sub"), set, NULL);
	err = session_start(p, c, acct, prof);
out:
	free(fresh);
	json_object_put(set);
	json_object_put(prof);
	json_object_put(acct);
	return err;
}

static enum gh_err
auth_refresh(struct gh_pool *p, struct gh_pool_call *c, json_object *ap)
{
	json_object	*sess = NULL, *acct = NULL, *prof = NULL, *res = NULL, *out = NULL;
	char		 sub[GH_UUID_LEN], ojti[GH_UUID_LEN], hash[GH_SHA256_HEX_LEN];
	char		 sk[64];
	const char	*stored, *client;
	int64_t		 auth_time = 0;
	enum gh_err	 err;

	if (gh_json_str(ap, "REFRESH_TOKEN") == NULL)
		return deny(c, GH_PF_INVALID_PARAMETER,
		    "Missing required parameter REFRESH_TOKEN");
	if (!refresh_parse(gh_json_str(ap, "REFRESH_TOKEN"), sub, ojti, hash))
		return deny(c, GH_PF_NOT_AUTHORIZED, "Invalid Refresh Token");
	snprintf(sk, sizeof(sk), "session-%s", ojti);
	err = get_item(c->store, "idp-user-", sub, sk, &sess);
	if (err == GH_ERR_NOTFOUND)
		return deny(c, GH_PF_NOT_AUTHORIZED, "Refresh Token has been revoked");
	if (err != GH_OK)
		return err;
	stored = gh_json_str(sess, "refresh_hash");
	client = gh_json_str(sess, "client_id");
	if (stored == NULL || !gh_ct_streq(stored, hash) || client == NULL ||
	    strcmp(client, gh_auth_client_id(p->conf)) != 0) {
		err = deny(c, GH_PF_NOT_AUTHORIZED, "Invalid Refresh Token");
		goto out;
	}
	gh_json_int(sess, "auth_time", &auth_time);
	if ((err = get_item(c->store, "idp-user-", sub, "account", &acct)) != GH_OK) {
		if (err == GH_ERR_NOTFOUND)
			err = deny(c, GH_PF_NOT_AUTHORIZED, "Invalid Refresh Token");
		goto out;
	}
	if ((err = profile_active(p, c, acct, &prof)) != GH_OK)
		goto out;
	err = GH_ERR_NOMEM;
	if ((res = json_object_new_object()) == NULL ||
	    (out = json_object_new_object()) == NULL)
		goto out;
	if ((err = tokens_add(p, acct, prof, ojti, auth_time, res)) != GH_OK)
		goto out;
	err = GH_ERR_NOMEM;
	if (json_object_object_add(out, "ChallengeParameters", json_object_new_object()) != 0 ||
	    json_object_object_add(out, "AuthenticationResult", res) != 0)
		goto out;
	res = NULL;
	c->out = out;
	out = NULL;
	err = GH_OK;
out:
	json_object_put(res);
	json_object_put(out);
	json_object_put(prof);
	json_object_put(acct);
	json_object_put(sess);
	return err;
}

enum gh_err
gh_pool_initiate_auth(struct gh_pool *p, struct gh_pool_call *c)
{
	const char	*flow = in_str(c, "AuthFlow");
	json_object	*ap = in_obj(c->in, "AuthParameters");
	enum gh_err	 err;

	if ((err = require(c, "ClientId", "AuthFlow", NULL)) != GH_OK)
		return err;
	if ((err = client_check(p, c)) != GH_OK)
		return err;
	if (flow == NULL)
		return deny(c, GH_PF_INVALID_PARAMETER, "Missing AuthFlow.");
	if (ap == NULL)
		return deny(c, GH_PF_INVALID_PARAMETER, "Missing required parameter AuthParameters");
	json_object_object_foreach(ap, k, v) {
		(void)k;
		if (!json_object_is_type(v, json_type_string))
			return deny(c, GH_PF_INVALID_PARAMETER,
			    "AuthParameters values must be strings.");
	}
	if (strcmp(flow, "USER_PASSWORD_AUTH") == 0)
		return auth_password(p, c, ap);
	if (strcmp(flow, "REFRESH_TOKEN_AUTH") == 0 ||
	    strcmp(flow, "REFRESH_TOKEN") == 0)
		return auth_refresh(p, c, ap);
	return deny(c, GH_PF_INVALID_PARAMETER,
	    "Unsupported AuthFlow %.40s: this pool supports USER_PASSWORD_AUTH "
	    "and REFRESH_TOKEN_AUTH.", flow);
}

/* --- operations on a signed-in user (AccessToken) ----------------------- */

/*
 * Marks the User item: ID tokens issued before this second are refused by
 * every role-guarded route (src/lib/http.c compares their "iat" with
 * "tokens_valid_after"), at no extra store read, since those routes read the
 * User item anyway.  A user without a profile has nothing to mark.
 */
static enum gh_err
profile_tokens_end(struct gh_store *s, const char *sub)
{
	struct gh_update u;
	struct gh_cond	 cond = { GH_COND_EXISTS, 0 };
	json_object	*set;
	char		 pk[200];
	enum gh_err	 err = GH_ERR_NOMEM;

	memset(&u, 0, sizeof(u));
	snprintf(pk, sizeof(pk), "user-%s", sub);
	if ((set = json_object_new_object()) == NULL ||
	    gh_json_add_int(set, "tokens_valid_after", (int64_t)time(NULL)) != GH_OK)
		goto out;
	u.set = set;
	err = gh_store_update(s, GH_TABLE_MAIN, pk, "user", &u, &cond, NULL);
	if (err == GH_ERR_CONFLICT)
		err = GH_OK;
out:
	json_object_put(set);
	return err;
}

/*
 * Deletes every session of sub: their refresh and access tokens die, and
 * the ID tokens of before now stop opening the API.
 */
static enum gh_err
sessions_revoke(struct gh_store *s, const char *sub)
{
	struct gh_query	 q;
	struct gh_page	 pg = { NULL, NULL };
	char		 pk[200], *cursor = NULL;
	size_t		 i;
	enum gh_err	 err;

	if ((err = profile_tokens_end(s, sub)) != GH_OK)
		return err;
	snprintf(pk, sizeof(pk), "idp-user-%s", sub);
	do {
		memset(&q, 0, sizeof(q));
		q.table = GH_TABLE_MAIN;
		q.index = GH_INDEX_BASE;
		q.pk = pk;
		q.skop = GH_SK_BEGINS;
		q.sk1 = "session-";
		q.cursor = cursor;
		err = gh_store_query(s, &q, &pg);
		free(cursor);
		cursor = NULL;
		if (err != GH_OK)
			return err;
		for (i = 0; i < json_object_array_length(pg.items); i++) {
			const char *sk = gh_json_str(json_object_array_get_idx(pg.items, i), "SK");
			err = gh_store_delete(s, GH_TABLE_MAIN, pk, sk, NULL, NULL);
			if (err != GH_OK && err != GH_ERR_NOTFOUND) {
				gh_page_free(&pg);
				return err;
			}
		}
		cursor = pg.cursor;
		pg.cursor = NULL;
		gh_page_free(&pg);
	} while (cursor != NULL);
	return GH_OK;
}

/*
 * Verifies the request's AccessToken and that its sign-in is still live
 * (not signed out, revoked or ended by a password change), and loads the
 * account and its active profile.
 */
static enum gh_err
access_check(struct gh_pool *p, struct gh_pool_call *c, json_object **acct,
    json_object **prof)
{
	json_object	*claims = NULL, *sess = NULL;
	const char	*sub, *ojti, *why = NULL;
	char		 sk[80];
	enum gh_err	 err;

	*acct = *prof = NULL;
	err = gh_auth_verify(p->conf, in_str(c, "AccessToken"), "access", &claims, &why);
	if (err == GH_ERR_EXPIRED)
		return deny(c, GH_PF_NOT_AUTHORIZED, "Access Token has expired");
	if (err == GH_ERR_TOKEN)
		return deny(c, GH_PF_NOT_AUTHORIZED, "Invalid Access Token");
	if (err != GH_OK)
		return err;
	sub = gh_json_str(claims, "sub");
	ojti = gh_json_str(claims, "origin_jti");
	if (sub == NULL || ojti == NULL || strlen(ojti) > 64 || strlen(sub) > 64) {
		err = deny(c, GH_PF_NOT_AUTHORIZED, "Invalid Access Token");
		goto out;
	}
	snprintf(sk, sizeof(sk), "session-%s", ojti);
	if ((err = get_item(c->store, "idp-user-", sub, sk, &sess)) == GH_ERR_NOTFOUND) {
		err = deny(c, GH_PF_NOT_AUTHORIZED, "Access Token has been revoked");
		goto out;
	}
	if (err != GH_OK)
		goto out;
	if ((err = get_item(c->store, "idp-user-", sub, "account", acct)) != GH_OK) {
		if (err == GH_ERR_NOTFOUND)
			err = deny(c, GH_PF_NOT_AUTHORIZED, "User does not exist.");
		goto out;
	}
	if ((err = profile_active(p, c, *acct, prof)) != GH_OK) {
		json_object_put(*acct);
		*acct = NULL;
	}
out:
	json_object_put(sess);
	json_object_put(claims);
	return err;
}

/* Profile item attribute <-> user pool attribute. */
static const char *const prof_map[][2] = {
	{ "name", "name" }, { "given_name", "given_name" },
	{ "family_name", "family_name" }, { "phone_number", "phone_number" },
	{ "gender", "gender" }, { "company", "custom:company" },
	{ "role", "custom:role" },
};
#define NPROF	(sizeof(prof_map) / sizeof(prof_map[0]))

static enum gh_err
attr_add(json_object *arr, const char *name, const char *value)
{
	json_object *e;

	if ((e = json_object_new_object()) == NULL)
		return GH_ERR_NOMEM;
	if (gh_json_add_str(e, "Name", name) != GH_OK ||
	    gh_json_add_str(e, "Value", value) != GH_OK ||
	    json_object_array_add(arr, e) != 0) {
		json_object_put(e);
		return GH_ERR_NOMEM;
	}
	return GH_OK;
}

enum gh_err
gh_pool_get_user(struct gh_pool *p, struct gh_pool_call *c)
{
	json_object	*acct = NULL, *prof = NULL, *out = NULL, *arr = NULL, *mk;
	const char	*v;
	size_t		 i;
	enum gh_err	 err;

	if ((err = require(c, "AccessToken", NULL)) != GH_OK)
		return err;
	if ((err = access_check(p, c, &acct, &prof)) != GH_OK)
		return err;
	err = GH_ERR_NOMEM;
	if ((out = json_object_new_object()) == NULL ||
	    (arr = json_object_new_array()) == NULL ||
	    gh_json_add_str(out, "Username", gh_json_str(acct, "sub")) != GH_OK)
		goto out;
	if (attr_add(arr, "sub", gh_json_str(acct, "sub")) != GH_OK ||
	    attr_add(arr, "email", gh_json_str(acct, "email")) != GH_OK ||
	    attr_add(arr, "email_verified", "true") != GH_OK)
		goto out;
	for (i = 0; i < NPROF; i++)
		if ((v = gh_json_str(prof, prof_map[i][0])) != NULL &&
		    attr_add(arr, prof_map[i][1], v) != GH_OK)
			goto out;
	if (json_object_object_get_ex(prof, "accepts_marketing", &mk) &&
	    attr_add(arr, "custom:accepts_marketing",
	    json_object_get_boolean(mk) ? "true" : "false") != GH_OK)
		goto out;
	if (json_object_object_add(out, "UserAttributes", arr) != 0)
		goto out;
	arr = NULL;
	c->out = out;
	out = NULL;
	err = GH_OK;
out:
	json_object_put(arr);
	json_object_put(out);
	json_object_put(prof);
	json_object_put(acct);
	return err;
}

enum gh_err
gh_pool_update_attributes(struct gh_pool *p, struct gh_pool_call *c)
{
	struct gh_update	 u;
	struct gh_cond		 exists = { GH_COND_EXISTS, 0 };
	json_object		*acct = NULL, *prof = NULL, *attrs = NULL, *arr = NULL;
	json_object		*set = NULL, *aset = NULL, *all = NULL, *out = NULL;
	const char		*v;
	char			 ts[32], pk[200];
	size_t			 i;
	enum gh_err		 err;

	if ((err = require(c, "AccessToken", NULL)) != GH_OK)
		return err;
	if ((err = access_check(p, c, &acct, &prof)) != GH_OK)
		return err;
	json_object_object_get_ex(c->in, "UserAttributes", &arr);
	if ((err = attrs_parse(c, arr, 1, &attrs)) != GH_OK)
		goto out;
	if ((v = gh_json_str(attrs, "email")) != NULL &&
	    strcasecmp(v, gh_json_str(acct, "email")) != 0) {
		err = deny(c, GH_PF_INVALID_PARAMETER,
		    "The e-mail address is the username here and cannot be changed.");
		goto out;
	}
	json_object_object_del(attrs, "email");
	gh_iso_time(time(NULL), ts, sizeof(ts));
	err = GH_ERR_NOMEM;
	if ((set = json_object_new_object()) == NULL ||
	    gh_json_add_str(set, "updated_at", ts) != GH_OK)
		goto out;
	for (i = 0; i < NPROF; i++)
		if ((v = gh_json_str(attrs, prof_map[i][1])) != NULL &&
		    gh_json_add_str(set, prof_map[i][0], v) != GH_OK)
			goto out;
	if ((v = gh_json_str(attrs, "custom:accepts_marketing")) != NULL &&
	    json_object_object_add(set, "accepts_marketing",
	    json_object_new_boolean(strcmp(v, "true") == 0)) != 0)
		goto out;
	/* The profile (what every backend reads), then the account's copy. */
	memset(&u, 0, sizeof(u));
	u.set = set;
	snprintf(pk, sizeof(pk), "user-%s", gh_json_str(acct, "sub"));
	if ((err = gh_store_update(c->store, GH_TABLE_MAIN, pk, "user", &u, &exists,
	    NULL)) != GH_OK)
		goto out;
	err = GH_ERR_NOMEM;
	if (!json_object_object_get_ex(acct, "attributes", &all) ||
	    json_object_deep_copy(all, &all, NULL) != 0)
		all = json_object_new_object();
	if (all == NULL)
		goto out;
	json_object_object_foreach(attrs, k, val)
		json_object_object_add(all, k, json_object_get(val));
	if ((aset = json_object_new_object()) == NULL ||
	    json_object_object_add(aset, "attributes", all) != 0)
		goto out;
	all = NULL;
	gh_json_add_str(aset, "updated_at", ts);
	if ((err = account_set(c->store, gh_json_str(acct, "sub"), aset, NULL)) != GH_OK)
		goto out;
	err = GH_ERR_NOMEM;
	if ((out = json_object_new_object()) == NULL ||
	    json_object_object_add(out, "CodeDeliveryDetailsList",
	    json_object_new_array()) != 0)
		goto out;
	c->out = out;
	out = NULL;
	err = GH_OK;
out:
	json_object_put(out);
	json_object_put(all);
	json_object_put(aset);
	json_object_put(set);
	json_object_put(attrs);
	json_object_put(prof);
	json_object_put(acct);
	return err;
}

/* Stores a new password hash and ends every sign-in of the account. */
static enum gh_err
password_set(struct gh_pool *p, struct gh_pool_call *c, json_object *acct,
    const char *pw)
{
	json_object	*set = NULL;
	char		*phc = NULL, ts[32];
	enum gh_err	 err;

	gh_iso_time(time(NULL), ts, sizeof(ts));
	if ((err = gh_password_hash(pw, &p->params, &phc)) != GH_OK)
		return err;
	err = GH_ERR_NOMEM;
	if ((set = json_object_new_object()) == NULL ||
	    gh_json_add_str(set, "password", phc) != GH_OK ||
	    gh_json_add_str(set, "updated_at", ts) != GH_OK)
		goto out;
	if ((err = account_set(c->store, gh_json_str(acct, "sub"), set, NULL)) != GH_OK)
		goto out;
	err = sessions_revoke(c->store, gh_json_str(acct, "sub"));
out:
	memset(phc, 0, strlen(phc));
	free(phc);
	json_object_put(set);
	return err;
}

enum gh_err
gh_pool_change_password(struct gh_pool *p, struct gh_pool_call *c)
{
	json_object	*acct = NULL, *prof = NULL;
	const char	*prev = in_str(c, "PreviousPassword");
	const char	*next = in_str(c, "ProposedPassword"), *email;
	int64_t		 fails = 0;
	long		 left = 0;
	enum gh_err	 err;

	if ((err = require(c, "AccessToken", "PreviousPassword", "ProposedPassword", NULL)) != GH_OK)
		return err;
	if ((err = ip_check(p, c)) != GH_OK ||
	    (err = access_check(p, c, &acct, &prof)) != GH_OK)
		return err;
	email = gh_json_str(acct, "email");
	if ((err = lock_get(c->store, email, &left, &fails)) != GH_OK)
		goto out;
	if (left > 0) {
		err = deny(c, GH_PF_NOT_AUTHORIZED, "%s", LOCKED);
		goto out;
	}
	err = gh_password_verify(prev != NULL ? prev : "", gh_json_str(acct, "password") ?
	    gh_json_str(acct, "password") : "", &p->params, NULL);
	if (err == GH_ERR_DENIED || err == GH_ERR_INVAL) {
		err = login_failed(p, c, email);
		goto out;
	}
	if (err != GH_OK)
		goto out;
	if (fails > 0 && (err = lock_clear(c->store, email)) != GH_OK)
		goto out;
	if ((err = password_policy(p, c, next, email)) != GH_OK ||
	    (err = password_set(p, c, acct, next)) != GH_OK)
		goto out;
	if ((c->out = json_object_new_object()) == NULL)
		err = GH_ERR_NOMEM;
out:
	json_object_put(prof);
	json_object_put(acct);
	return err;
}

enum gh_err
gh_pool_global_sign_out(struct gh_pool *p, struct gh_pool_call *c)
{
	json_object	*acct = NULL, *prof = NULL;
	enum gh_err	 err;

	if ((err = require(c, "AccessToken", NULL)) != GH_OK)
		return err;
	if ((err = access_check(p, c, &acct, &prof)) != GH_OK)
		return err;
	if ((err = sessions_revoke(c->store, gh_json_str(acct, "sub"))) == GH_OK &&
	    (c->out = json_object_new_object()) == NULL)
		err = GH_ERR_NOMEM;
	json_object_put(prof);
	json_object_put(acct);
	return err;
}

/* --- ForgotPassword, ConfirmForgotPassword ------------------------------------ */

enum gh_err
gh_pool_forgot_password(struct gh_pool *p, struct gh_pool_call *c)
{
	json_object	*acct = NULL;
	const char	*st;
	char		 email[320];
	enum gh_err	 err;

	if ((err = mail_target(p, c, email, sizeof(email), &acct)) != GH_OK ||
	    acct == NULL)
		return err;
	st = gh_json_str(acct, "status");
	/*
	 * Only a confirmed address gets a reset code, at most SEND_MAX an
	 * hour; the answer is the same either way (what an unknown user gets).
	 */
	if (st != NULL && strcmp(st, "CONFIRMED") == 0 &&
	    (err = code_issue(p, c, gh_json_str(acct, "sub"), email, "reset")) != GH_OK &&
	    !(err == GH_ERR_DENIED && c->fault == GH_PF_LIMIT_EXCEEDED))
		goto out;
	c->fault = GH_PF_NONE;
	err = reply_delivery(c, email);
out:
	json_object_put(acct);
	return err;
}

enum gh_err
gh_pool_confirm_forgot(struct gh_pool *p, struct gh_pool_call *c)
{
	json_object	*acct = NULL, *ev = NULL, *res = NULL, *none = NULL;
	const char	*pw = in_str(c, "Password"), *sub;
	char		 email[320], msg[256];
	int64_t		 version = 0;
	int		 known;
	enum gh_err	 err;

	if ((err = require(c, "ClientId", "Username", "ConfirmationCode", "Password", NULL)) != GH_OK)
		return err;
	if ((err = client_check(p, c)) != GH_OK ||
	    (err = ip_check(p, c)) != GH_OK)
		return err;
	/*
	 * The policy before the lookup: a weak password is refused alike for
	 * every address, or its answer would tell which accounts exist.
	 */
	known = norm_username(in_str(c, "Username"), email, sizeof(email));
	if (known && (err = password_policy(p, c, pw, email)) != GH_OK)
		return err;
	if (known && (err = account_load(c->store, email, &acct)) != GH_OK &&
	    err != GH_ERR_NOTFOUND)
		return err;
	if (acct == NULL) {
		/* Unknown: the answer of an account with no live code. */
		if ((err = ip_fail(p, c)) != GH_OK)
			return err;
		return code_absent(c);
	}
	sub = gh_json_str(acct, "sub");
	if ((err = code_check(p, c, sub, "reset", in_str(c, "ConfirmationCode"),
	    &version)) != GH_OK ||
	    (err = code_consume(c, sub, "reset", version)) != GH_OK ||
	    (err = password_set(p, c, acct, pw)) != GH_OK ||
	    (err = lock_clear(c->store, email)) != GH_OK)
		goto out;
	/* The trigger Cognito calls here (a no-op for this pool's seeds). */
	if ((none = json_object_new_object()) == NULL ||
	    (ev = event_new(p, "PostConfirmation_ConfirmForgotPassword", sub,
	    none, in_obj(c->in, "ClientMetadata"))) == NULL) {
		err = GH_ERR_NOMEM;
		goto out;
	}
	if ((err = gh_trigger_run(p->conf, c->store, ev, &res, msg,
	    sizeof(msg))) != GH_OK) {
		if (err == GH_ERR_DENIED || err == GH_ERR_INVAL)
			err = deny(c, GH_PF_LAMBDA_VALIDATION,
			    "PostConfirmation failed with error %s", msg);
		goto out;
	}
	if ((c->out = json_object_new_object()) == NULL)
		err = GH_ERR_NOMEM;
out:
	json_object_put(res);
	json_object_put(ev);
	json_object_put(none);
	json_object_put(acct);
	return err;
}

/* --- RevokeToken ------------------------------------------------------------ */

enum gh_err
gh_pool_revoke_token(struct gh_pool *p, struct gh_pool_call *c)
{
	json_object	*sess = NULL;
	char		 sub[GH_UUID_LEN], ojti[GH_UUID_LEN], hash[GH_SHA256_HEX_LEN];
	char		 sk[64], pk[200];
	const char	*tok = in_str(c, "Token"), *stored, *client;
	enum gh_err	 err;

	if ((err = require(c, "ClientId", "Token", NULL)) != GH_OK)
		return err;
	if ((err = client_check(p, c)) != GH_OK)
		return err;
	if (tok != NULL && strchr(tok, '.') != NULL)
		return deny(c, GH_PF_UNSUPPORTED_TOKEN,
		    "Only refresh tokens can be revoked.");
	if (!refresh_parse(tok, sub, ojti, hash))
		goto done;	/* not a live token of ours: nothing to revoke */
	snprintf(sk, sizeof(sk), "session-%s", ojti);
	snprintf(pk, sizeof(pk), "idp-user-%s", sub);
	err = gh_store_get(c->store, GH_TABLE_MAIN, pk, sk, &sess);
	if (err == GH_ERR_NOTFOUND)
		goto done;
	if (err != GH_OK)
		return err;
	stored = gh_json_str(sess, "refresh_hash");
	client = gh_json_str(sess, "client_id");
	if (stored != NULL && gh_ct_streq(stored, hash)) {
		if (client == NULL || strcmp(client, in_str(c, "ClientId")) != 0) {
			json_object_put(sess);
			return deny(c, GH_PF_INVALID_PARAMETER,
			    "The token was not issued to this client.");
		}
		err = gh_store_delete(c->store, GH_TABLE_MAIN, pk, sk, NULL, NULL);
		if (err != GH_OK && err != GH_ERR_NOTFOUND) {
			json_object_put(sess);
			return err;
		}
	}
	json_object_put(sess);
done:
	if ((c->out = json_object_new_object()) == NULL)
		return GH_ERR_NOMEM;
	return GH_OK;
}
