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
 * One pass over the text, no call per token: strings, numbers and literals
 * are checked inline as they are skipped.  What is accepted is exactly
 * what json-c writes back the same way after a parse (view_slow's
 * json_tokener_new, then PLAIN | NOSLASHESCAPE); anything else is 0/-1 and
 * the caller parses.  The differences from RFC 8259 that matter:
 *   strings  json-c writes \" \\ \b \f \n \r \t and, for another control
 *            byte, \u00xx in lower case; every other escape ("\/", "\u00e9",
 *            "\u000a", "\u001F") and a raw control byte come back otherwise.
 *            "\u0000" is refused too (json-c cuts a key at it).
 *   keys     no escape at all: keys are compared as bytes, below.
 *   numbers  a double keeps its text (only RFC 8259's grammar is accepted:
 *            json-c reads "1e" as 1); an integer is written canonically, so
 *            no "-0", no leading zero, at most 18 digits (fits int64).
 *   objects  a key twice: json-c keeps one member, so it is refused.
 *   nesting  at most TEXT_DEPTH containers in a value (json-c: 32 in all).
 */
#define TEXT_DEPTH	16
#define TEXT_KEYS	64	/* keys of the open nested objects */

#define IS_DIGIT(c)	((unsigned char)((c) - '0') < 10)

/*
 * The end of the run of string bytes from t[i] that need no look: not '"',
 * not '\\', not a control byte.  Sixteen bytes at a time with SSE2, else
 * eight (the "has a byte less than" word tests), then byte by byte.
 */
static inline __attribute__((always_inline)) size_t
plain_run(const char *t, size_t i, size_t n)
{
#if defined(__SSE2__) && defined(__GNUC__)
	/* x <= 0x1f iff min(x, 0x1f) == x. */
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
	if (i < n && n >= 16) {
		/* The last 16 bytes of the text, t[i] their bit 16 - (n - i). */
		x = _mm_loadu_si128((const __m128i *)(const void *)(t + n - 16));
		mm = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(
		    _mm_cmpeq_epi8(x, dq), _mm_cmpeq_epi8(x, bs)),
		    _mm_cmpeq_epi8(_mm_min_epu8(x, ctl), x))) >> (16 - (n - i));
		return mm != 0 ? i + (size_t)__builtin_ctz(mm) : n;
	}
#else
	const uint64_t	 ones = 0x0101010101010101ULL, high = ones * 0x80;
	uint64_t	 w, q, b, m;

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
#endif
	while (i < n && (unsigned char)t[i] >= 0x20 && t[i] != '"' &&
	    t[i] != '\\')
		i++;
	return i;
}

/*
 * The end of the string whose '"' is t[i], or 0 if json-c would write it
 * otherwise (see above); a key (key != 0) has no escape.
 */
static inline __attribute__((always_inline)) size_t
text_str(const char *t, size_t i, size_t n, int key)
{
	unsigned char	 c;
	int		 d;

	for (i = plain_run(t, i + 1, n); i < n; i = plain_run(t, i, n)) {
		if (t[i] == '"')
			return i + 1;
		if (t[i] != '\\' || key || n - i < 2)
			return 0;	/* a control byte, an escape in a key */
		switch (t[i + 1]) {
		case '"': case '\\': case 'b': case 'f': case 'n': case 'r':
		case 't':
			i += 2;
			continue;
		case 'u':
			break;
		default:
			return 0;	/* "\/" among them */
		}
		/* \u00xx, lower case, for a control byte without a short form */
		if (n - i < 6 || t[i + 2] != '0' || t[i + 3] != '0' ||
		    (t[i + 4] != '0' && t[i + 4] != '1'))
			return 0;
		c = (unsigned char)t[i + 5];
		d = IS_DIGIT(c) ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (d < 0)
			return 0;
		d += (t[i + 4] - '0') * 16;
		if (d == 0 || d == '\b' || d == '\f' || d == '\n' || d == '\r' ||
		    d == '\t')
			return 0;
		i += 6;
	}
	return 0;
}

