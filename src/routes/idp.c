/*
 * idp.c: POST /idp and /idp/, the embedded user pool in Cognito's JSON 1.1
 * protocol: X-Amz-Target "AWSCognitoIdentityProviderService.<Operation>",
 * Content-Type application/x-amz-json-1.1, errors {"__type", "message"}
 * with x-amzn-ErrorType.  Each operation has its field table (the members
 * AWS documents for its request; unknown members are ignored, as AWS
 * does); the pool (src/lib/pool.c) does the rest.
 *
 * Statuses: 200 (the operation's result); 400 with a Cognito exception
 * (InvalidParameterException, NotAuthorizedException, CodeMismatch...,
 * UnknownOperationException for an unknown or missing target); 415/413
 * (library); 429 TooManyRequestsException (throttled address); 500
 * InternalErrorException; 503 (store unavailable).
 */
#include <stdio.h>
#include <string.h>

#include "gh_conf.h"
#include "gh_http.h"
#include "gh_json.h"
#include "gh_pool.h"

#define TARGET_PREFIX	"AWSCognitoIdentityProviderService."

static struct gh_pool	*pool;

/*
 * A password member: 1..1024 bytes of text.  The policy (at most 256
 * characters, which may be 4 bytes each) is the pool's, so that a long
 * password gets InvalidPasswordException rather than a shape error.
 */
static int
valid_password(struct gh_value *v)
{
	return v->str != NULL && v->len >= 1 && v->len <= 1024 &&
	    strlen(v->str) == v->len;
}

/* The request members of each operation (botocore's cognito-idp model). */
static const struct gh_field f_sign_up[] = {
	{ "ClientId", GH_SRC_BODY, gh_valid_string, 1 },
	{ "SecretHash", GH_SRC_BODY, gh_valid_string, 0 },
	{ "Username", GH_SRC_BODY, gh_valid_string, 1 },
	{ "Password", GH_SRC_BODY, valid_password, 1 },
	{ "UserAttributes", GH_SRC_BODY, gh_valid_array, 0 },
	{ "ValidationData", GH_SRC_BODY, gh_valid_array, 0 },
	{ "AnalyticsMetadata", GH_SRC_BODY, gh_valid_object, 0 },
	{ "UserContextData", GH_SRC_BODY, gh_valid_object, 0 },
	{ "ClientMetadata", GH_SRC_BODY, gh_valid_object, 0 },
};
static const struct gh_field f_confirm_sign_up[] = {
	{ "ClientId", GH_SRC_BODY, gh_valid_string, 1 },
	{ "SecretHash", GH_SRC_BODY, gh_valid_string, 0 },
	{ "Username", GH_SRC_BODY, gh_valid_string, 1 },
	{ "ConfirmationCode", GH_SRC_BODY, gh_valid_string, 1 },
	{ "ForceAliasCreation", GH_SRC_BODY, gh_valid_bool, 0 },
	{ "AnalyticsMetadata", GH_SRC_BODY, gh_valid_object, 0 },
	{ "UserContextData", GH_SRC_BODY, gh_valid_object, 0 },
	{ "ClientMetadata", GH_SRC_BODY, gh_valid_object, 0 },
	{ "Session", GH_SRC_BODY, gh_valid_token, 0 },
};
static const struct gh_field f_username_op[] = {	/* Resend, Forgot */
	{ "ClientId", GH_SRC_BODY, gh_valid_string, 1 },
	{ "SecretHash", GH_SRC_BODY, gh_valid_string, 0 },
	{ "UserContextData", GH_SRC_BODY, gh_valid_object, 0 },
	{ "Username", GH_SRC_BODY, gh_valid_string, 1 },
	{ "AnalyticsMetadata", GH_SRC_BODY, gh_valid_object, 0 },
	{ "ClientMetadata", GH_SRC_BODY, gh_valid_object, 0 },
};
static const struct gh_field f_initiate_auth[] = {
	{ "AuthFlow", GH_SRC_BODY, gh_valid_string, 1 },
	{ "AuthParameters", GH_SRC_BODY, gh_valid_object, 0 },
	{ "ClientMetadata", GH_SRC_BODY, gh_valid_object, 0 },
	{ "ClientId", GH_SRC_BODY, gh_valid_string, 1 },
	{ "AnalyticsMetadata", GH_SRC_BODY, gh_valid_object, 0 },
	{ "UserContextData", GH_SRC_BODY, gh_valid_object, 0 },
	{ "Session", GH_SRC_BODY, gh_valid_token, 0 },
};
static const struct gh_field f_access_token[] = {	/* GetUser, GlobalSignOut */
	{ "AccessToken", GH_SRC_BODY, gh_valid_token, 1 },
};
static const struct gh_field f_update_attributes[] = {
	{ "UserAttributes", GH_SRC_BODY, gh_valid_array, 1 },
	{ "AccessToken", GH_SRC_BODY, gh_valid_token, 1 },
	{ "ClientMetadata", GH_SRC_BODY, gh_valid_object, 0 },
};
static const struct gh_field f_change_password[] = {
	{ "PreviousPassword", GH_SRC_BODY, valid_password, 1 },
	{ "ProposedPassword", GH_SRC_BODY, valid_password, 1 },
	{ "AccessToken", GH_SRC_BODY, gh_valid_token, 1 },
};
static const struct gh_field f_confirm_forgot[] = {
	{ "ClientId", GH_SRC_BODY, gh_valid_string, 1 },
	{ "SecretHash", GH_SRC_BODY, gh_valid_string, 0 },
	{ "Username", GH_SRC_BODY, gh_valid_string, 1 },
	{ "ConfirmationCode", GH_SRC_BODY, gh_valid_string, 1 },
	{ "Password", GH_SRC_BODY, valid_password, 1 },
	{ "AnalyticsMetadata", GH_SRC_BODY, gh_valid_object, 0 },
	{ "UserContextData", GH_SRC_BODY, gh_valid_object, 0 },
	{ "ClientMetadata", GH_SRC_BODY, gh_valid_object, 0 },
};
static const struct gh_field f_revoke_token[] = {
	{ "Token", GH_SRC_BODY, gh_valid_token, 1 },
	{ "ClientId", GH_SRC_BODY, gh_valid_string, 1 },
	{ "ClientSecret", GH_SRC_BODY, gh_valid_string, 0 },
};

