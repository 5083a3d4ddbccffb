/*
 * fuzz-order.c: the marketplace's validators of request bodies over
 * untrusted bytes, and order pricing on what they accept.  The input is a
 * request body; its "items" goes through gh_market_valid_lines and, when
 * valid, gh_market_order_price against a fixed catalog; its "pricing"
 * through gh_market_valid_pricing.  Nothing may crash or leak, an accepted
 * order's amount must equal the sum of its lines, and an accepted price
 * must be in range.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gh_http.h"
#include "gh_json.h"
#include "gh_market.h"

static const char catalog[] = "["
    "{\"solution_id\":\"a\",\"name\":\"A\",\"status\":\"published\","
    "\"pricing\":{\"amount\":1999,\"currency\":\"USD\"}},"
    "{\"solution_id\":\"b\",\"name\":\"B\",\"status\":\"published\","
    "\"pricing\":{\"amount\":99999999999,\"currency\":\"USD\"}},"
    "{\"solution_id\":\"c\",\"name\":\"C\",\"status\":\"draft\","
    "\"pricing\":{\"amount\":1,\"currency\":\"USD\"}},"
    "{\"solution_id\":\"e\",\"name\":\"E\",\"status\":\"published\","
    "\"pricing\":{\"amount\":5,\"currency\":\"EUR\"}}]";

static void
member(json_object *body, const char *key, struct gh_value *v)
{
	memset(v, 0, sizeof(*v));
	if (!json_object_object_get_ex(body, key, &v->json) || v->json == NULL)
		return;
	v->present = 1;
	if (json_object_is_type(v->json, json_type_string)) {
		v->str = json_object_get_string(v->json);
		v->len = (size_t)json_object_get_string_len(v->json);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct gh_order_line	 lines[GH_MARKET_LINES_MAX];
	struct gh_value		 v;
	json_object		*body = NULL, *sols, *d = NULL, *items, *it;
	int64_t			 amount, sum = 0, p, q;
	size_t			 n, i, bad;

	if (gh_json_parse((const char *)data, size, 16, &body, NULL) != GH_OK)
		return 0;
	if (!json_object_is_type(body, json_type_object))
		goto out;
	member(body, "items", &v);
	if (v.present && gh_market_valid_lines(&v)) {
		n = gh_market_lines(v.json, lines);
		if (n < 1 || n > GH_MARKET_LINES_MAX)
			abort();
		sols = json_tokener_parse(catalog);
		if (gh_market_order_price(lines, n, sols, &d, &bad) == GH_OK) {
			if (!gh_json_int(d, "amount", &amount) ||
			    !json_object_object_get_ex(d, "items", &items) ||
			    json_object_array_length(items) != n)
				abort();
			for (i = 0; i < n; i++) {
				it = json_object_array_get_idx(items, i);
				if (!gh_json_int(it, "price", &p) || !gh_json_int(it, "quantity", &q) ||
				    q < 1 || q > GH_MARKET_QUANTITY_MAX)
					abort();
				sum += p * q;
			}
			if (sum != amount || amount > GH_MARKET_AMOUNT_MAX)
				abort();
		} else if (bad >= n)
			abort();
		json_object_put(d);
		json_object_put(sols);
	}
	member(body, "pricing", &v);
	if (v.present && gh_market_valid_pricing(&v) &&
	    (v.num < 0 || v.num > GH_MARKET_PRICE_MAX))
		abort();
out:
	json_object_put(body);
	return 0;
}
