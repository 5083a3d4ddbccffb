/*
 * view-check.h: the list replies' text path against the object path, for
 * test-market.c and fuzz-viewtext.c.  view_check(t, n, &fast) is 1 when
 * gh_market_view_text keeps its contract on t[0..n): it refuses (fast = 0)
 * and leaves the buffer as it was, or (fast = 1) it writes exactly the
 * bytes of view_slow's path: json-c's default tokener, gh_market_view,
 * PLAIN | NOSLASHESCAPE.  The text is copied to a buffer of exactly n
 * bytes first, so that ASan sees any read past it.
 */
#ifndef VIEW_CHECK_H
#define VIEW_CHECK_H

#include <stdlib.h>
#include <string.h>
#include <json-c/json.h>

#include "gh_market.h"

static int
view_check(const char *text, size_t n, int *fast)
{
	char		*t;
	struct printbuf	*pb;
	json_tokener	*tok;
	json_object	*o = NULL, *v = NULL;
	const char	*want = NULL;
	int		 got, ok;

	if ((t = malloc(n > 0 ? n : 1)) == NULL)
		return 0;
	memcpy(t, text, n);
	if ((pb = printbuf_new()) == NULL) {
		free(t);
		return 0;
	}
	printbuf_memappend(pb, "[", 1);
	got = gh_market_view_text(pb, t, n);
	if (fast != NULL)
		*fast = got;
	if (!got) {
		ok = pb->bpos == 1 && strcmp(pb->buf, "[") == 0;
		printbuf_free(pb);
		free(t);
		return ok;
	}
	if ((tok = json_tokener_new()) != NULL) {
		o = json_tokener_parse_ex(tok, t, (int)n);
		if (o != NULL && json_tokener_get_error(tok) == json_tokener_success &&
		    json_object_is_type(o, json_type_object) &&
		    (v = gh_market_view(o)) != NULL)
			want = json_object_to_json_string_ext(v,
			    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
		json_tokener_free(tok);
	}
	ok = want != NULL && (size_t)pb->bpos == 1 + strlen(want) &&
	    strcmp(pb->buf + 1, want) == 0;
	json_object_put(v);
	json_object_put(o);
	printbuf_free(pb);
	free(t);
	return ok;
}

#endif /* VIEW_CHECK_H */
