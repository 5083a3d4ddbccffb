/*
 * trigger.c: PreSignUp and PostConfirmation, the user pool's Lambda
 * triggers as C functions (see gh_trigger.h).  They read and write the
 * event JSON of AWS Cognito, so the same code runs in-process for the
 * embedded pool and as a Lambda for a real Cognito pool.
 *
 * PostConfirmation writes the User item (PK user-{sub}, SK user) and the
 * App-User item (PK user-{sub}, SK app-{application_id}) exactly as the
 * README's "Data model" fixes them, each with a "not exists" condition: a
 * retry (Cognito retries failed triggers; the embedded pool retries when a
 * confirmed account has no profile) finds them there and leaves them alone,
 * so the stored role, status and profile edits are never overwritten.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gh_http.h"
#include "gh_json.h"
#include "gh_sso.h"
#include "gh_store.h"
#include "gh_trigger.h"

static int
plain_text(const char *v, size_t max)
{
	size_t n = strlen(v), i;

	if (n == 0 || n > max || !gh_utf8_valid(v, n))
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)v[i] < 0x20 || v[i] == 0x7f)
			return 0;
	return 1;
}

int
gh_trigger_attr_ok(const char *name, const char *value, char *msg, size_t msgsz)
{
	struct gh_value	 v;
	size_t		 n;
	int		 ok;

	if (value == NULL) {
		snprintf(msg, msgsz, "%s needs a value.", name);
		return 0;
	}
	n = strlen(value);
	if (strcmp(name, "email") == 0) {
		memset(&v, 0, sizeof(v));
		v.str = value;
		v.len = n;
		ok = gh_valid_email(&v);
		free(v.buf);
		if (!ok) {
			snprintf(msg, msgsz, "Invalid email address format.");
			return 0;
		}
	} else if (strcmp(name, "phone_number") == 0) {
		if (n < 8 || n > 16 || value[0] != '+' || value[1] < '1' ||
		    value[1] > '9' || strspn(value + 1, "0123456789") != n - 1) {
			snprintf(msg, msgsz, "Invalid phone number format: use E.164, "
			    "like +14155550123.");
			return 0;
		}
	} else if (strcmp(name, "custom:role") == 0) {
		if (strcmp(value, "customer") != 0 && strcmp(value, "partner") != 0) {
			snprintf(msg, msgsz, "custom:role must be customer or partner.");
			return 0;
		}
	} else if (strcmp(name, "custom:accepts_marketing") == 0) {
		if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0) {
			snprintf(msg, msgsz, "custom:accepts_marketing must be true or false.");
			return 0;
		}
	} else if (strcmp(name, "name") == 0 || strcmp(name, "given_name") == 0 ||
	    strcmp(name, "family_name") == 0 || strcmp(name, "gender") == 0 ||
	    strcmp(name, "custom:company") == 0) {
		if (!plain_text(value, 256)) {
			snprintf(msg, msgsz, "%s must be 1 to 256 characters of text.", name);
			return 0;
		}
	}
	return 1;
}

/* A copy of event with "response" replaced by resp (taken). */
static enum gh_err
with_response(json_object *event, json_object *resp, json_object **out)
{
	json_object *o = NULL;

	if (resp == NULL || json_object_deep_copy(event, &o, NULL) != 0) {
		json_object_put(resp);
		return GH_ERR_NOMEM;
	}
	if (json_object_object_add(o, "response", resp) != 0) {
		json_object_put(resp);
		json_object_put(o);
		return GH_ERR_NOMEM;
	}
	*out = o;
	return GH_OK;
}

