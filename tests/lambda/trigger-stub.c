/*
 * trigger-stub.c: TEST ONLY.  A stand-in for src/lib/trigger.c so that the
 * Lambda bootstrap's Runtime API loop can be tested in a tree that does not
 * have the real triggers yet (tests/suites/lambda.sh uses it only then, and
 * says so).  Never linked into a product binary.
 *
 * PreSignUp_* and PostConfirmation_* events come back with "response"
 * set to {}; anything else is GH_ERR_INVAL.
 */
#include <stdio.h>
#include <string.h>

#include "gh_json.h"
#include "gh_trigger.h"

enum gh_err
gh_trigger_run(const struct gh_conf *conf, struct gh_store *s,
    json_object *event, json_object **out, char *msg, size_t msgsz)
{
	const char	*src = gh_json_str(event, "triggerSource");
	json_object	*copy = NULL;

	if (src == NULL || (strncmp(src, "PreSignUp_", 10) != 0 &&
	    strncmp(src, "PostConfirmation_", 17) != 0)) {
		snprintf(msg, msgsz, "unknown triggerSource");
		return GH_ERR_INVAL;
	}
	if (json_object_deep_copy(event, &copy, NULL) != 0)
		return GH_ERR_NOMEM;
	json_object_object_add(copy, "response", json_object_new_object());
	*out = copy;
	return GH_OK;
}
