/*
 * gh_json.h: strict JSON in, and the small json-c helpers routes share.
 */
#ifndef GH_JSON_H
#define GH_JSON_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <json-c/json.h>

#include "gh_err.h"

/*
 * Parses exactly buf[0..len) as one JSON value: strict RFC 8259 syntax,
 * UTF-8 validated, nesting at most max_depth, nothing after the value but
 * whitespace.  *out owned by the caller.  On failure GH_ERR_INVAL and *why
 * (if not NULL) a static description.
 */
enum gh_err	 gh_json_parse(const char *buf, size_t len, int max_depth,
		    json_object **out, const char **why);

/* 1 if s[0..len) is well-formed UTF-8 without NUL or overlong forms. */
int		 gh_utf8_valid(const char *s, size_t len);

/* Appends s as a JSON string (quoted; '"', '\\' and control bytes escaped,
 * other bytes as they are) to pb. */
struct printbuf;
void		 gh_json_append_str(struct printbuf *pb, const char *s);

/* s escaped for inclusion inside a JSON string, in a static buffer
 * (truncated to 256 bytes); for log lines only. */
const char	*gh_json_escape_static(const char *s);

/* Member accessors: NULL/0 when absent or of another type. */
const char	*gh_json_str(json_object *o, const char *key);
int		 gh_json_int(json_object *o, const char *key, int64_t *out);

/* t as ISO 8601 UTC to the second ("2026-12-01T19:08:45Z"), the form of
 * every stored created_at/updated_at; size >= GH_ISO_TIME_LEN. */
#define GH_ISO_TIME_LEN	21
void		 gh_iso_time(time_t t, char *buf, size_t size);

/* Adds key -> string (copied); returns GH_ERR_NOMEM on failure. */
enum gh_err	 gh_json_add_str(json_object *o, const char *key, const char *v);
enum gh_err	 gh_json_add_int(json_object *o, const char *key, int64_t v);

/*
 * Compact JSON text as json-c writes it in its plain form (the store's
 * items), read without parsing.  A text is refused (-1: the caller then
 * parses) if it is not an object json-c would write the same way after a
 * parse: whitespace, an escape or number it writes differently, a key with
 * an escape or named twice, bad or too deep nesting.  Value text copied as
 * it is equals json-c's serialisation of the parsed value.
 */
#define GH_JSON_TEXT_MEMBERS_MAX	64
/* One member of such a text: key (without quotes), value text. */
struct gh_json_member {
	const char	*key;
	size_t		 klen;
	const char	*val;
	size_t		 vlen;
};
/*
 * All the members of the object t[0..n) in one pass, into m[0..max): their
 * count, or -1 for a refused text or more than max members.  m points into
 * t.  The list replies' text path (gh_market_view_text).
 */
int		 gh_json_text_members(const char *t, size_t n,
		    struct gh_json_member *m, size_t max);
/* The top-level string member key of t[0..n) into buf: 1 found, 0 absent,
 * -1 if not a plain string (an escape, too long, another type), named twice
 * or the text is refused (more than GH_JSON_TEXT_MEMBERS_MAX members
 * included). */
int		 gh_json_text_str(const char *t, size_t n, const char *key,
		    char *buf, size_t size);
/* The same for nkeys keys in one pass: bufs[i] (size bytes each) and
 * found[i] (1 found, 0 absent); 0, or -1 as gh_json_text_str for any key. */
int		 gh_json_text_strs(const char *t, size_t n,
		    const char *const *keys, char *const *bufs, size_t size,
		    int *found, size_t nkeys);

#endif /* GH_JSON_H */