/*
 * The end of the number at t[i] ('-' or a digit), or 0 (see above).  The
 * scans here need no bound: t[n - 1] is the object's '}' (see text_value).
 */
static inline __attribute__((always_inline)) size_t
text_num(const char *t, size_t i)
{
	size_t	 d;
	int	 dbl = 0;

	d = i + (t[i] == '-');
	i = d;
	if (t[i] == '0')
		i++;
	else if (IS_DIGIT(t[i]))
		while (IS_DIGIT(t[++i]))
			;
	else
		return 0;
	if (t[i] == '.') {
		if (!IS_DIGIT(t[++i]))
			return 0;
		while (IS_DIGIT(t[++i]))
			;
		dbl = 1;
	}
	if (t[i] == 'e' || t[i] == 'E') {
		if (t[++i] == '+' || t[i] == '-')
			i++;
		if (!IS_DIGIT(t[i]))
			return 0;
		while (IS_DIGIT(t[++i]))
			;
		dbl = 1;
	}
	if (!dbl && (i - d > 18 || (t[d] == '0' && t[d - 1] == '-')))
		return 0;	/* written otherwise, or may not fit */
	return i;
}

/*
 * The duplicate check of one object's keys: 1 if k[0..len) is none of
 * list[from..to), whose lengths (mod 64) have their bits in *lens (the bit
 * of len is added).  Keys here are few and mostly of different lengths:
 * only a length seen before costs a look.
 */
static inline __attribute__((always_inline)) int
text_key_new(const char *k, size_t len, uint64_t *lens,
    const struct gh_json_member *list, size_t from, size_t to)
{
	uint64_t bit = 1ULL << (len & 63);
	size_t	 j;

	if (*lens & bit)
		for (j = from; j < to; j++)
			if (list[j].klen == len && list[j].key[0] == k[0] &&
			    memcmp(list[j].key, k, len) == 0)
				return 0;
	*lens |= bit;
	return 1;
}

/*
 * The end of the value at t[i..n), or 0 if json-c would write it otherwise.
 * t[n - 1] is '}' (the callers check): a sentinel that ends every scan but
 * a string's, so only strings and closers look at n.
 */
static size_t
text_nested(const char *t, size_t i, size_t n)
{
	struct {
		uint64_t	 lens;	/* for text_key_new */
		size_t		 k0;	/* its first key in keys */
		char		 close;
	}			 st[TEXT_DEPTH];
	struct gh_json_member	 keys[TEXT_KEYS];
	size_t			 depth = 0, nk = 0, ke;

	for (;;) {
		/* A value starts at t[i], i < n - 1: the common ones first. */
		if (t[i] == '"') {
			if ((i = text_str(t, i, n, 0)) == 0)
				return 0;
		} else if (t[i] == '-' || IS_DIGIT(t[i])) {
			if ((i = text_num(t, i)) == 0)
				return 0;
		} else if (t[i] == '{' || t[i] == '[') {
			if (depth == TEXT_DEPTH)
				return 0;
			st[depth].close = t[i] == '[' ? ']' : '}';
			st[depth].lens = 0;
			st[depth].k0 = nk;
			depth++;
			if (t[++i] == st[depth - 1].close) {
				depth--;
				if (++i >= n)	/* that was the text's '}' */
					return depth == 0 ? i : 0;
			} else if (st[depth - 1].close == ']')
				continue;
			else
				goto key;
		} else if (t[i] == 't' && t[i + 1] == 'r' && t[i + 2] == 'u' &&
		    t[i + 3] == 'e')
			i += 4;
		else if (t[i] == 'f' && t[i + 1] == 'a' && t[i + 2] == 'l' &&
		    t[i + 3] == 's' && t[i + 4] == 'e')
			i += 5;
		else if (t[i] == 'n' && t[i + 1] == 'u' && t[i + 2] == 'l' &&
		    t[i + 3] == 'l')
			i += 4;
		else
			return 0;
		/*
		 * After a value: its container's separator or closer; t[i]
		 * is in the text (a value but a container's ends before
		 * t[n - 1]).
		 */
		for (;;) {
			if (depth == 0)
				return i;
			if (t[i] == ',') {
				i++;
				break;
			}
			if (t[i] != st[depth - 1].close)
				return 0;
			depth--;
			nk = st[depth].k0;
			if (++i >= n)	/* that was the text's '}' */
				return depth == 0 ? i : 0;
		}
		if (st[depth - 1].close == ']')
			continue;
key:
		if (t[i] != '"' || (ke = text_str(t, i, n, 1)) == 0 ||
		    t[ke] != ':' || nk == TEXT_KEYS ||
		    !text_key_new(t + i + 1, ke - i - 2, &st[depth - 1].lens, keys,
		    st[depth - 1].k0, nk))
			return 0;
		keys[nk].key = t + i + 1;
		keys[nk++].klen = ke - i - 2;
		i = ke + 1;
	}
}

