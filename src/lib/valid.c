/*
 * valid.c: input validators shared by routes (gh_http.h).  Each is small and
 * strict: a value of the wrong JSON type, out of range, too long or of the
 * wrong shape is refused; strings are already UTF-8 validated and free of
 * NUL by the JSON parser and the query decoder.
 */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "gh_http.h"

static int
is_str(const struct gh_value *v, size_t min, size_t max)
{
	return v->str != NULL && v->len >= min && v->len <= max &&
	    strlen(v->str) == v->len;
}

int
gh_valid_string(struct gh_value *v)
{
	return is_str(v, 1, 256);
}

int
gh_valid_text(struct gh_value *v)
{
	return is_str(v, 0, 4096);
}

int
gh_valid_id(struct gh_value *v)
{
	return is_str(v, 1, 128) && strspn(v->str,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._:-") == v->len;
}

/*
 * A practical e-mail shape: local@domain, local part of printable ASCII
 * without spaces or quotes, domain of labels [a-z0-9-] with a dot.  The
 * value is lower-cased (usernames are case-insensitive).
 */
int
gh_valid_email(struct gh_value *v)
{
	const char	*at, *p, *label;
	size_t		 i;

	if (!is_str(v, 3, 254) || (at = strchr(v->str, '@')) == NULL ||
	    strchr(at + 1, '@') != NULL || at == v->str || at - v->str > 64)
		return 0;
	for (p = v->str; p < at; p++)
		if (*p <= ' ' || *p >= 0x7f || strchr("\"(),:;<>[\\]", *p) != NULL)
			return 0;
	if (v->str[0] == '.' || at[-1] == '.' || strstr(v->str, "..") != NULL)
		return 0;
	label = at + 1;
	if (strchr(label, '.') == NULL)
		return 0;
	for (p = label; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (p == label || label[0] == '-' || p[-1] == '-' || p - label > 63)
				return 0;
			if (*p == '\0')
				break;
			label = p + 1;
		} else if (!isalnum((unsigned char)*p) && *p != '-')
			return 0;
	}
	if ((v->buf = strdup(v->str)) == NULL)
		return 0;
	for (i = 0; v->buf[i] != '\0'; i++)
		v->buf[i] = (char)tolower((unsigned char)v->buf[i]);
	v->str = v->buf;
	return 1;
}

int
gh_valid_url(struct gh_value *v)
{
	const char *p;

	if (!is_str(v, 8, 2048))
		return 0;
	if (strncmp(v->str, "https://", 8) == 0)
		p = v->str + 8;
	else if (strncmp(v->str, "http://", 7) == 0)
		p = v->str + 7;
	else
		return 0;
	if (*p == '\0' || *p == '/' || *p == '?' || *p == '#')
		return 0;
	for (; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || (unsigned char)*p >= 0x7f ||
		    strchr("\"<>\\^`{|}", *p) != NULL)
			return 0;
	return 1;
}

int
gh_valid_uint(struct gh_value *v)
{
	char		*end;
	long long	 n;

	if (json_object_is_type(v->json, json_type_int)) {
		errno = 0;
		n = json_object_get_int64(v->json);
		if (errno != 0)
			return 0;
	} else if (v->str != NULL && v->len > 0 && v->len <= 16 &&
	    strspn(v->str, "0123456789") == v->len) {
		n = strtoll(v->str, &end, 10);
	} else
		return 0;
	if (n < 0 || n > (1LL << 53))
		return 0;
	v->num = n;
	return 1;
}

int
gh_valid_limit(struct gh_value *v)
{
	return gh_valid_uint(v) && v->num >= 1 && v->num <= 100;
}

int
gh_valid_bool(struct gh_value *v)
{
	if (json_object_is_type(v->json, json_type_boolean))
		v->boolean = json_object_get_boolean(v->json);
	else if (v->str != NULL && strcmp(v->str, "true") == 0)
		v->boolean = 1;
	else if (v->str != NULL && strcmp(v->str, "false") == 0)
		v->boolean = 0;
	else
		return 0;
	return 1;
}

int
gh_valid_token(struct gh_value *v)
{
	return is_str(v, 1, 8192) && strspn(v->str,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_.=+/") == v->len;
}

int
gh_valid_cursor(struct gh_value *v)
{
	return is_str(v, 1, 2048) && strspn(v->str,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_") == v->len;
}

int
gh_valid_object(struct gh_value *v)
{
	return json_object_is_type(v->json, json_type_object);
}

int
gh_valid_array(struct gh_value *v)
{
	return json_object_is_type(v->json, json_type_array);
}