static enum gh_err
pre_sign_up(json_object *event, json_object *attrs, json_object **out,
    char *msg, size_t msgsz)
{
	json_object	*resp;

	json_object_object_foreach(attrs, k, v) {
		if (!json_object_is_type(v, json_type_string)) {
			snprintf(msg, msgsz, "%.64s must be a string.", k);
			return GH_ERR_DENIED;
		}
		if (!gh_trigger_attr_ok(k, json_object_get_string(v), msg, msgsz))
			return GH_ERR_DENIED;
	}
	if (gh_json_str(attrs, "email") == NULL) {
		snprintf(msg, msgsz, "email is required.");
		return GH_ERR_DENIED;
	}
	/* No custom:role: PostConfirmation makes a customer. */
	if ((resp = json_object_new_object()) == NULL)
		return GH_ERR_NOMEM;
	json_object_object_add(resp, "autoConfirmUser", json_object_new_boolean(0));
	json_object_object_add(resp, "autoVerifyEmail", json_object_new_boolean(0));
	json_object_object_add(resp, "autoVerifyPhone", json_object_new_boolean(0));
	return with_response(event, resp, out);
}

/* Adds attribute key of attrs under name to item when present. */
static enum gh_err
copy_attr(json_object *item, json_object *attrs, const char *key,
    const char *name)
{
	const char *v = gh_json_str(attrs, key);

	return v == NULL ? GH_OK : gh_json_add_str(item, name, v);
}

static enum gh_err
put_new(struct gh_store *s, json_object *item)
{
	struct gh_cond	cond = { GH_COND_NOT_EXISTS, 0 };
	enum gh_err	err;

	err = gh_store_put(s, GH_TABLE_MAIN, item, &cond);
	return err == GH_ERR_CONFLICT ? GH_OK : err;	/* there already */
}

static enum gh_err
user_item(struct gh_store *s, json_object *attrs, const char *sub,
    const char *ts)
{
	json_object	*item = NULL;
	const char	*email = gh_json_str(attrs, "email");
	const char	*role = gh_json_str(attrs, "custom:role");
	const char	*mk = gh_json_str(attrs, "custom:accepts_marketing");
	char		 pk[256], gsi[300];
	enum gh_err	 err = GH_ERR_NOMEM;

	if (role == NULL || (strcmp(role, "customer") != 0 &&
	    strcmp(role, "partner") != 0))
		role = "customer";
	if ((item = json_object_new_object()) == NULL)
		goto out;
	snprintf(pk, sizeof(pk), "user-%s", sub);
	if (gh_json_add_str(item, "PK", pk) != GH_OK ||
	    gh_json_add_str(item, "SK", "user") != GH_OK)
		goto out;
	snprintf(gsi, sizeof(gsi), "email-%s", email);
	if (gh_json_add_str(item, "GSI1PK", gsi) != GH_OK ||
	    gh_json_add_str(item, "GSI1SK", "user") != GH_OK)
		goto out;
	snprintf(gsi, sizeof(gsi), "role-%s", role);
	if (gh_json_add_str(item, "GSI2PK", gsi) != GH_OK ||
	    gh_json_add_str(item, "GSI2SK", ts) != GH_OK ||
	    gh_json_add_str(item, "GSI3PK", "users") != GH_OK ||
	    gh_json_add_str(item, "GSI3SK", ts) != GH_OK ||
	    gh_json_add_str(item, "sub", sub) != GH_OK ||
	    gh_json_add_str(item, "email", email) != GH_OK ||
	    gh_json_add_str(item, "role", role) != GH_OK ||
	    gh_json_add_str(item, "status", "active") != GH_OK ||
	    copy_attr(item, attrs, "name", "name") != GH_OK ||
	    copy_attr(item, attrs, "given_name", "given_name") != GH_OK ||
	    copy_attr(item, attrs, "family_name", "family_name") != GH_OK ||
	    copy_attr(item, attrs, "phone_number", "phone_number") != GH_OK ||
	    copy_attr(item, attrs, "gender", "gender") != GH_OK ||
	    copy_attr(item, attrs, "custom:company", "company") != GH_OK ||
	    json_object_object_add(item, "accepts_marketing",
	    json_object_new_boolean(mk != NULL && strcmp(mk, "true") == 0)) != 0 ||
	    gh_json_add_str(item, "created_at", ts) != GH_OK ||
	    gh_json_add_str(item, "updated_at", ts) != GH_OK)
		goto out;
	err = put_new(s, item);
out:
	json_object_put(item);
	return err;
}