/* text_nested with its common cases inline: a string, a number. */
static inline __attribute__((always_inline)) size_t
text_value(const char *t, size_t i, size_t n)
{
	if (t[i] == '"')
		return text_str(t, i, n, 0);
	if (t[i] == '-' || IS_DIGIT(t[i]))
		return text_num(t, i);
	return text_nested(t, i, n);
}

/*
 * The member at t[i] (its key's '"'), i < n - 1, t[n - 1] == '}': 1 and its
 * parts, else 0.
 */
static inline __attribute__((always_inline)) int
text_member(const char *t, size_t i, size_t n, struct gh_json_member *m,
    size_t *end)
{
	size_t	 ke, ve;

	if (t[i] != '"' || (ke = text_str(t, i, n, 1)) == 0 || t[ke] != ':' ||
	    (ve = text_value(t, ke + 1, n)) == 0 || ve >= n)
		return 0;
	m->key = t + i + 1;
	m->klen = ke - i - 2;
	m->val = t + ke + 1;
	m->vlen = ve - ke - 1;
	*end = ve;
	return 1;
}

int
gh_json_text_members(const char *t, size_t n, struct gh_json_member *m,
    size_t max)
{
	uint64_t	 lens = 0;
	size_t		 i = 1, cnt = 0, end;

	if (n < 2 || t[0] != '{' || t[n - 1] != '}')
		return -1;
	if (n == 2)
		return 0;
	if (max > INT32_MAX)
		max = INT32_MAX;
	for (;;) {
		/* i < n - 1: after '{' or a ',' that is not the last byte */
		if (cnt == max || !text_member(t, i, n, &m[cnt], &end) ||
		    !text_key_new(m[cnt].key, m[cnt].klen, &lens, m, 0, cnt))
			return -1;
		cnt++;
		if (t[end] == '}')
			return end + 1 == n ? (int)cnt : -1;
		if (t[end] != ',')
			return -1;
		i = end + 1;
	}
}

int
gh_json_text_strs(const char *t, size_t n, const char *const *keys,
    char *const *bufs, size_t size, int *found, size_t nkeys)
{
	struct gh_json_member	 m[GH_JSON_TEXT_MEMBERS_MAX];
	const char		*k, *v;
	size_t			 kl, vl, j;
	int			 cnt, i;

	for (j = 0; j < nkeys; j++)
		found[j] = 0;
	if ((cnt = gh_json_text_members(t, n, m, GH_JSON_TEXT_MEMBERS_MAX)) < 0)
		return -1;
	for (i = 0; i < cnt; i++) {
		k = m[i].key;
		kl = m[i].klen;
		v = m[i].val;
		vl = m[i].vlen;
		for (j = 0; j < nkeys; j++)
			if (strncmp(keys[j], k, kl) == 0 && keys[j][kl] == '\0')
				break;
		if (j == nkeys)
			continue;
		/* v is a whole value as json-c writes it: a string without
		 * a backslash has no escape. */
		if (found[j] || vl < 2 || v[0] != '"' ||
		    memchr(v + 1, '\\', vl - 2) != NULL || vl - 2 >= size)
			return -1;
		memcpy(bufs[j], v + 1, vl - 2);
		bufs[j][vl - 2] = '\0';
		found[j] = 1;
	}
	return 0;
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
