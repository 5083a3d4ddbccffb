/*
 * gh_admin.h: what bin/gatehouse does, as library calls (so tests and the
 * tool share one implementation).  Each function works on an open store;
 * messages for the operator go to the FILE given or into msg.
 */
#ifndef GH_ADMIN_H
#define GH_ADMIN_H

#include <stdio.h>

#include "gh_err.h"

struct gh_conf;
struct gh_store;

/* 1 if the demo application "marketplace" does not exist yet. */
int		gh_admin_demo_missing(struct gh_store *s);

/* Creates or refreshes the demo applications and catalog. */
enum gh_err	gh_admin_seed_demo(const struct gh_conf *c, struct gh_store *s);

/*
 * Registers application id with channels "CHANNEL=RETURN_URL".  GH_ERR_INVAL
 * with msg set for a bad id, channel, URL or enrollment policy.
 */
enum gh_err	gh_admin_app_add(struct gh_store *s, const char *id,
		    const char *name, const char *const *channels, size_t n,
		    const char *enrollment, char *msg, size_t msgsz);

enum gh_err	gh_admin_app_list(struct gh_store *s, FILE *out);

/* Lists user profiles, optionally only one role or status. */
enum gh_err	gh_admin_user_list(struct gh_store *s, const char *role,
		    const char *status, FILE *out);

/* Sets "role" (customer|partner|admin) or "status" (active|suspended) of
 * the user with this e-mail.  GH_ERR_NOTFOUND for an unknown e-mail. */
enum gh_err	gh_admin_user_set(struct gh_store *s, const char *email,
		    const char *what, const char *value, char *msg, size_t msgsz);

/* Creates the DynamoDB tables (store = dynamodb) and waits for them. */
enum gh_err	gh_admin_dynamodb_create(const struct gh_conf *c);

#endif /* GH_ADMIN_H */
