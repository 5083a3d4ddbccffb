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

#endif /* GH_JSON_H */
