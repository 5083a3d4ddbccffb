/*
 * gh_pool.h: the embedded Cognito-compatible user pool, as a library.
 *
 * src/routes/idp.c speaks the wire protocol (POST /idp, X-Amz-Target,
 * field tables); everything a user pool decides lives here: accounts,
 * passwords, codes, throttling, tokens, and the calls to the triggers of
 * gh_trigger.h.  Each operation takes the request body of the Cognito
 * operation of the same name (already shape-checked by the route) and
 * gives back its response body, so the shapes are AWS's.
 *
 * Items (GH_TABLE_MAIN), all private to this module, keys prefixed "idp-":
 *   idp-user-{sub} / account       the account: email, password (PHC
 *                                  argon2id), status UNCONFIRMED|CONFIRMED,
 *                                  attributes, created_at
 *   idp-email-{email} / email      the username lookup: sub.  Written with
 *                                  "not exists", so of two simultaneous
 *                                  sign-ups with one e-mail exactly one wins
 *   idp-user-{sub} / code-{signup|reset}
 *                                  a code: HMAC hash, tries, expires_at.  A
 *                                  resend replaces it; use deletes it
 *   idp-user-{sub} / session-{origin_jti}
 *                                  a sign-in: the refresh token's hash,
 *                                  client, auth_time, expires_at.  Access
 *                                  and id tokens carry origin_jti; deleting
 *                                  the session (RevokeToken, GlobalSignOut,
 *                                  password change or reset) revokes its
 *                                  refresh token and its access tokens
 *   idp-fail-{sha256 hex of the lower-cased username} / fail
 *                                  failed sign-ins of one username (known
 *                                  or not: the lock looks the same), the
 *                                  lock's end in ms, expires_at
 *   idp-ip-{address} / w-{start}   failed attempts of one client address in
 *                                  one throttle window, expires_at
 * The profile (the User item, PK user-{sub}) is written by the
 * PostConfirmation trigger and read here for the stored role and status.
 *
 * Ownership: struct gh_pool (gh_pool_new / gh_pool_free, NULL ok) borrows
 * the configuration and owns keys, password list and code key; one per
 * process, not thread-safe.  A struct gh_pool_call is the caller's; "in" is
 * borrowed, "out" (set on GH_OK) belongs to the caller.
 *
 * Errors: GH_OK (call.out set); GH_ERR_DENIED: the operation is refused
 * for a reason the client is told (call.fault, call.msg); anything else is
 * a failure of the server (store, crypto, memory: answer 500/503).
 */
#ifndef GH_POOL_H
#define GH_POOL_H

#include <stddef.h>

#include <json-c/json.h>

#include "gh_err.h"
#include "gh_password.h"

struct gh_conf;
struct gh_store;
struct gh_pool;

/* What a refused operation tells the client: Cognito's exception names. */
enum gh_pool_fault {
	GH_PF_NONE = 0,
	GH_PF_INVALID_PARAMETER,	/* InvalidParameterException */
	GH_PF_INVALID_PASSWORD,		/* InvalidPasswordException */
	GH_PF_USERNAME_EXISTS,		/* UsernameExistsException */
	GH_PF_NOT_AUTHORIZED,		/* NotAuthorizedException */
	GH_PF_USER_NOT_CONFIRMED,	/* UserNotConfirmedException */
	GH_PF_CODE_MISMATCH,		/* CodeMismatchException */
	GH_PF_EXPIRED_CODE,		/* ExpiredCodeException */
	GH_PF_LIMIT_EXCEEDED,		/* LimitExceededException */
	GH_PF_TOO_MANY_REQUESTS,	/* TooManyRequestsException (429) */
	GH_PF_RESOURCE_NOT_FOUND,	/* ResourceNotFoundException (client) */
	GH_PF_LAMBDA_VALIDATION,	/* UserLambdaValidationException */
	GH_PF_CODE_DELIVERY,		/* CodeDeliveryFailureException */
	GH_PF_UNSUPPORTED_TOKEN,	/* UnsupportedTokenTypeException */
	GH_PF__MAX
};

extern const char *const gh_pool_fault_names[GH_PF__MAX];

/* The HTTP status of a fault: 429 for TooManyRequests, else 400. */
int		 gh_pool_fault_status(enum gh_pool_fault f);

struct gh_pool_call {
	struct gh_store		*store;		/* open */
	const char		*addr;		/* client address ("" if unknown) */
	json_object		*in;		/* request body */
	json_object		*out;		/* response body, on GH_OK */
	enum gh_pool_fault	 fault;		/* on GH_ERR_DENIED */
	char			 msg[256];	/* on GH_ERR_DENIED */
};

/* Makes the pool of conf: loads (or creates) the signing keys and the code
 * key, and the common-password list. */
enum gh_err	 gh_pool_new(const struct gh_conf *conf, struct gh_pool **out);
void		 gh_pool_free(struct gh_pool *p);

/* Password hashing cost (NULL: gh_pw_default); tests lower it. */
void		 gh_pool_set_pw_params(struct gh_pool *p,
		    const struct gh_pw_params *params);

/* The operations, one per Cognito action of the same name. */
enum gh_err	 gh_pool_sign_up(struct gh_pool *, struct gh_pool_call *);
enum gh_err	 gh_pool_confirm_sign_up(struct gh_pool *, struct gh_pool_call *);
enum gh_err	 gh_pool_resend_code(struct gh_pool *, struct gh_pool_call *);
enum gh_err	 gh_pool_initiate_auth(struct gh_pool *, struct gh_pool_call *);
enum gh_err	 gh_pool_get_user(struct gh_pool *, struct gh_pool_call *);
enum gh_err	 gh_pool_update_attributes(struct gh_pool *, struct gh_pool_call *);
enum gh_err	 gh_pool_change_password(struct gh_pool *, struct gh_pool_call *);
enum gh_err	 gh_pool_forgot_password(struct gh_pool *, struct gh_pool_call *);
enum gh_err	 gh_pool_confirm_forgot(struct gh_pool *, struct gh_pool_call *);
enum gh_err	 gh_pool_global_sign_out(struct gh_pool *, struct gh_pool_call *);
enum gh_err	 gh_pool_revoke_token(struct gh_pool *, struct gh_pool_call *);

/* "u***@e***.com": how Cognito shows where a code went. */
void		 gh_pool_mask_email(const char *email, char *buf, size_t size);

/* The lock after n consecutive failures, in seconds (0: none): Cognito's
 * pattern, 1 s after the 5th, doubling, at most 900 s. */
long		 gh_pool_lock_seconds(long n);

#endif /* GH_POOL_H */
