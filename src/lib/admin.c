/*
 * admin.c: the operations of bin/gatehouse (see gh_admin.h) on the store,
 * following the single-table layout documented in README.md ("Data model").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "gh_admin.h"
#include "gh_conf.h"
#include "gh_http.h"
#include "gh_json.h"
#include "gh_market.h"
#include "gh_store.h"

/* Provided by the DynamoDB backend when it is linked in. */
enum gh_err gh_dynamodb_create_tables(const struct gh_conf *, int)
    __attribute__((weak));

static int
valid_with(gh_validator f, const char *s)
{
	struct gh_value	v;
	int		ok;

	memset(&v, 0, sizeof(v));
	v.present = 1;
	v.str = s;
	v.len = strlen(s);
	ok = f(&v);
	free(v.buf);
	return ok;
}

int
gh_admin_demo_missing(struct gh_store *s)
{
	json_object	*o = NULL;
	enum gh_err	 err;

	err = gh_store_get(s, GH_TABLE_MAIN, "application-marketplace", "application", &o);
	json_object_put(o);
	return err == GH_ERR_NOTFOUND;
}

enum gh_err
gh_admin_app_add(struct gh_store *s, const char *id, const char *name,
    const char *const *channels, size_t n, const char *enrollment, char *msg,
    size_t msgsz)
{
	json_object	*item = NULL, *chans = NULL, *ch;
	const char	*eq;
	char		 pk[200], ts[32], chid[129];
	size_t		 i, j;
	struct gh_cond	 cond = { GH_COND_NONE, 0 };
	enum gh_err	 err = GH_ERR_NOMEM;

	if (!valid_with(gh_valid_id, id) || strlen(id) > 64) {
		snprintf(msg, msgsz, "application id must be 1-64 of [A-Za-z0-9._:-]");
		return GH_ERR_INVAL;
	}
	if (!valid_with(gh_valid_string, name)) {
		snprintf(msg, msgsz, "name must be 1-256 bytes of UTF-8");
		return GH_ERR_INVAL;
	}
	if (strcmp(enrollment, "open") != 0 && strcmp(enrollment, "closed") != 0) {
		snprintf(msg, msgsz, "enrollment must be open or closed");
		return GH_ERR_INVAL;
	}
	if ((item = json_object_new_object()) == NULL ||
	    (chans = json_object_new_array()) == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		if ((eq = strchr(channels[i], '=')) == NULL ||
		    (size_t)(eq - channels[i]) >= sizeof(chid)) {
			snprintf(msg, msgsz, "channel must be CHANNEL=RETURN_URL");
			err = GH_ERR_INVAL;
			goto out;
		}
		snprintf(chid, sizeof(chid), "%.*s", (int)(eq - channels[i]), channels[i]);
		if (!valid_with(gh_valid_id, chid) || !valid_with(gh_valid_url, eq + 1) ||
		    strchr(eq + 1, '#') != NULL) {
			snprintf(msg, msgsz, "bad channel id or return URL in \"%s\" "
			    "(an absolute http(s) URL without a fragment)", channels[i]);
			err = GH_ERR_INVAL;
			goto out;
		}
		for (j = 0; j < json_object_array_length(chans); j++)
			if (strcmp(gh_json_str(json_object_array_get_idx(chans, j),
			    "channel_id"), chid) == 0) {
				snprintf(msg, msgsz, "channel %s given twice", chid);
				err = GH_ERR_INVAL;
				goto out;
			}
		if ((ch = json_object_new_object()) == NULL ||
		    json_object_array_add(chans, ch) != 0 ||
		    gh_json_add_str(ch, "channel_id", chid) != GH_OK ||
		    gh_json_add_str(ch, "return_url", eq + 1) != GH_OK)
			goto out;
	}
	snprintf(pk, sizeof(pk), "application-%s", id);
	gh_iso_time(time(NULL), ts, sizeof(ts));
	if (gh_json_add_str(item, "PK", pk) != GH_OK ||
	    gh_json_add_str(item, "SK", "application") != GH_OK ||
	    gh_json_add_str(item, "GSI1PK", "applications") != GH_OK ||
	    gh_json_add_str(item, "GSI1SK", id) != GH_OK ||
	    gh_json_add_str(item, "application_id", id) != GH_OK ||
	    gh_json_add_str(item, "name", name) != GH_OK ||
	    gh_json_add_str(item, "enrollment", enrollment) != GH_OK ||
	    gh_json_add_str(item, "created_at", ts) != GH_OK ||
	    json_object_object_add(item, "channels", chans) != 0)
		goto out;
	chans = NULL;
	err = gh_store_put(s, GH_TABLE_MAIN, item, &cond);
	if (err != GH_OK)
		snprintf(msg, msgsz, "%s: %s", gh_strerror(err), gh_store_errmsg(s));
out:
	json_object_put(chans);
	json_object_put(item);
	return err;
}

