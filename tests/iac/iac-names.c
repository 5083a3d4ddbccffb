/*
 * iac-names.c: prints, as one JSON object, the names and defaults the code
 * uses that the infrastructure template (deploy/gatehouse.yaml) must match,
 * taken from the library itself so the check (tests/iac/check_iac.py)
 * compares the template against the code, not against a second list.
 *
 *   iac-names [--ttl ATTR]... [--env NAME=VALUE]...
 *
 * Run it with an empty environment.  Output members:
 *   tables   {logical name (gh_table_names): default physical table name}
 *   base     {"pk", "sk"}: the tables' key attributes (gh_index_pk/sk[0])
 *   indexes  [{"name","pk","sk"}]: the secondary indexes (gh_index_*)
 *   conf     {key: default value} of every configuration key
 *   ttl      {ATTR: true if the store treats ATTR as the expiry attribute}
 *   env      {NAME: [configuration keys that NAME=VALUE sets to VALUE]}
 *            (none if the configuration refuses VALUE)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "gh_conf.h"
#include "gh_store.h"
#include "store_impl.h"

/* The configuration key that names each table's DynamoDB table. */
static const enum gh_conf_key table_key[GH_TABLE__MAX] = {
	[GH_TABLE_MAIN] = GH_CONF_DYNAMODB_TABLE,
	[GH_TABLE_ORDERS] = GH_CONF_DYNAMODB_ORDERS_TABLE,
};

/* The defaults and environment overrides; NULL (message on stderr) if refused. */
static struct gh_conf *
load(void)
{
	struct gh_conf	*c = NULL;
	const char	*why = NULL;

	if (gh_conf_load("/nonexistent/gatehouse.conf", 1, &c, &why) != GH_OK) {
		fprintf(stderr, "iac-names: configuration: %s\n", why);
		return NULL;
	}
	return c;
}

int
main(int argc, char **argv)
{
	json_object	*o, *t, *b, *ix, *cf, *ttl, *env, *one, *keys;
	struct gh_conf	*def, *c;
	int		 i, k;

	if ((def = load()) == NULL)
		return 1;
	o = json_object_new_object();
	t = json_object_new_object();
	for (i = 0; i < GH_TABLE__MAX; i++)
		json_object_object_add(t, gh_table_names[i],
		    json_object_new_string(gh_conf_str(def, table_key[i])));
	json_object_object_add(o, "tables", t);
	b = json_object_new_object();
	json_object_object_add(b, "pk", json_object_new_string(gh_index_pk[GH_INDEX_BASE]));
	json_object_object_add(b, "sk", json_object_new_string(gh_index_sk[GH_INDEX_BASE]));
	json_object_object_add(o, "base", b);
	ix = json_object_new_array();
	for (i = GH_INDEX_BASE + 1; i < GH_INDEX__MAX; i++) {
		one = json_object_new_object();
		json_object_object_add(one, "name", json_object_new_string(gh_index_names[i]));
		json_object_object_add(one, "pk", json_object_new_string(gh_index_pk[i]));
		json_object_object_add(one, "sk", json_object_new_string(gh_index_sk[i]));
		json_object_array_add(ix, one);
	}
	json_object_object_add(o, "indexes", ix);
	cf = json_object_new_object();
	for (k = 0; k < GH_CONF__MAX; k++)
		json_object_object_add(cf, gh_conf_name(k),
		    json_object_new_string(gh_conf_str(def, k)));
	json_object_object_add(o, "conf", cf);
	ttl = json_object_new_object();
	env = json_object_new_object();
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--ttl") == 0 && i + 1 < argc) {
			/* An item whose ATTR is 1 (1970): expired iff ATTR is the TTL. */
			json_object *item = json_object_new_object();
			json_object_object_add(item, argv[i + 1], json_object_new_int64(1));
			json_object_object_add(ttl, argv[i + 1],
			    json_object_new_boolean(gh_store_item_expired(item, 2)));
			json_object_put(item);
			i++;
		} else if (strcmp(argv[i], "--env") == 0 && i + 1 < argc &&
		    strchr(argv[i + 1], '=') != NULL) {
			char *name = strdup(argv[i + 1]), *val = strchr(name, '=');
			*val++ = '\0';
			setenv(name, val, 1);
			c = load();	/* a refused value sets nothing */
			keys = json_object_new_array();
			for (k = 0; c != NULL && k < GH_CONF__MAX; k++)
				if (strcmp(gh_conf_str(c, k), gh_conf_str(def, k)) != 0 &&
				    strcmp(gh_conf_str(c, k), val) == 0)
					json_object_array_add(keys,
					    json_object_new_string(gh_conf_name(k)));
			json_object_object_add(env, name, keys);
			gh_conf_free(c);
			unsetenv(name);
			free(name);
			i++;
		} else {
			fprintf(stderr, "usage: iac-names [--ttl ATTR]... [--env NAME=VALUE]...\n");
			return 2;
		}
	}
	json_object_object_add(o, "ttl", ttl);
	json_object_object_add(o, "env", env);
	printf("%s\n", json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY));
	json_object_put(o);
	gh_conf_free(def);
	return 0;
}
