/*
 * gh_trigger.h: the user pool's Lambda triggers, as plain C functions.
 *
 * PreSignUp (validation: the role allow-list, attribute formats) and
 * PostConfirmation (creates the User entity and, for
 * request.clientMetadata.application_id, the App-User entity, idempotently;
 * see README "Data model").  Each takes the event JSON exactly as AWS Cognito
 * sends it to a Lambda trigger ("version", "triggerSource", "region",
 * "userPoolId", "userName", "callerContext", "request": {"userAttributes",
 * "clientMetadata", ...}, "response": {...}) and gives back the event with
 * its "response" filled, as a Lambda handler returns it.
 *
 * Callers: the embedded pool calls gh_trigger_run in-process; the Lambda
 * custom runtime (src/tools/lambda-bootstrap.c) calls it for each invocation
 * from AWS Cognito; the tests call it directly.
 *
 * Ownership: event is borrowed; *out (a new object) belongs to the caller.
 * On failure *out is untouched and msg (msgsz bytes) holds a sentence fit
 * to show the user (Cognito shows a trigger's error message to the client:
 * "PreSignUp failed with error <msg>."), never a secret.
 *
 * Errors: GH_ERR_DENIED (the trigger refuses: bad role, bad attribute),
 * GH_ERR_INVAL (not an event we know: missing members, unknown
 * triggerSource), GH_ERR_STORE / GH_ERR_THROTTLED (the store failed; the
 * trigger may be retried: PostConfirmation is idempotent), GH_ERR_NOMEM.
 */
#ifndef GH_TRIGGER_H
#define GH_TRIGGER_H

#include <stddef.h>

#include <json-c/json.h>

#include "gh_err.h"

struct gh_conf;
struct gh_store;

/* Dispatches on event.triggerSource: "PreSignUp_SignUp",
 * "PreSignUp_AdminCreateUser", "PostConfirmation_ConfirmSignUp",
 * "PostConfirmation_ConfirmForgotPassword" (a no-op, as the seeds want). */
enum gh_err	gh_trigger_run(const struct gh_conf *conf, struct gh_store *s,
		    json_object *event, json_object **out, char *msg,
		    size_t msgsz);

/*
 * The format rules PreSignUp applies to one user attribute, shared with the
 * pool's UpdateUserAttributes: email (an address), phone_number (E.164),
 * custom:role (customer or partner; admin is never self-assigned),
 * custom:accepts_marketing ("true"/"false"), gender, names and company
 * (1..256 bytes of text without control characters).  Returns 1 if value
 * is acceptable for name, else 0 with msg set.  Unknown names are for the
 * pool's schema to refuse: they pass here.
 */
int		gh_trigger_attr_ok(const char *name, const char *value, char *msg,
		    size_t msgsz);

#endif /* GH_TRIGGER_H */
