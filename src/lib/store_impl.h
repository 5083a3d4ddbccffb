/*
 * store_impl.h: what a storage backend implements, and the helpers store.c
 * gives every backend so that they behave identically.  Not for routes:
 * routes use gh_store.h only.
 *
 * store.c does the checks common to all backends before calling them:
 * non-NULL arguments, key lengths (1..GH_STORE_KEY_MAX, no NUL), reserved
 * attribute types, item size, query limits, cursor decoding.  A backend
 * therefore receives only well-formed requests and must implement the exact
 * semantics documented in gh_store.h (expiry, version, atomic delete).
 */
#ifndef GH_STORE_IMPL_H
#define GH_STORE_IMPL_H

#include <stdarg.h>

#include "gh_store.h"

/* A decoded cursor: the last key examined (base key and, for an index, the
 * index key).  Strings owned by the struct; gh_cursor_clear frees them. */
struct gh_cursor {
	char	*pk, *sk;	/* base table key of the last item */
	char	*ipk, *isk;	/* index key of the last item (GSI queries) */
};

/*
 * open sets s->impl; on failure it leaves s->impl NULL (having freed what it
 * made) or in a state close can free: store.c calls close whenever s->impl
 * is not NULL.  cond is never NULL (store.c substitutes GH_COND_NONE) and a
 * delete never gets GH_COND_NOT_EXISTS.
 */
struct gh_store_backend {
	const char *name;	/* "sqlite", "dynamodb" */
	enum gh_err (*open)(struct gh_store *, const struct gh_conf *);
	void	    (*close)(struct gh_store *);
	enum gh_err (*ping)(struct gh_store *);
	enum gh_err (*get)(struct gh_store *, enum gh_table, const char *,
			const char *, json_object **);
	enum gh_err (*put)(struct gh_store *, enum gh_table, json_object *,
			const struct gh_cond *);
	enum gh_err (*update)(struct gh_store *, enum gh_table, const char *,
			const char *, const struct gh_update *,
			const struct gh_cond *, json_object **);
	enum gh_err (*del)(struct gh_store *, enum gh_table, const char *,
			const char *, const struct gh_cond *, json_object **);
	/* q->limit already clamped to 1..GH_STORE_PAGE_MAX; start is NULL or
	 * the decoded cursor, already checked to belong to q->pk. The backend
	 * fills out->items and, if more may follow, *last (the last key
	 * examined), which store.c encodes into out->cursor. */
	enum gh_err (*query)(struct gh_store *, const struct gh_query *q,
			const struct gh_cursor *start, json_object **items,
			struct gh_cursor *last, int *more);
	enum gh_err (*batch_get)(struct gh_store *, enum gh_table,
			const struct gh_key *, size_t, json_object **);
	/* Optional: the live item's stored text (json-c's plain form, without
	 * version, *text malloc'd) and its version; NULL: store.c converts. */
	enum gh_err (*get_text)(struct gh_store *, enum gh_table, const char *,
			const char *, char **text, size_t *len, int64_t *version);
	/* 1 if query honours q->text itself; else store.c converts. */
	int	    text_items;
	/* Optional (gh_store_snapshot_begin/_end): on 1 starts a read
	 * snapshot, on 0 ends it; store.c calls it with 0 before every write
	 * and never with 1 twice in a row. */
	void	    (*snapshot)(struct gh_store *, int on);
};

struct gh_store {
	const struct gh_store_backend	*be;
	void				*impl;		/* backend state */
	unsigned			 ops;		/* backend requests */
	int				 snap;		/* in a read snapshot */
	char				 errmsg[256];
};

extern const struct gh_store_backend gh_store_sqlite;
extern const struct gh_store_backend gh_store_dynamodb;

/* Sets s->errmsg (printf-style); returns err for "return gh_store_fail()". */
enum gh_err	gh_store_fail(struct gh_store *s, enum gh_err err,
		    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Current time in Unix seconds (the clock expiry is judged by). */
int64_t		gh_store_now(void);

/* 1 if item has an "expires_at" <= now. */
int		gh_store_item_expired(json_object *item, int64_t now);

void		gh_cursor_clear(struct gh_cursor *c);

/*
 * The checks gh_store_put makes on an item (object, PK/SK keys, reserved
 * attribute types, size as JSON, UTF-8), for a backend to apply to the
 * result of an update or to decoded items.  GH_ERR_INVAL with s->errmsg set
 * (s may be NULL).
 */
enum gh_err	gh_store_check_item(struct gh_store *s, json_object *item);

#endif /* GH_STORE_IMPL_H */