/* The App-User item, for an existing application that is open. */
static enum gh_err
app_user_item(struct gh_store *s, const char *app, const char *sub)
{
	json_object	*appl = NULL;
	struct gh_value	 v;
	enum gh_err	 err;

	memset(&v, 0, sizeof(v));
	v.str = app;
	v.len = strlen(app);
	if (!gh_valid_id(&v))
		return GH_OK;	/* not an application id: nothing to enrol in */
	err = gh_sso_app_get(s, app, &appl);
	if (err == GH_ERR_NOTFOUND)
		return GH_OK;
	/* A closed application's enrolment is the administrator's. */
	if (err == GH_OK && gh_sso_app_open(appl))
		err = gh_sso_enrol(s, sub, app, "signup");
	json_object_put(appl);
	return err;
}

static enum gh_err
post_confirmation(struct gh_store *s, json_object *event, json_object *req,
    json_object *attrs, json_object **out, char *msg, size_t msgsz)
{
	json_object	*meta = NULL;
	const char	*sub = gh_json_str(attrs, "sub");
	const char	*email = gh_json_str(attrs, "email"), *app;
	char		 ts[32];
	enum gh_err	 err;

	if (sub == NULL || email == NULL || strlen(sub) > 128 ||
	    strlen(email) > 254) {
		snprintf(msg, msgsz, "The event has no sub or email attribute.");
		return GH_ERR_INVAL;
	}
	if (s == NULL) {
		snprintf(msg, msgsz, "The store is unavailable.");
		return GH_ERR_STORE;
	}
	gh_iso_time(time(NULL), ts, sizeof(ts));
	if ((err = user_item(s, attrs, sub, ts)) != GH_OK) {
		snprintf(msg, msgsz, "The profile could not be stored.");
		return err;
	}
	json_object_object_get_ex(req, "clientMetadata", &meta);
	if (meta != NULL && json_object_is_type(meta, json_type_object) &&
	    (app = gh_json_str(meta, "application_id")) != NULL &&
	    (err = app_user_item(s, app, sub)) != GH_OK) {
		snprintf(msg, msgsz, "The enrolment could not be stored.");
		return err;
	}
	return with_response(event, json_object_new_object(), out);
}

enum gh_err
gh_trigger_run(const struct gh_conf *conf, struct gh_store *s,
    json_object *event, json_object **out, char *msg, size_t msgsz)
{
	json_object	*req = NULL, *attrs = NULL;
	const char	*src;

	(void)conf;
	if (msgsz > 0)
		msg[0] = '\0';
	if (event == NULL || !json_object_is_type(event, json_type_object) ||
	    (src = gh_json_str(event, "triggerSource")) == NULL ||
	    !json_object_object_get_ex(event, "request", &req) ||
	    !json_object_is_type(req, json_type_object) ||
	    !json_object_object_get_ex(req, "userAttributes", &attrs) ||
	    !json_object_is_type(attrs, json_type_object)) {
		snprintf(msg, msgsz, "Not a user pool trigger event.");
		return GH_ERR_INVAL;
	}
	if (strcmp(src, "PreSignUp_SignUp") == 0 ||
	    strcmp(src, "PreSignUp_AdminCreateUser") == 0)
		return pre_sign_up(event, attrs, out, msg, msgsz);
	if (strcmp(src, "PostConfirmation_ConfirmSignUp") == 0)
		return post_confirmation(s, event, req, attrs, out, msg, msgsz);
	if (strcmp(src, "PostConfirmation_ConfirmForgotPassword") == 0)
		return with_response(event, json_object_new_object(), out);
	snprintf(msg, msgsz, "Unknown triggerSource.");
	return GH_ERR_INVAL;
}
