/*
 * json.c: strict parsing and small helpers over json-c.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "gh_json.h"

int
gh_utf8_valid(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t	 i = 0, n, k;
	uint32_t cp;

	while (i < len) {
		unsigned char c = s[i];
		if (c == 0)
			return 0;
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			return 0;
		if (i + n >= len)
			return 0;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += n + 1;
	}
	return 1;
}

/* Rejects strings holding U+0000 (json-c accepts "\u0000") anywhere. */
static int
no_nul(json_object *o)
{
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_string:
		return strlen(json_object_get_string(o)) ==
		    (size_t)json_object_get_string_len(o);
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			(void)k;
			if (!no_nul(v))
				return 0;
		}
		return 1;
	}
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++)
			if (!no_nul(json_object_array_get_idx(o, i)))
				return 0;
		return 1;
	default:
		return 1;
	}
}

enum gh_err
gh_json_parse(const char *buf, size_t len, int max_depth, json_object **out,
    const char **why)
{
	json_tokener	*tok = NULL;
	json_object	*o = NULL;
	enum json_tokener_error jerr;
	size_t		 end;
	enum gh_err	 err = GH_ERR_INVAL;

	if (why != NULL)
		*why = NULL;
	if (len > INT32_MAX || max_depth < 1) {
		if (why) *why = "too large";
		return GH_ERR_INVAL;
	}
	if (!gh_utf8_valid(buf, len)) {
		if (why) *why = "not valid UTF-8";
		return GH_ERR_INVAL;
	}
	/* json-c cuts object keys at an escaped NUL ("a\u0000b" -> "a"): refuse
	 * the escape anywhere (an escaped backslash before "u0000" is refused
	 * too; no legitimate input needs it). */
	if (memmem(buf, len, "\\u0000", 6) != NULL) {
		if (why) *why = "NUL character in a string";
		return GH_ERR_INVAL;
	}
	if ((tok = json_tokener_new_ex(max_depth)) == NULL)
		return GH_ERR_NOMEM;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT | JSON_TOKENER_VALIDATE_UTF8);
	o = json_tokener_parse_ex(tok, buf, (int)len);
	jerr = json_tokener_get_error(tok);
	if (jerr != json_tokener_success) {
		if (why)
			*why = jerr == json_tokener_error_depth ? "nested too deeply" :
			    jerr == json_tokener_continue ? "truncated" : "syntax error";
		goto out;
	}
	end = json_tokener_get_parse_end(tok);
	while (end < len && strchr(" \t\r\n", buf[end]) != NULL)
		end++;
	if (end != len) {
		if (why) *why = "trailing data";
		goto out;
	}
	if (!no_nul(o)) {
		if (why) *why = "NUL character in a string";
		goto out;
	}
	*out = o;
	o = NULL;
	err = GH_OK;
out:
	json_object_put(o);
	json_tokener_free(tok);
	return err;
}

const char *
gh_json_escape_static(const char *s)
{
	static char	buf[260];
	size_t		o = 0;

	for (; s != NULL && *s != '\0' && o < sizeof(buf) - 8; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = (char)c;
		} else if (c < 0x20) {
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "\\u%04x", c);
		} else
			buf[o++] = (char)c;
	}
	buf[o] = '\0';
	return buf;
}

const char *
gh_json_str(json_object *o, const char *key)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

int
gh_json_int(json_object *o, const char *key, int64_t *out)
{
	json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) ||
	    !json_object_is_type(v, json_type_int))
		return 0;
	*out = json_object_get_int64(v);
	return 1;
}

enum gh_err
gh_json_add_str(json_object *o, const char *key, const char *v)
{
	json_object *s = json_object_new_string(v);

	if (s == NULL)
		return GH_ERR_NOMEM;
	if (json_object_object_add(o, key, s) != 0) {
		json_object_put(s);
		return GH_ERR_NOMEM;
	}
	return GH_OK;
}

enum gh_err
gh_json_add_int(json_object *o, const char *key, int64_t v)
{
	json_object *n = json_object_new_int64(v);

	if (n == NULL)
		return GH_ERR_NOMEM;
	if (json_object_object_add(o, key, n) != 0) {
		json_object_put(n);
		return GH_ERR_NOMEM;
	}
	return GH_OK;
}

void
gh_iso_time(time_t t, char *buf, size_t size)
{
	struct tm	 tm;

	gmtime_r(&t, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
