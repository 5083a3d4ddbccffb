/*
 * sso.c: the SSO backend's shared logic (see gh_sso.h): application and
 * channel lookup, App-User enrolment, the redirect URL, the session key, and
 * the session item's creation and single-use redemption.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "gh_conf.h"
#include "gh_crypto.h"
#include "gh_http.h"
#include "gh_json.h"
#include "gh_sso.h"
#include "gh_store.h"

#define KEYBUF	300	/* "kind-" + an id of at most 128 bytes, twice */

int
gh_valid_session_id(struct gh_value *v)
{
	return v->str != NULL && v->len == GH_SSO_SESSION_ID_LEN - 1 &&
	    strspn(v->str, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-_") == v->len;
}

enum gh_err
gh_sso_app_get(struct gh_store *s, const char *id, json_object **out)
{
	char	 pk[KEYBUF];

	if (snprintf(pk, sizeof(pk), "application-%s", id) >= (int)sizeof(pk))
		return GH_ERR_NOTFOUND;
	return gh_store_get(s, GH_TABLE_MAIN, pk, "application", out);
}

const char *
gh_sso_channel_url(json_object *app, const char *channel)
{
	json_object	*chans, *ch;
	const char	*id, *url;
	size_t		 i;

	if (!json_object_object_get_ex(app, "channels", &chans) ||
	    !json_object_is_type(chans, json_type_array))
		return NULL;
	for (i = 0; i < json_object_array_length(chans); i++) {
		ch = json_object_array_get_idx(chans, i);
		id = gh_json_str(ch, "channel_id");
		url = gh_json_str(ch, "return_url");
		if (id != NULL && url != NULL && strcmp(id, channel) == 0)
			return url;
	}
	return NULL;
}

int
gh_sso_req_app(struct gh_req *r, const char *app_id, const char *channel,
    json_object **app, const char **url)
{
	json_object	*o = NULL;
	const char	*u = NULL;
	enum gh_err	 err;

	err = gh_sso_app_get(gh_req_store(r), app_id, &o);
	if (err == GH_ERR_NOTFOUND) {
		gh_reply_err(r, 404, "unknown_application",
		    "No application is registered with this id.");
		return 0;
	} else if (err != GH_OK) {
		gh_reply_fail(r, err, "application lookup");
		return 0;
	}
	if (channel != NULL && (u = gh_sso_channel_url(o, channel)) == NULL) {
		json_object_put(o);
		gh_reply_err(r, 404, "unknown_channel",
		    "The application has no channel with this id.");
		return 0;
	}
	*app = o;
	if (url != NULL)
		*url = u;
	return 1;
}

int
gh_sso_app_open(json_object *app)
{
	const char	*e = gh_json_str(app, "enrollment");

	return e != NULL && strcmp(e, "open") == 0;
}

static int
appuser_key(char *pk, char *sk, const char *sub, const char *app_id)
{
	return snprintf(pk, KEYBUF, "user-%s", sub) < KEYBUF &&
	    snprintf(sk, KEYBUF, "app-%s", app_id) < KEYBUF;
}

enum gh_err
gh_sso_enrolled(struct gh_store *s, const char *sub, const char *app_id,
    int *enrolled)
{
	char		 pk[KEYBUF], sk[KEYBUF];
	json_object	*o = NULL;
	enum gh_err	 err;

	if (!appuser_key(pk, sk, sub, app_id))
		return GH_ERR_INVAL;
	err = gh_store_get(s, GH_TABLE_MAIN, pk, sk, &o);
	json_object_put(o);
	if (err == GH_OK || err == GH_ERR_NOTFOUND) {
		*enrolled = err == GH_OK;
		err = GH_OK;
	}
	return err;
}

enum gh_err
gh_sso_enrol(struct gh_store *s, const char *sub, const char *app_id,
    const char *source)
{
	char		 pk[KEYBUF], sk[KEYBUF], gpk[KEYBUF], ts[32];
	json_object	*item = NULL;
	struct gh_cond	 cond = { GH_COND_NOT_EXISTS, 0 };
	enum gh_err	 err = GH_ERR_NOMEM;

	if (!appuser_key(pk, sk, sub, app_id) ||
	    snprintf(gpk, sizeof(gpk), "appusers-%s", app_id) >= (int)sizeof(gpk))
		return GH_ERR_INVAL;
	gh_iso_time(time(NULL), ts, sizeof(ts));
	if ((item = json_object_new_object()) == NULL ||
	    gh_json_add_str(item, "PK", pk) != GH_OK ||
	    gh_json_add_str(item, "SK", sk) != GH_OK ||
	    gh_json_add_str(item, "GSI1PK", gpk) != GH_OK ||
	    gh_json_add_str(item, "GSI1SK", pk) != GH_OK ||
	    gh_json_add_str(item, "application_id", app_id) != GH_OK ||
	    gh_json_add_str(item, "user_id", sub) != GH_OK ||
	    gh_json_add_str(item, "source", source) != GH_OK ||
	    gh_json_add_str(item, "created_at", ts) != GH_OK)
		goto out;
	err = gh_store_put(s, GH_TABLE_MAIN, item, &cond);
	if (err == GH_ERR_CONFLICT)
		err = GH_OK;	/* enrolled already (or by a concurrent call) */
out:
	json_object_put(item);
	return err;
}

enum gh_err
gh_sso_redirect_url(const char *return_url, const char *sid, char **out)
{
	const char	*frag, *sep;
	size_t		 base, n;
	char		*u;

	frag = strchr(return_url, '#');
	base = frag != NULL ? (size_t)(frag - return_url) : strlen(return_url);
	if (memchr(return_url, '?', base) == NULL)
		sep = "?";
	else if (return_url[base - 1] == '?' || return_url[base - 1] == '&')
		sep = "";
	else
		sep = "&";
	n = strlen(return_url) + strlen(sep) + strlen("session_id=") +
	    strlen(sid) + 1;
	if ((u = malloc(n)) == NULL)
		return GH_ERR_NOMEM;
	snprintf(u, n, "%.*s%ssession_id=%s%s", (int)base, return_url, sep, sid,
	    frag != NULL ? frag : "");
	*out = u;
	return GH_OK;
}

enum gh_err
gh_sso_key(const struct gh_conf *c, unsigned char key[GH_SECRET_KEY_LEN])
{
	static unsigned char	 cached[GH_SECRET_KEY_LEN];
	static int		 loaded;
	char			 path[4096];
	enum gh_err		 err;

	if (!loaded) {
		if (snprintf(path, sizeof(path), "%s/%s",
		    gh_conf_str(c, GH_CONF_KEYS_DIR), GH_SSO_KEY_FILE) >=
		    (int)sizeof(path))
			return GH_ERR_CONFIG;
		if ((err = gh_secret_key_load(path, cached)) != GH_OK)
			return err;
		loaded = 1;
	}
	memcpy(key, cached, GH_SECRET_KEY_LEN);
	return GH_OK;
}

/* The associated data binding a sealed set to its application and id. */
static int
session_ad(char *buf, size_t size, const char *app_id, const char *sid)
{
	return snprintf(buf, size, "gatehouse-sso-session\n%s\n%s", app_id,
	    sid) < (int)size;
}

static int
session_key(char *pk, char *sk, const char *app_id, const char *sid)
{
	return snprintf(pk, KEYBUF, "session-%s", sid) < KEYBUF &&
	    snprintf(sk, KEYBUF, "app-%s", app_id) < KEYBUF;
}

enum gh_err
gh_sso_session_create(const struct gh_conf *c, struct gh_store *s,
    const char *app_id, const char *sub, const struct gh_sso_tokens *t,
    char sid[GH_SSO_SESSION_ID_LEN], int64_t *expires_at)
{
	unsigned char	 key[GH_SECRET_KEY_LEN];
	char		 id[GH_SSO_SESSION_ID_LEN], pk[KEYBUF], sk[KEYBUF];
	char		 upk[KEYBUF], usk[KEYBUF], ad[KEYBUF], ts[32];
	char		*sealed = NULL;
	const char	*pt;
	json_object	*set = NULL, *item = NULL;
	struct gh_cond	 cond = { GH_COND_NOT_EXISTS, 0 };
	time_t		 now = time(NULL);
	int64_t		 exp = (int64_t)now + gh_conf_int(c, GH_CONF_SESSION_TTL);
	enum gh_err	 err;

	if ((err = gh_sso_key(c, key)) != GH_OK ||
	    (err = gh_random_id(id)) != GH_OK)
		goto out;
	err = GH_ERR_INVAL;
	if (!session_key(pk, sk, app_id, id) || !session_ad(ad, sizeof(ad), app_id, id) ||
	    snprintf(upk, sizeof(upk), "user-%s", sub) >= (int)sizeof(upk) ||
	    snprintf(usk, sizeof(usk), "session-%s", id) >= (int)sizeof(usk))
		goto out;
	err = GH_ERR_NOMEM;
	if ((set = json_object_new_object()) == NULL ||
	    gh_json_add_str(set, "id_token", t->id_token) != GH_OK ||
	    gh_json_add_str(set, "access_token", t->access_token) != GH_OK ||
	    gh_json_add_str(set, "refresh_token", t->refresh_token) != GH_OK ||
	    gh_json_add_int(set, "exp", t->exp) != GH_OK ||
	    (pt = json_object_to_json_string_ext(set, JSON_C_TO_STRING_PLAIN)) == NULL)
		goto out;
	if ((err = gh_aead_seal(key, pt, strlen(pt), ad, strlen(ad), &sealed)) != GH_OK)
		goto out;
	gh_iso_time(now, ts, sizeof(ts));
	err = GH_ERR_NOMEM;
	if ((item = json_object_new_object()) == NULL ||
	    gh_json_add_str(item, "PK", pk) != GH_OK ||
	    gh_json_add_str(item, "SK", sk) != GH_OK ||
	    gh_json_add_str(item, "GSI1PK", upk) != GH_OK ||
	    gh_json_add_str(item, "GSI1SK", usk) != GH_OK ||
	    gh_json_add_str(item, "session_id", id) != GH_OK ||
	    gh_json_add_str(item, "application_id", app_id) != GH_OK ||
	    gh_json_add_str(item, "user_id", sub) != GH_OK ||
	    gh_json_add_str(item, "token_set", sealed) != GH_OK ||
	    gh_json_add_int(item, "expires_at", exp) != GH_OK ||
	    gh_json_add_str(item, "created_at", ts) != GH_OK)
		goto out;
	if ((err = gh_store_put(s, GH_TABLE_MAIN, item, &cond)) != GH_OK)
		goto out;
	memcpy(sid, id, sizeof(id));
	*expires_at = exp;
out:
	OPENSSL_cleanse(key, sizeof(key));
	json_object_put(item);
	json_object_put(set);
	free(sealed);
	return err;
}

enum gh_err
gh_sso_session_redeem(const struct gh_conf *c, struct gh_store *s,
    const char *app_id, const char *sid, json_object **out)
{
	unsigned char	 key[GH_SECRET_KEY_LEN], *pt = NULL;
	char		 pk[KEYBUF], sk[KEYBUF], ad[KEYBUF];
	const char	*sealed, *why;
	size_t		 ptlen = 0;
	json_object	*item = NULL, *set = NULL;
	enum gh_err	 err;

	if (!session_key(pk, sk, app_id, sid) || !session_ad(ad, sizeof(ad), app_id, sid))
		return GH_ERR_NOTFOUND;
	/* The key first: a server that cannot open sets must not consume them. */
	if (gh_sso_key(c, key) != GH_OK) {
		err = GH_ERR_CONFIG;
		goto out;
	}
	/* The redemption itself: whoever deletes the item owns the set. */
	if ((err = gh_store_delete(s, GH_TABLE_MAIN, pk, sk, NULL, &item)) != GH_OK)
		goto out;
	err = GH_ERR_CRYPTO;
	if ((sealed = gh_json_str(item, "token_set")) == NULL)
		goto out;
	if ((err = gh_aead_open(key, sealed, ad, strlen(ad), &pt, &ptlen)) != GH_OK) {
		err = GH_ERR_CRYPTO;
		goto out;
	}
	if (gh_json_parse((const char *)pt, ptlen, 4, &set, &why) != GH_OK ||
	    !json_object_is_type(set, json_type_object) ||
	    gh_json_str(set, "id_token") == NULL ||
	    gh_json_str(set, "access_token") == NULL ||
	    gh_json_str(set, "refresh_token") == NULL) {
		err = GH_ERR_CRYPTO;
		goto out;
	}
	*out = set;
	set = NULL;
	err = GH_OK;
out:
	OPENSSL_cleanse(key, sizeof(key));
	if (pt != NULL) {
		OPENSSL_cleanse(pt, ptlen);
		free(pt);
	}
	json_object_put(set);
	json_object_put(item);
	return err;
}
