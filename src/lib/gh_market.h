/*
 * gh_market.h: the marketplace's entities, shared by its routes
 * (src/routes/catalog.c, partner-*.c, admin-*.c, orders.c, user-profile.c)
 * and by the admin tool (admin.c).
 *
 * Keys and indexes follow README "Data model":
 *   Solution     solution-{id} / solution
 *                GSI1 partner-{partner_id} / {created_at}-{id}      (PartnerIdx)
 *                GSI2 category-{category} / {status}-{created_at}-{id} (CategoryIdx)
 *                GSI3 solutions / {status}-{created_at}-{id}        (StatusIdx)
 *   Partner application
 *                user-{sub} / partnerapp-{app_id}  (by user: base table)
 *                GSI1 partnerapp-{app_id} / partnerapp             (by id)
 *                GSI2 partnerapps-{status} / {created_at}-{app_id} (by status)
 *                GSI3 partnerapps / {created_at}-{app_id}           (all)
 *   Open-application guard
 *                user-{sub} / openapp  (put with "not exists": one open
 *                application per user, whatever the concurrency)
 *   Order (Orders table)
 *                user-{sub} / order-{order_id}, order_id = 20-digit UTC
 *                time to the microsecond + "-" + 16 hex: sorts by time.
 *
 * Money is integer minor units of one ISO-4217-shaped currency code, never a
 * float.  Ownership: functions returning json objects give the caller a new
 * reference; inputs are borrowed.  Allocation failure: GH_ERR_NOMEM.
 */
#ifndef GH_MARKET_H
#define GH_MARKET_H

#include <stddef.h>
#include <stdint.h>

#include <json-c/json.h>

#include "gh_err.h"
#include "gh_http.h"
#include "gh_store.h"

#define GH_MARKET_PRICE_MAX	99999999999LL	/* minor units, one solution */
#define GH_MARKET_AMOUNT_MAX	(1LL << 53)	/* an order's total (JSON-safe) */
#define GH_MARKET_LINES_MAX	20		/* lines of one order */
#define GH_MARKET_QUANTITY_MAX	100		/* units of one line */
#define GH_MARKET_PAGE_DEFAULT	20		/* list items without ?limit */
#define GH_MARKET_TS_LEN	32		/* ISO 8601 with milliseconds */
#define GH_MARKET_ID_LEN	33		/* 32 hex + NUL */
#define GH_MARKET_SEQ_ID_LEN	38		/* 20 digits - 16 hex + NUL */
#define GH_MARKET_DEMO_PARTNER	"demo-partner"	/* owns the demo catalog */

/* Solution life cycle (README "Marketplace API"). */
enum gh_sol_status {
	GH_SOL_DRAFT = 0,
	GH_SOL_PUBLISHED,
	GH_SOL_RETIRED,
	GH_SOL__MAX
};
extern const char *const gh_sol_status_names[GH_SOL__MAX];

/* Partner application life cycle. */
enum gh_app_status {
	GH_APP_PENDING = 0,
	GH_APP_APPROVED,
	GH_APP_REJECTED,
	GH_APP__MAX
};
extern const char *const gh_app_status_names[GH_APP__MAX];

/* Index of s in names[0..n), or -1 (s may be NULL). */
int		 gh_market_enum(const char *const *names, size_t n, const char *s);

/*
 * 1 if a solution may move from -> to: draft <-> published and
 * draft|published -> retired by its partner or an admin; retired -> draft
 * by an admin only; staying put is always allowed.
 */
int		 gh_market_sol_move(enum gh_sol_status from, enum gh_sol_status to,
		    int admin);

/* "2026-12-01T19:14:52.123Z" (UTC, milliseconds). */
void		 gh_market_now(char out[GH_MARKET_TS_LEN]);
/* 128 random bits as 32 lower-case hex characters. */
enum gh_err	 gh_market_new_id(char out[GH_MARKET_ID_LEN]);
/* An id that sorts by creation time: "20261201191452123456-<16 hex>". */
enum gh_err	 gh_market_new_seq_id(char out[GH_MARKET_SEQ_ID_LEN]);

/*
 * The public view of a stored item: a copy without the key, index, version
 * and expiry attributes; a User item also gets "user_id" (= sub).  NULL on
 * allocation failure.
 */
json_object	*gh_market_view(json_object *item);

/* Sets PK/SK/GSI1..3 of a solution or partner application from its own
 * attributes (solution_id, partner_id, category, status, created_at /
 * app_id, user_id, status, created_at).  GH_ERR_INVAL if one is missing. */
enum gh_err	 gh_market_solution_keys(json_object *sol);
enum gh_err	 gh_market_app_keys(json_object *app);

