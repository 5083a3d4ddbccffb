/*
 * fuzz-viewtext.c: the list replies' text path (gh_market_view_text, over
 * gh_json_text_members) on untrusted bytes as a stored item's text.  It
 * must refuse, or write exactly what the object path writes (parse with
 * json-c, gh_market_view, serialise): view-check.h.  A difference aborts.
 */
#include <stdint.h>
#include <stdlib.h>

#include "../view-check.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 1 << 20)
		return 0;
	if (!view_check((const char *)data, size, NULL))
		abort();
	return 0;
}
