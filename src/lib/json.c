/*
 * json.c: strict parsing and small helpers over json-c.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

void
gh_json_append_str(struct printbuf *pb, const char *s)
{
	const char	*run = s;
	char		 esc[8];
	unsigned char	 c;

	printbuf_memappend(pb, "\"", 1);
	for (; *s != '\0'; s++) {
		c = (unsigned char)*s;
		if (c != '"' && c != '\\' && c >= 0x20)
			continue;
		printbuf_memappend(pb, run, (int)(s - run));
		if (c == '"' || c == '\\') {
			esc[0] = '\\';
			esc[1] = (char)c;
			printbuf_memappend(pb, esc, 2);
		} else {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			printbuf_memappend(pb, esc, 6);
		}
		run = s + 1;
	}
	printbuf_memappend(pb, run, (int)(s - run));
	printbuf_memappend(pb, "\"", 1);
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

/* Two decimal digits of v (0..99) at p. */
static void
two_digits(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
}

void
gh_iso_time(time_t t, char *buf, size_t size)
{
	struct tm	 tm;
	int		 y;

	if (size == 0)
		return;
	buf[0] = '\0';
	if (gmtime_r(&t, &tm) == NULL)
		return;
	y = tm.tm_year + 1900;
	if (y < 1000 || y > 9999 || size < GH_ISO_TIME_LEN) {
		/* strftime's own digits (years not of four) or "does not fit" */
		if (strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
			buf[0] = '\0';
		return;
	}
	/* Written by hand: strftime costs ~1 k instructions a call. */
	two_digits(buf, y / 100);
	two_digits(buf + 2, y % 100);
	buf[4] = '-';
	two_digits(buf + 5, tm.tm_mon + 1);
	buf[7] = '-';
	two_digits(buf + 8, tm.tm_mday);
	buf[10] = 'T';
	two_digits(buf + 11, tm.tm_hour);
	buf[13] = ':';
	two_digits(buf + 14, tm.tm_min);
	buf[16] = ':';
	two_digits(buf + 17, tm.tm_sec);
	buf[19] = 'Z';
	buf[20] = '\0';
}

/* ---- compact JSON text as json-c writes it --------------------------- */

/*
 * 1 if the escape at e[0..n) ('\\' first) is one json-c writes: its short
 * forms (but "\/", which NOSLASHESCAPE never writes) or \u00xx in lower
 * case for another control character.  Any other escape would be written
 * differently after a parse.
 */
static int
json_c_escape(const char *e, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	int		  c;

	if (n < 2)
		return 0;
	if (e[1] != '\0' && strchr("\"\\bfnrt", e[1]) != NULL)
		return 1;
	if (e[1] != 'u' || n < 6 || e[2] != '0' || e[3] != '0' ||
	    (e[4] != '0' && e[4] != '1') || e[5] == '\0' ||
	    strchr(hex, e[5]) == NULL)
		return 0;
	c = (e[4] - '0') * 16 + (int)(strchr(hex, e[5]) - hex);
	return c != '\b' && c != '\f' && c != '\n' && c != '\r' && c != '\t';
}

/*
 * 1 if the number text s[0..n) comes back the same from json-c: a double
 * (json-c keeps its text) or an integer in its canonical form that fits.
 */
static int
json_c_number(const char *s, size_t n)
{
	size_t	 i = s[0] == '-';

	if (memchr(s, '.', n) != NULL || memchr(s, 'e', n) != NULL ||
	    memchr(s, 'E', n) != NULL)
		return 1;
	if (i >= n || n - i > 18 || strspn(s + i, "0123456789") < n - i)
		return 0;
	if (s[i] == '0')
		return n - i == 1 && i == 0;	/* "0", not "-0" or "01" */
	return 1;
}

/*
 * The end of the run of string bytes from t[i] that need no look: not '"',
 * not '\\', not a control byte.  Eight bytes at a time (the "has a byte
 * less than" word tests), then byte by byte.
 */
static size_t
plain_run(const char *t, size_t i, size_t n)
{
	const uint64_t	 ones = 0x0101010101010101ULL, high = ones * 0x80;
	uint64_t	 w, q, b, m;

#if defined(__SSE2__) && defined(__GNUC__)
	/* Sixteen bytes at a time: x <= 0x1f iff min(x, 0x1f) == x. */
	const __m128i	 dq = _mm_set1_epi8('"'), bs = _mm_set1_epi8('\\'),
			 ctl = _mm_set1_epi8(0x1f);
	__m128i		 x;
	unsigned	 mm;

	while (n - i >= 16) {
		x = _mm_loadu_si128((const __m128i *)(const void *)(t + i));
		mm = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(x, dq), _mm_cmpeq_epi8(x, bs)),
		    _mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x)));
		if (mm != 0)
			return i + (size_t)__builtin_ctz(mm);
		i += 16;
	}
#endif
	while (n - i >= 8) {
		memcpy(&w, t + i, 8);
		q = w ^ (ones * '"');
		b = w ^ (ones * '\\');
		m = (((q - ones) & ~q) | ((b - ones) & ~b) |
		    ((w - ones * 0x20) & ~w)) & high;
		if (m != 0) {
#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			/*
			 * The lowest flagged byte is exact (a borrow only
			 * runs upwards, so only bytes above the first hit
			 * can be flagged falsely): it is the stop byte.
			 */
			return i + (size_t)(__builtin_ctzll(m) >> 3);
#else
			break;
#endif
		}
		i += 8;
	}
	while (i < n && (unsigned char)t[i] >= 0x20 && t[i] != '"' &&
	    t[i] != '\\')
		i++;
	return i;
}