enum gh_err
gh_admin_app_list(struct gh_store *s, FILE *out)
{
	struct gh_query	 q;
	struct gh_page	 page = { NULL, NULL };
	char		*cursor = NULL;
	size_t		 i, j;
	json_object	*app, *chans, *ch;
	enum gh_err	 err;

	memset(&q, 0, sizeof(q));
	q.table = GH_TABLE_MAIN;
	q.index = GH_INDEX_GSI1;
	q.pk = "applications";
	do {
		q.cursor = cursor;
		if ((err = gh_store_query(s, &q, &page)) != GH_OK)
			break;
		for (i = 0; i < json_object_array_length(page.items); i++) {
			app = json_object_array_get_idx(page.items, i);
			fprintf(out, "%s\t%s\tenrollment=%s\n",
			    gh_json_str(app, "application_id"), gh_json_str(app, "name"),
			    gh_json_str(app, "enrollment"));
			if (!json_object_object_get_ex(app, "channels", &chans))
				continue;
			for (j = 0; j < json_object_array_length(chans); j++) {
				ch = json_object_array_get_idx(chans, j);
				fprintf(out, "\tchannel %s -> %s\n",
				    gh_json_str(ch, "channel_id"), gh_json_str(ch, "return_url"));
			}
		}
		free(cursor);
		cursor = page.cursor;
		page.cursor = NULL;
		gh_page_free(&page);
	} while (cursor != NULL);
	free(cursor);
	return err;
}

enum gh_err
gh_admin_seed_demo(const struct gh_conf *c, struct gh_store *s)
{
	const char	*base = gh_conf_str(c, GH_CONF_PUBLIC_URL);
	char		 web[2100], msg[256];
	const char	*chan[1] = { web };
	enum gh_err	 err;

	snprintf(web, sizeof(web), "web=%s/success", base);
	if ((err = gh_admin_app_add(s, "marketplace", "Marketplace", chan, 1, "open",
	    msg, sizeof(msg))) != GH_OK)
		return err;
	snprintf(web, sizeof(web), "web=%s/support/success", base);
	if ((err = gh_admin_app_add(s, "support", "Support desk", chan, 1, "open",
	    msg, sizeof(msg))) != GH_OK)
		return err;
	return gh_market_seed_catalog(s);
}

/* Finds the profile of a user by e-mail (EmailIndex); *out owned. */
static enum gh_err
user_by_email(struct gh_store *s, const char *email, json_object **out)
{
	char pk[320];

	snprintf(pk, sizeof(pk), "email-%s", email);
	return gh_market_find_one(s, GH_INDEX_GSI1, pk, "user", 0, out);
}

enum gh_err
gh_admin_user_list(struct gh_store *s, const char *role, const char *status,
    FILE *out)
{
	struct gh_query	 q;
	struct gh_page	 page = { NULL, NULL };
	char		 pk[64], *cursor = NULL;
	const char	*st;
	json_object	*u;
	size_t		 i;
	enum gh_err	 err;

	memset(&q, 0, sizeof(q));
	q.table = GH_TABLE_MAIN;
	if (role != NULL) {
		if (strcmp(role, "customer") && strcmp(role, "partner") && strcmp(role, "admin"))
			return GH_ERR_INVAL;
		snprintf(pk, sizeof(pk), "role-%s", role);
		q.index = GH_INDEX_GSI2;
		q.pk = pk;
	} else {
		q.index = GH_INDEX_GSI3;
		q.pk = "users";
	}
	if (status != NULL && strcmp(status, "active") && strcmp(status, "suspended"))
		return GH_ERR_INVAL;
	do {
		q.cursor = cursor;
		if ((err = gh_store_query(s, &q, &page)) != GH_OK)
			break;
		for (i = 0; i < json_object_array_length(page.items); i++) {
			u = json_object_array_get_idx(page.items, i);
			st = gh_json_str(u, "status");
			if (status != NULL && (st == NULL || strcmp(st, status) != 0))
				continue;
			fprintf(out, "%s\t%s\t%s\t%s\n", gh_json_str(u, "email"),
			    gh_json_str(u, "role"), st ? st : "-", gh_json_str(u, "sub"));
		}
		free(cursor);
		cursor = page.cursor;
		page.cursor = NULL;
		gh_page_free(&page);
	} while (cursor != NULL);
	free(cursor);
	return err;
}

enum gh_err
gh_admin_user_set(struct gh_store *s, const char *email, const char *what,
    const char *value, char *msg, size_t msgsz)
{
	json_object	*user = NULL;
	char		 lower[300];
	const char	*sub;
	size_t		 i;
	int		 role = strcmp(what, "role") == 0;
	enum gh_err	 err;

	if (role) {
		if (gh_market_enum(gh_role_names, GH_ROLE__MAX, value) < 0) {
			snprintf(msg, msgsz, "role must be customer, partner or admin");
			return GH_ERR_INVAL;
		}
	} else if (strcmp(what, "status") == 0) {
		if (strcmp(value, "active") && strcmp(value, "suspended")) {
			snprintf(msg, msgsz, "status must be active or suspended");
			return GH_ERR_INVAL;
		}
	} else
		return GH_ERR_INVAL;
	for (i = 0; email[i] != '\0' && i < sizeof(lower) - 1; i++)
		lower[i] = (char)(email[i] >= 'A' && email[i] <= 'Z' ? email[i] + 32 : email[i]);
	lower[i] = '\0';
	if ((err = user_by_email(s, lower, &user)) != GH_OK) {
		if (err == GH_ERR_NOTFOUND)
			snprintf(msg, msgsz, "no user with e-mail %s", email);
		goto out;
	}
	if ((sub = gh_json_str(user, "sub")) == NULL) {
		err = GH_ERR_INTERNAL;
		goto out;
	}
	err = gh_market_user_set(s, sub, role ? value : NULL, role ? NULL : value,
	    NULL, NULL);
	if (err == GH_ERR_CONFLICT)
		snprintf(msg, msgsz, "the user changed meanwhile; try again");
out:
	json_object_put(user);
	return err;
}

enum gh_err
gh_admin_dynamodb_create(const struct gh_conf *c)
{
	if (gh_dynamodb_create_tables == NULL)
		return GH_ERR_CONFIG;
	return gh_dynamodb_create_tables(c, 1);
}
