/*
 * gh_sso.h: what the four SSO backend routes share (src/routes/sso-*.c):
 * applications and their channels, App-User enrolment, and the session id
 * that hands an application its user's token set.
 *
 * Items (see README "Data model"):
 *   Application  application-{id} / application (admin tool; read here)
 *   App-User     user-{sub} / app-{application_id},
 *                GSI1 appusers-{application_id} / user-{sub}
 *   Session      session-{session_id} / app-{application_id},
 *                GSI1 user-{sub} / session-{session_id}, expires_at
 *
 * A session is the seed's Session entity keyed by its id, so redeeming it
 * is one gh_store_delete(..., &out) of a known key: atomic, no scan, and of
 * concurrent redemptions exactly one wins.  The application is part of the
 * key, so a redemption for another application addresses an item that does
 * not exist: it gets the same "not found" as an unknown, expired or spent
 * id and consumes nothing.  The token set is sealed with AES-256-GCM under
 * the key in {keys_dir}/GH_SSO_KEY_FILE, with the application id and the
 * session id as associated data, so a copy of the database holds no usable
 * token and a sealed set moved to another item does not open.
 *
 * Ownership: json objects returned in *out belong to the caller
 * (json_object_put); strings returned in char ** are malloc'd (free).
 * Borrowed pointers (gh_sso_channel_url) live as long as the object they
 * came from.  Errors as in gh_store.h, plus those named below.
 */
#ifndef GH_SSO_H
#define GH_SSO_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "gh_crypto.h"
#include "gh_err.h"

struct gh_conf;
struct gh_req;
struct gh_store;
struct gh_value;

#define GH_SSO_KEY_FILE		"session.key"	/* in keys_dir, mode 0600 */
#define GH_SSO_SESSION_ID_LEN	GH_RANDOM_ID_LEN /* 43 base64url + NUL */

/* Validator: a session id as gh_random_id makes them (43 base64url). */
int		gh_valid_session_id(struct gh_value *v);

/* The application item of id; GH_ERR_NOTFOUND if there is none. */
enum gh_err	gh_sso_app_get(struct gh_store *s, const char *id,
		    json_object **out);

/* The registered return_url of channel in app, or NULL if no such channel. */
const char	*gh_sso_channel_url(json_object *app, const char *channel);

/*
 * For a handler: loads application app_id and, if channel is not NULL, finds
 * its channel's return_url (*url, borrowed from *app).  Returns 1 with *app
 * set (owned by the caller); otherwise has replied 404 unknown_application /
 * unknown_channel (or 500) and returns 0.
 */
int		gh_sso_req_app(struct gh_req *r, const char *app_id,
		    const char *channel, json_object **app, const char **url);

/* 1 if app's enrolment policy is "open" (anything else counts as closed). */
int		gh_sso_app_open(json_object *app);

/* *enrolled = 1 if the App-User item of (sub, application id) exists. */
enum gh_err	gh_sso_enrolled(struct gh_store *s, const char *sub,
		    const char *app_id, int *enrolled);

/*
 * Writes the App-User item of (sub, application id) unless one exists
 * (conditional put): idempotent, an existing enrolment is left as it was.
 * source names the writer ("sso", "signup") in the item.
 */
enum gh_err	gh_sso_enrol(struct gh_store *s, const char *sub,
		    const char *app_id, const char *source);

/*
 * return_url with "session_id=<sid>" added to its query: "?" when it has
 * none, "&" when it has one, nothing when it ends in "?" or "&"; a fragment
 * stays last.  *out malloc'd.
 */
enum gh_err	gh_sso_redirect_url(const char *return_url, const char *sid,
		    char **out);

/*
 * The session key from {keys_dir}/GH_SSO_KEY_FILE, created at first use
 * (gh_secret_key_load), cached for the life of the process.
 */
enum gh_err	gh_sso_key(const struct gh_conf *c,
		    unsigned char key[GH_SECRET_KEY_LEN]);

/* A token set as init-session receives it and get-session hands it out. */
struct gh_sso_tokens {
	const char	*id_token;
	const char	*access_token;
	const char	*refresh_token;
	int64_t		 exp;		/* when the set expires (Unix seconds) */
};

/*
 * Stores a new session of sub for application app_id holding t (sealed),
 * living session_ttl seconds.  sid gets its id, *expires_at its expiry.
 */
enum gh_err	gh_sso_session_create(const struct gh_conf *c,
		    struct gh_store *s, const char *app_id, const char *sub,
		    const struct gh_sso_tokens *t, char sid[GH_SSO_SESSION_ID_LEN],
		    int64_t *expires_at);

/*
 * Redeems session sid for application app_id: one atomic delete-and-return.
 * GH_OK: *out gets {"id_token","access_token","refresh_token","exp"} (owned).
 * GH_ERR_NOTFOUND: unknown, expired, already redeemed, or another
 * application's; GH_ERR_CRYPTO: the item was there (and is now gone) but
 * its sealed set does not open (key replaced, or the item was tampered with);
 * GH_ERR_CONFIG: the session key cannot be loaded (nothing consumed).
 */
enum gh_err	gh_sso_session_redeem(const struct gh_conf *c,
		    struct gh_store *s, const char *app_id, const char *sid,
		    json_object **out);

#endif /* GH_SSO_H */