/*
 * Sets role and/or status (NULL: unchanged) of the User item user-{sub},
 * keeping GSI2PK role-{role} in step, with a version-conditioned update
 * retried a few times.  With only_if_role, the role changes only when the
 * stored role is that one (approval never demotes an admin).  *out (may be
 * NULL) gets the stored item.  GH_ERR_NOTFOUND if there is no such user,
 * GH_ERR_INVAL for an unknown role or status.
 */
enum gh_err	 gh_market_user_set(struct gh_store *s, const char *sub,
		    const char *role, const char *status, const char *only_if_role,
		    json_object **out);

/* One requested line of an order (validated by gh_market_valid_lines). */
struct gh_order_line {
	const char	*solution_id;
	int64_t		 quantity;
};

/*
 * Prices lines[0..n) from solutions (the stored Solution items, any order)
 * into *details = {amount, currency, items: [{solution_id, name, quantity,
 * price}]}.  GH_ERR_NOTFOUND: line *bad is unknown or not published;
 * GH_ERR_CONFLICT: line *bad has another currency than line 0;
 * GH_ERR_TOOLARGE: the total would pass GH_MARKET_AMOUNT_MAX.
 */
enum gh_err	 gh_market_order_price(const struct gh_order_line *lines,
		    size_t n, json_object *solutions, json_object **details,
		    size_t *bad);

/* Fills lines[0..GH_MARKET_LINES_MAX) from a validated "items" array;
 * returns the count. */
size_t		 gh_market_lines(json_object *items, struct gh_order_line *lines);

/*
 * Appends to pb the view of the item whose stored JSON text (json-c's plain
 * form) is t[0..n), copied from the text: the same bytes as serialising
 * gh_market_view of the parsed item.  0 if the item must take that object
 * path instead (a user item, a key with an escape, text of another shape);
 * pb is then unchanged.  Used by gh_market_reply_page; public for tests.
 */
struct printbuf;
int		 gh_market_view_text(struct printbuf *pb, const char *t, size_t n);

/*
 * Runs q from cursor (NULL: the start) for limit items (0: the default) and
 * replies 200 {"items": [views], "next_cursor": string|null}.  keep (may be
 * NULL) filters items (a page may then hold fewer than limit and still carry
 * a cursor).  A cursor of another query is 400 invalid_cursor.
 */
void		 gh_market_reply_page(struct gh_req *r, struct gh_query *q,
		    const char *cursor, int64_t limit,
		    int (*keep)(json_object *item, void *arg), void *arg);

/*
 * The first live item of index idx with partition pk and sort key sk
 * (an index lookup of a unique key, such as an e-mail or an application
 * id); *out owned.  With consistent, the item is then read again from the
 * base table by its PK/SK (the index may lag on DynamoDB).
 * GH_ERR_NOTFOUND if there is none.
 */
enum gh_err	 gh_market_find_one(struct gh_store *s, enum gh_index idx,
		    const char *pk, const char *sk, int consistent, json_object **out);

/* Replies status with the public view of item (borrowed), or a 500. */
void		 gh_market_reply_view(struct gh_req *r, int status, json_object *item);

/* Creates or refreshes the demo catalog: a few published solutions owned by
 * GH_MARKET_DEMO_PARTNER (which has no pool account, hence no password). */
enum gh_err	 gh_market_seed_catalog(struct gh_store *s);

/* Validators of marketplace fields (see gh_http.h for the contract). */
int	gh_market_valid_category(struct gh_value *);	/* [a-z0-9-], 1..48, slug */
int	gh_market_valid_name(struct gh_value *);	/* 1..200 bytes, no controls */
int	gh_market_valid_label(struct gh_value *);	/* 0..200 bytes, no controls */
int	gh_market_valid_details(struct gh_value *);	/* 0..4000 bytes, no controls but \n\t */
int	gh_market_valid_pricing(struct gh_value *);	/* {amount: int, currency: "XXX"} */
int	gh_market_valid_sol_status(struct gh_value *);
int	gh_market_valid_app_status(struct gh_value *);
int	gh_market_valid_decision(struct gh_value *);	/* approved | rejected */
int	gh_market_valid_role(struct gh_value *);	/* customer | partner (not admin) */
int	gh_market_valid_any_role(struct gh_value *);	/* a filter: any role */
int	gh_market_valid_user_status(struct gh_value *);	/* active | suspended */
int	gh_market_valid_phone(struct gh_value *);	/* E.164 or "" */
int	gh_market_valid_lines(struct gh_value *);	/* an order's "items" */
int	gh_market_valid_json_bool(struct gh_value *);	/* a JSON true/false */

#endif /* GH_MARKET_H */