/* The end of the string at t[i] ('"'), or 0; *esc set if it has escapes. */
static size_t
skip_string(const char *t, size_t i, size_t n, int *esc)
{
	*esc = 0;
	if (i >= n || t[i] != '"')
		return 0;
	for (i = plain_run(t, i + 1, n); i < n && t[i] != '"';
	    i = plain_run(t, i, n)) {
		if (t[i] != '\\' || !json_c_escape(t + i, n - i))
			return 0;	/* a control byte, an odd escape */
		*esc = 1;
		i += t[i + 1] == 'u' ? 6 : 2;
	}
	return i < n ? i + 1 : 0;
}

/* The end of the value at t[i..n), or 0 if it is not one json-c writes. */
static size_t
skip_value(const char *t, size_t i, size_t n)
{
	char	 stack[32];	/* the closer of each open container */
	size_t	 depth = 0, b;
	int	 esc;
	char	 c;

	for (;;) {
		/* A value starts at t[i]. */
		if (i >= n)
			return 0;
		c = t[i];
		if (c == '"') {
			if ((i = skip_string(t, i, n, &esc)) == 0)
				return 0;
		} else if (c == '{' || c == '[') {
			if (depth == sizeof(stack))
				return 0;
			stack[depth++] = c == '{' ? '}' : ']';
			if (++i < n && t[i] == stack[depth - 1]) {
				depth--;
				i++;
			} else if (c == '[')
				continue;
			else
				goto key;
		} else if (c == '-' || (c >= '0' && c <= '9')) {
			for (b = i; i < n && ((t[i] >= '0' && t[i] <= '9') ||
			    t[i] == '-' || t[i] == '+' || t[i] == '.' ||
			    t[i] == 'e' || t[i] == 'E'); i++)
				;
			if (!json_c_number(t + b, i - b))
				return 0;
		} else if (n - i >= 4 && (memcmp(t + i, "true", 4) == 0 ||
		    memcmp(t + i, "null", 4) == 0))
			i += 4;
		else if (n - i >= 5 && memcmp(t + i, "false", 5) == 0)
			i += 5;
		else
			return 0;
		/* After a value: its container's separator or closer. */
		for (;;) {
			if (depth == 0)
				return i;
			if (i >= n)
				return 0;
			if (t[i] == ',') {
				i++;
				break;
			}
			if (t[i] != stack[depth - 1])
				return 0;
			depth--;
			i++;
		}
		if (stack[depth - 1] == ']')
			continue;
key:
		if ((i = skip_string(t, i, n, &esc)) == 0 || i >= n ||
		    t[i] != ':')
			return 0;
		i++;
	}
}

int
gh_json_text_next(const char *t, size_t n, size_t *pos, const char **key,
    size_t *klen, const char **val, size_t *vlen)
{
	size_t	 i = *pos, ke, ve;
	int	 esc;

	if (i == 0) {
		if (n < 2 || t[0] != '{')
			return -1;
		if (n == 2 && t[1] == '}') {
			*pos = n;
			return 0;
		}
		i = 1;
	} else if (i == n)
		return 0;
	else if (t[i] == ',')
		i++;
	else if (t[i] == '}' && i + 1 == n) {
		*pos = n;
		return 0;
	} else
		return -1;
	if ((ke = skip_string(t, i, n, &esc)) == 0 || esc || ke >= n ||
	    t[ke] != ':' || (ve = skip_value(t, ke + 1, n)) == 0 || ve >= n ||
	    (t[ve] != ',' && t[ve] != '}'))
		return -1;
	*key = t + i + 1;
	*klen = ke - i - 2;
	*val = t + ke + 1;
	*vlen = ve - ke - 1;
	*pos = ve;
	return 1;
}

int
gh_json_text_strs(const char *t, size_t n, const char *const *keys,
    char *const *bufs, size_t size, int *found, size_t nkeys)
{
	const char	*k, *v;
	size_t		 pos = 0, kl, vl, j;
	int		 rc, esc;

	for (j = 0; j < nkeys; j++)
		found[j] = 0;
	while ((rc = gh_json_text_next(t, n, &pos, &k, &kl, &v, &vl)) == 1) {
		for (j = 0; j < nkeys; j++)
			if (strncmp(keys[j], k, kl) == 0 && keys[j][kl] == '\0')
				break;
		if (j == nkeys)
			continue;
		if (found[j] || vl < 2 || v[0] != '"' ||
		    skip_string(v, 0, vl, &esc) != vl || esc || vl - 2 >= size)
			return -1;
		memcpy(bufs[j], v + 1, vl - 2);
		bufs[j][vl - 2] = '\0';
		found[j] = 1;
	}
	return rc != 0 ? -1 : 0;
}

int
gh_json_text_str(const char *t, size_t n, const char *key, char *buf,
    size_t size)
{
	int	 found;

	if (gh_json_text_strs(t, n, &key, &buf, size, &found, 1) != 0)
		return -1;
	return found;
}