#define FIELDS(f)	f, sizeof(f) / sizeof(f[0])

static const struct {
	const char		*name;
	enum gh_err		(*run)(struct gh_pool *, struct gh_pool_call *);
	const struct gh_field	*fields;
	size_t			 nfields;
} ops[] = {
	{ "SignUp", gh_pool_sign_up, FIELDS(f_sign_up) },
	{ "ConfirmSignUp", gh_pool_confirm_sign_up, FIELDS(f_confirm_sign_up) },
	{ "ResendConfirmationCode", gh_pool_resend_code, FIELDS(f_username_op) },
	{ "InitiateAuth", gh_pool_initiate_auth, FIELDS(f_initiate_auth) },
	{ "GetUser", gh_pool_get_user, FIELDS(f_access_token) },
	{ "UpdateUserAttributes", gh_pool_update_attributes, FIELDS(f_update_attributes) },
	{ "ChangePassword", gh_pool_change_password, FIELDS(f_change_password) },
	{ "ForgotPassword", gh_pool_forgot_password, FIELDS(f_username_op) },
	{ "ConfirmForgotPassword", gh_pool_confirm_forgot, FIELDS(f_confirm_forgot) },
	{ "GlobalSignOut", gh_pool_global_sign_out, FIELDS(f_access_token) },
	{ "RevokeToken", gh_pool_revoke_token, FIELDS(f_revoke_token) },
};

#define MAX_FIELDS	9

/*
 * The one handler: picks the operation from X-Amz-Target, validates its
 * members, runs it.  200, 400 (Cognito exceptions), 429, 500, 503.
 */
static void
idp(struct gh_req *r)
{
	/* Freed with the request, after this frame: not on the stack. */
	static struct gh_value	 vals[MAX_FIELDS];
	struct gh_pool_call	 call;
	const char		*target = gh_req_header(r, "X_AMZ_TARGET"), *op;
	size_t			 i;
	enum gh_err		 err;

	if (target == NULL || strncmp(target, TARGET_PREFIX,
	    strlen(TARGET_PREFIX)) != 0) {
		gh_reply_err(r, 400, "UnknownOperationException",
		    "Missing or unknown X-Amz-Target: expected "
		    TARGET_PREFIX "<Operation>.");
		return;
	}
	op = target + strlen(TARGET_PREFIX);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].name, op) == 0)
			break;
	if (i == sizeof(ops) / sizeof(ops[0])) {
		gh_reply_err(r, 400, "UnknownOperationException",
		    "Operation %.64s is not supported by this user pool.", op);
		return;
	}
	gh_log_note(r, "op", ops[i].name);
	if (!gh_req_fields(r, ops[i].fields, ops[i].nfields, vals, 1))
		return;
	memset(&call, 0, sizeof(call));
	call.store = gh_req_store(r);
	call.addr = gh_req_remote_addr(r);
	call.in = gh_req_body(r);
	err = ops[i].run(pool, &call);
	if (err == GH_OK) {
		gh_reply(r, 200, call.out);
		return;
	}
	json_object_put(call.out);
	if (err == GH_ERR_DENIED) {
		gh_reply_err(r, gh_pool_fault_status(call.fault),
		    gh_pool_fault_names[call.fault], "%s", call.msg);
		return;
	}
	gh_reply_fail(r, err, ops[i].name);
}

static enum gh_err
init(const struct gh_conf *conf)
{
	return gh_pool_new(conf, &pool);
}

static const struct gh_route routes[] = {
	{ .method = GH_POST, .path = "/idp", .handler = idp,
	  .flags = GH_R_JSON | GH_R_STORE | GH_R_LENIENT },
	{ .method = GH_POST, .path = "/idp/", .handler = idp,
	  .flags = GH_R_JSON | GH_R_STORE | GH_R_LENIENT },
};

int
main(void)
{
	static const struct gh_app app = {
		.name = "idp", .routes = routes,
		.nroutes = sizeof(routes) / sizeof(routes[0]),
		.style = GH_STYLE_COGNITO, .cors = 1,
		.content_type = "application/x-amz-json-1.1",
		.init = init,
		.embedded_pool = 1,	/* off (404) with idp = cognito */
	};

	return gh_main(&app);
}
