#!/usr/bin/env python3
"""check_iac.py IAC_NAMES [TEMPLATE]: checks the CloudFormation template
(deploy/gatehouse.yaml) against the code, so the two cannot drift apart.

The code's side comes from the code itself, never from a list kept here:
  - IAC_NAMES (tests/iac/iac-names.c, linked with the library): table names,
    key and index attributes, configuration defaults, which attribute the
    store treats as the expiry, which configuration keys an environment
    variable sets;
  - the C sources: the trigger sources (src/lib/gh_trigger.h, trigger.c),
    the custom attributes the triggers read (trigger.c), the store calls the
    triggers make (trigger.c), the DynamoDB operations the backend sends
    (store_dynamodb.c).  Where a source is not in the tree yet, the checks
    that need it say so and are skipped.
The only fixed knowledge here is AWS's: which DynamoDB action a store call
needs, CloudFormation's intrinsic functions and pseudo parameters.

Then every check is run again on mutated copies of the template (a renamed
index, a wrong TTL attribute, ...): each mutation must be caught, so a
check that cannot fail shows up as a failure.
Prints one line per case and, last, "N passed, N failed".
"""
import copy
import json
import os
import re
import subprocess
import sys

import yaml

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PSEUDO = {"AWS::Region", "AWS::AccountId", "AWS::StackName", "AWS::StackId",
          "AWS::Partition", "AWS::URLSuffix", "AWS::NoValue", "AWS::NotificationARNs"}
# The DynamoDB actions each gh_store_* call may send (AWS's API and the
# backend's documented mapping, store_dynamodb.c's header): a put reads the
# live version or peeks at an expired item (GetItem); an update over an
# expired item deletes it first; a failed version delete reads once.
STORE_ACTIONS = {"get": {"GetItem"}, "put": {"PutItem", "GetItem"},
                 "update": {"UpdateItem", "DeleteItem"}, "delete": {"DeleteItem", "GetItem"},
                 "query": {"Query"}, "batch_get": {"BatchGetItem"}}
# Operations of store_dynamodb.c that only `bin/gatehouse dynamodb
# create-tables` sends (it waits with DescribeTable; ping is a GetItem):
# in AWS mode the template creates the tables.
ADMIN_OPS = {"CreateTable", "DescribeTable", "UpdateTimeToLive", "DescribeTimeToLive",
             "ListTables"}
DYNAMODB_API = {"GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan",
                "BatchGetItem", "BatchWriteItem", "TransactGetItems", "TransactWriteItems",
                "DescribeTable", "CreateTable", "DeleteTable", "UpdateTable", "ListTables",
                "UpdateTimeToLive", "DescribeTimeToLive"}
UNITS = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}


# --- CloudFormation YAML: short-form intrinsics become their long forms ---
class CfnLoader(yaml.SafeLoader):
    pass


def _intrinsic(loader, suffix, node):
    name = "Ref" if suffix == "Ref" else "Fn::" + suffix
    if isinstance(node, yaml.ScalarNode):
        v = loader.construct_scalar(node)
        if suffix == "GetAtt":
            v = v.split(".", 1)
    elif isinstance(node, yaml.SequenceNode):
        v = loader.construct_sequence(node, deep=True)
    else:
        v = loader.construct_mapping(node, deep=True)
    return {name: v}


CfnLoader.add_multi_constructor("!", _intrinsic)


def load_template(path):
    with open(path) as f:
        return yaml.load(f, Loader=CfnLoader)


def read(path):
    p = os.path.join(ROOT, path)
    if not os.path.exists(p):
        return None
    with open(p) as f:
        return f.read()


def code_names(prog, template):
    """The code's side: iac-names output plus what the sources say."""
    args = [prog]
    for r in resources(template, "AWS::DynamoDB::Table").values():
        ttl = r.get("Properties", {}).get("TimeToLiveSpecification", {}).get("AttributeName")
        if isinstance(ttl, str):
            args += ["--ttl", ttl]
    for fn in resources(template, "AWS::Lambda::Function").values():
        for k, v in fn.get("Properties", {}).get("Environment", {}).get("Variables", {}).items():
            args += ["--env", "%s=%s" % (k, v if isinstance(v, str) else "iac-check-value")]
    out = subprocess.run(args, env={}, capture_output=True, text=True, check=True).stdout
    names = json.loads(out)
    hdr = read("src/lib/gh_trigger.h") or ""
    trig = read("src/lib/trigger.c")
    dyn = read("src/lib/store_dynamodb.c")
    names["trigger_sources"] = sorted(set(re.findall(r'"((?:PreSignUp|PostConfirmation|'
                                                     r'PreAuthentication|PostAuthentication|'
                                                     r'PreTokenGeneration|CustomMessage|'
                                                     r'UserMigration|DefineAuthChallenge)_\w+)"',
                                                     hdr + (trig or ""))))
    names["trigger_c"] = trig is not None
    if trig is not None:
        names["custom_attrs"] = sorted(set(re.findall(r'"custom:(\w+)"', trig)))
        names["trigger_store_calls"] = sorted(set(re.findall(r"\bgh_store_(get|put|update|delete|"
                                                             r"query|batch_get)\s*\(", trig)))
        names["trigger_tables"] = sorted(set(re.findall(r"\bGH_TABLE_(MAIN|ORDERS)\b", trig)))
    names["store_dynamodb_c"] = dyn is not None
    if dyn is not None:
        # "DynamoDB_20120810.GetItem" targets, or the operation names quoted alone.
        names["dynamodb_ops"] = sorted(set(re.findall(r"DynamoDB_20120810\.(\w+)", dyn)) |
                                       (set(re.findall(r'"(\w+)"', dyn)) & DYNAMODB_API))
    names["store_ops"] = sorted(set(re.findall(r"\bgh_store_(get|put|update|delete|query|batch_get)\s*\(",
                                               read("src/lib/gh_store.h") or "")))
    return names


def resources(t, typ=None):
    rs = t.get("Resources", {}) if isinstance(t, dict) else {}
    return {k: v for k, v in rs.items() if typ is None or v.get("Type") == typ}


def resolve(t, v):
    """A value with Refs to parameters replaced by their defaults."""
    if isinstance(v, dict) and list(v) == ["Ref"]:
        p = t.get("Parameters", {}).get(v["Ref"])
        if p is not None:
            return p.get("Default")
    return v


def ref_of(v):
    if isinstance(v, dict) and list(v) == ["Ref"]:
        return v["Ref"]
    if isinstance(v, dict) and list(v) == ["Fn::GetAtt"]:
        return v["Fn::GetAtt"][0]
    return None


def walk(v):
    yield v
    if isinstance(v, dict):
        for x in v.values():
            yield from walk(x)
    elif isinstance(v, list):
        for x in v:
            yield from walk(x)


def statements(role):
    for pol in role.get("Properties", {}).get("Policies", []):
        st = pol.get("PolicyDocument", {}).get("Statement", [])
        for s in st if isinstance(st, list) else [st]:
            yield s


def as_list(v):
    return v if isinstance(v, list) else [v]


def dynamo_grants(t, role):
    """{action: set of resource descriptions} granted by role."""
    g = {}
    for s in statements(role):
        if s.get("Effect") != "Allow":
            continue
        for a in as_list(s.get("Action", [])):
            if isinstance(a, str) and a.startswith("dynamodb:") or a == "*":
                for r in as_list(s.get("Resource", [])):
                    g.setdefault(a, set()).add(json.dumps(r, sort_keys=True))
    return g


def table_resources(t, logical):
    """Resource strings for table resource `logical` and its indexes."""
    return {json.dumps({"Fn::GetAtt": [logical, "Arn"]}, sort_keys=True),
            json.dumps({"Fn::Sub": "${%s.Arn}/index/*" % logical}, sort_keys=True)}


def checks(t, code):
    """Yields (description, ok, detail) for every check of template t."""
    res = resources(t)
    params = t.get("Parameters", {}) or {}
    yield ("the template is a CloudFormation template with resources",
           t.get("AWSTemplateFormatVersion") == "2010-09-09" and bool(res), "")

    # References resolve.
    bad = []
    for v in walk(t.get("Resources", {})):
        if not isinstance(v, dict) or len(v) != 1:
            continue
        k, x = next(iter(v.items()))
        if k == "Ref" and x not in res and x not in params and x not in PSEUDO:
            bad.append("Ref " + str(x))
        elif k == "Fn::GetAtt" and (not isinstance(x, list) or x[0] not in res):
            bad.append("GetAtt " + str(x))
        elif k == "Fn::Sub" and isinstance(x, str):
            for name in re.findall(r"\$\{([^}!]+)\}", x):
                base = name.split(".")[0]
                if base not in res and base not in params and name not in PSEUDO:
                    bad.append("Sub ${%s}" % name)
    yield ("every Ref, GetAtt and Sub names a resource, parameter or pseudo parameter",
           not bad, ", ".join(bad))

    # Tables: one per logical table of the code, named as the configuration's defaults.
    tables = resources(t, "AWS::DynamoDB::Table")
    by_logical = {}
    for logical, default in code["tables"].items():
        hits = [k for k, r in tables.items()
                if resolve(t, r.get("Properties", {}).get("TableName")) == default]
        yield ("table %s: a DynamoDB table named %r (the configuration's default)" % (logical, default),
               len(hits) == 1, "found %r" % hits)
        if len(hits) == 1:
            by_logical[logical] = hits[0]
    yield ("no table the code does not use", len(tables) == len(code["tables"]),
           "%d tables" % len(tables))

    want_keys = {code["base"]["pk"], code["base"]["sk"]}
    for ix in code["indexes"]:
        want_keys |= {ix["pk"], ix["sk"]}
    want_gsi = {ix["name"]: [[ix["pk"], "HASH"], [ix["sk"], "RANGE"]] for ix in code["indexes"]}
    for logical, rk in sorted(by_logical.items()):
        p = tables[rk].get("Properties", {})
        ks = [[k.get("AttributeName"), k.get("KeyType")] for k in p.get("KeySchema", [])]
        yield ("table %s: key %s HASH, %s RANGE" % (logical, code["base"]["pk"], code["base"]["sk"]),
               ks == [[code["base"]["pk"], "HASH"], [code["base"]["sk"], "RANGE"]], str(ks))
        gsis = {g.get("IndexName"): [[k.get("AttributeName"), k.get("KeyType")]
                                     for k in g.get("KeySchema", [])]
                for g in p.get("GlobalSecondaryIndexes", [])}
        yield ("table %s: the indexes %s with the code's key attributes" % (logical, ", ".join(want_gsi)),
               gsis == want_gsi, json.dumps(gsis))
        proj = {g.get("IndexName"): g.get("Projection", {}).get("ProjectionType")
                for g in p.get("GlobalSecondaryIndexes", [])}
        yield ("table %s: indexes project ALL (the store reads whole items from them)" % logical,
               all(v == "ALL" for v in proj.values()), str(proj))
        ad = {a.get("AttributeName"): a.get("AttributeType") for a in p.get("AttributeDefinitions", [])}
        yield ("table %s: attribute definitions are exactly the key attributes, strings" % logical,
               set(ad) == want_keys and set(ad.values()) == {"S"}, str(ad))
        ttl = p.get("TimeToLiveSpecification", {})
        name = ttl.get("AttributeName")
        yield ("table %s: TTL enabled on the attribute the store treats as the expiry" % logical,
               ttl.get("Enabled") is True and code["ttl"].get(name) is True, "TTL on %r" % name)

    # Lambda functions.
    fns = resources(t, "AWS::Lambda::Function")
    for k, f in sorted(fns.items()):
        p = f.get("Properties", {})
        yield ("function %s: provided.al2023, handler bootstrap" % k,
               p.get("Runtime") == "provided.al2023" and p.get("Handler") == "bootstrap", "")
        env = p.get("Environment", {}).get("Variables", {})
        for name, val in sorted(env.items()):
            sets = code["env"].get(name, [])
            yield ("function %s: environment %s is read by the configuration (sets %s)"
                   % (k, name, ", ".join(sets) or "nothing"), len(sets) >= 1, "")
            tr = ref_of(val)
            if tr in tables:
                logical = [lg for lg, r in by_logical.items() if r == tr]
                want = [ck for ck, cv in code["conf"].items()
                        if logical and cv == code["tables"][logical[0]]]
                yield ("function %s: %s names the table whose default it overrides" % (k, name),
                       bool(set(sets) & set(want)), "sets %s, table %s" % (sets, tr))
        sets = {ck: env[n] for n in env for ck in code["env"].get(n, [])}
        yield ("function %s: the store is dynamodb and both tables are named" % k,
               sets.get("store") == "dynamodb" and
               {"dynamodb_table", "dynamodb_orders_table"} <= set(sets), str(sorted(sets)))

    # User pool and its triggers.
    pools = resources(t, "AWS::Cognito::UserPool")
    yield ("one user pool", len(pools) == 1, "")
    if len(pools) != 1:
        return
    pk, pool = next(iter(pools.items()))
    pp = pool.get("Properties", {})
    yield ("user pool: e-mail is the username, verified automatically by code",
           pp.get("UsernameAttributes") == ["email"] and pp.get("AutoVerifiedAttributes") == ["email"] and
           pp.get("VerificationMessageTemplate", {}).get("DefaultEmailOption") == "CONFIRM_WITH_CODE", "")
    kinds = sorted({s.split("_")[0] for s in code["trigger_sources"]})
    lc = pp.get("LambdaConfig", {})
    yield ("user pool: triggers %s (the code's triggerSource values) and no other" % ", ".join(kinds),
           sorted(lc) == kinds and bool(kinds), str(sorted(lc)))
    perms = resources(t, "AWS::Lambda::Permission")
    for kind in kinds:
        fn = ref_of(lc.get(kind))
        yield ("trigger %s: a Lambda function of this template" % kind, fn in fns, str(fn))
        ok = any(ref_of(q["Properties"].get("FunctionName")) == fn and
                 q["Properties"].get("Principal") == "cognito-idp.amazonaws.com" and
                 q["Properties"].get("Action") == "lambda:InvokeFunction" and
                 ref_of(q["Properties"].get("SourceArn")) == pk for q in perms.values())
        yield ("trigger %s: Cognito (this pool only) may invoke it" % kind, ok, "")
    schema = {a.get("Name"): a for a in pp.get("Schema", [])}
    yield ("user pool: email required",
           schema.get("email", {}).get("Required") is True, "")
    if code["trigger_c"]:
        custom = sorted(n for n in schema if n != "email" and n not in (
            "name", "given_name", "family_name", "phone_number", "gender"))
        yield ("user pool: custom attributes %s (those trigger.c reads) and no other"
               % ", ".join(code["custom_attrs"]), custom == code["custom_attrs"], str(custom))
        yield ("user pool: custom attributes are mutable strings",
               all(schema[n].get("AttributeDataType") == "String" and schema[n].get("Mutable") is True
                   for n in custom), "")
    pw = pp.get("Policies", {}).get("PasswordPolicy", {})
    yield ("user pool: minimum password length = password_min_length (%s)" % code["conf"]["password_min_length"],
           str(pw.get("MinimumLength")) == code["conf"]["password_min_length"], str(pw.get("MinimumLength")))
    yield ("user pool: no character classes required (the embedded pool requires none)",
           not any(pw.get(k) for k in ("RequireLowercase", "RequireUppercase",
                                       "RequireNumbers", "RequireSymbols")), "")

    # App client.
    clients = resources(t, "AWS::Cognito::UserPoolClient")
    yield ("one app client, of this pool", len(clients) == 1 and all(
        ref_of(c["Properties"].get("UserPoolId")) == pk for c in clients.values()), "")
    for ck, c in clients.items():
        cp = c.get("Properties", {})
        yield ("app client: no secret", cp.get("GenerateSecret") is False, "")
        yield ("app client: USER_PASSWORD_AUTH and refresh only",
               sorted(cp.get("ExplicitAuthFlows", [])) ==
               ["ALLOW_REFRESH_TOKEN_AUTH", "ALLOW_USER_PASSWORD_AUTH"], "")
        yield ("app client: no user existence errors", cp.get("PreventUserExistenceErrors") == "ENABLED", "")
        units = cp.get("TokenValidityUnits", {})
        for tok, key, default_unit in (("IdToken", "id_token_ttl", "hours"),
                                       ("AccessToken", "access_token_ttl", "hours"),
                                       ("RefreshToken", "refresh_token_ttl", "days")):
            v = cp.get(tok + "Validity")
            secs = v * UNITS.get(units.get(tok, default_unit), 0) if isinstance(v, int) else None
            yield ("app client: %s lifetime = %s (%s s)" % (tok, key, code["conf"][key]),
                   str(secs) == code["conf"][key], "%r s" % secs)

    # IAM: least privilege.
    roles = resources(t, "AWS::IAM::Role")
    wild = [k for k, r in roles.items() for s in statements(r)
            if any(a == "*" or (isinstance(a, str) and a.endswith(":*")) for a in as_list(s.get("Action")))
            or any(r_ == "*" for r_ in as_list(s.get("Resource")))]
    yield ("no role grants a wildcard action or resource *", not wild, str(wild))
    fn_roles = {k: ref_of(f["Properties"].get("Role")) for k, f in fns.items()}
    for kind in kinds:
        fn = ref_of(lc.get(kind))
        role = roles.get(fn_roles.get(fn))
        if role is None:
            yield ("trigger %s: its function has a role of this template" % kind, False, "")
            continue
        logs = [s for s in statements(role) if any(str(a).startswith("logs:") for a in as_list(s["Action"]))]
        # Lambda writes to /aws/lambda/<function name>: the log group of that name.
        want_name = {"Fn::Sub": "/aws/lambda/" + str(
            fns[fn]["Properties"].get("FunctionName", {}).get("Fn::Sub", ""))}
        groups = [k for k, r in resources(t, "AWS::Logs::LogGroup").items()
                  if r["Properties"].get("LogGroupName") == want_name]
        yield ("trigger %s: logs only to its own log group" % kind,
               len(groups) == 1 and bool(logs) and
               all(ref_of(r_) == groups[0] for s in logs for r_ in as_list(s.get("Resource"))),
               str(groups))
        grants = dynamo_grants(t, role)
        if not code["trigger_c"]:
            yield ("trigger %s: DynamoDB grants (src/lib/trigger.c not in the tree)" % kind, None, "")
            continue
        # The store calls of the trigger kind: PreSignUp never opens the store in trigger.c
        # (its function takes no store), PostConfirmation makes trigger_store_calls.
        want = {"dynamodb:" + a for c in code["trigger_store_calls"] for a in STORE_ACTIONS[c]} \
            if kind == "PostConfirmation" else set()
        want_res = set()
        for tl in code["trigger_tables"]:
            logical = {"MAIN": "main", "ORDERS": "orders"}[tl]
            if logical in by_logical:
                want_res.add(json.dumps({"Fn::GetAtt": [by_logical[logical], "Arn"]}, sort_keys=True))
        yield ("trigger %s: exactly the DynamoDB actions its store calls need (%s)"
               % (kind, ", ".join(sorted(want)) or "none"), set(grants) == want, str(sorted(grants)))
        yield ("trigger %s: only on the tables it uses" % kind,
               all(rs <= want_res for rs in grants.values()), str(grants))
    web = [r for r in roles.values() if any(
        s.get("Principal", {}).get("Service") == "ec2.amazonaws.com"
        for s in r["Properties"]["AssumeRolePolicyDocument"]["Statement"])]
    yield ("one role for the web servers (EC2)", len(web) == 1, "")
    if web:
        grants = dynamo_grants(t, web[0])
        if code["store_dynamodb_c"]:
            want = {"dynamodb:" + o for o in code["dynamodb_ops"] if o not in ADMIN_OPS}
            what = "the operations store_dynamodb.c sends"
        else:
            want = {"dynamodb:" + a for o in code["store_ops"] for a in STORE_ACTIONS[o]}
            what = "what gh_store.h's operations need (store_dynamodb.c not in the tree)"
        yield ("web role: exactly %s: %s" % (what, ", ".join(sorted(a[9:] for a in want))),
               set(grants) == want, str(sorted(grants)))
        allowed = set()
        for logical in by_logical.values():
            allowed |= table_resources(t, logical)
        yield ("web role: only on the two tables and their indexes",
               all(rs == allowed for rs in grants.values()), "")

    outs = t.get("Outputs", {})
    yield ("outputs for gatehouse.conf: Region, UserPoolId, UserPoolClientId, TableName, OrdersTableName",
           {"Region", "UserPoolId", "UserPoolClientId", "TableName", "OrdersTableName"} <= set(outs), "")


# Mutations the checks must catch: (description, function changing t).
def _tables(t):
    return sorted(resources(t, "AWS::DynamoDB::Table").values(), key=lambda r: str(r))


def _pool(t):
    return next(iter(resources(t, "AWS::Cognito::UserPool").values()))["Properties"]


def _client(t):
    return next(iter(resources(t, "AWS::Cognito::UserPoolClient").values()))["Properties"]


def _fn(t):
    return sorted(resources(t, "AWS::Lambda::Function").items())[0][1]["Properties"]


def _mut_gsi(t):
    _tables(t)[0]["Properties"]["GlobalSecondaryIndexes"][1]["IndexName"] = "GSI9"


def _mut_gsi_key(t):
    _tables(t)[1]["Properties"]["GlobalSecondaryIndexes"][0]["KeySchema"][0]["AttributeName"] = "gsi1pk"


def _mut_ttl(t):
    _tables(t)[0]["Properties"]["TimeToLiveSpecification"]["AttributeName"] = "ttl"


def _mut_table_name(t):
    t["Parameters"]["OrdersTableName"]["Default"] = "orders"


def _mut_env(t):
    v = _fn(t)["Environment"]["Variables"]
    v["DYNAMO_TABLE"] = v.pop("DYNAMODB_TABLE")


def _mut_env_swap(t):
    v = _fn(t)["Environment"]["Variables"]
    v["DYNAMODB_TABLE"], v["DYNAMODB_ORDERS_TABLE"] = v["DYNAMODB_ORDERS_TABLE"], v["DYNAMODB_TABLE"]


def _mut_trigger(t):
    _pool(t)["LambdaConfig"].pop("PostConfirmation")


def _mut_password(t):
    _pool(t)["Policies"]["PasswordPolicy"]["MinimumLength"] = 12


def _mut_token(t):
    _client(t)["TokenValidityUnits"]["IdToken"] = "hours"


def _mut_flows(t):
    _client(t)["ExplicitAuthFlows"].append("ALLOW_ADMIN_USER_PASSWORD_AUTH")


def _mut_secret(t):
    _client(t)["GenerateSecret"] = True


def _mut_wild(t):
    r = [r for r in resources(t, "AWS::IAM::Role").values()
         if "Principal" in r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0] and
         r["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"].get("Service")
         == "ec2.amazonaws.com"][0]
    r["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Action"].append("dynamodb:Scan")


def _mut_ref(t):
    _fn(t)["Role"] = {"Fn::GetAtt": ["NoSuchRole", "Arn"]}


def _mut_custom(t):
    if any(a["Name"] == "company" for a in _pool(t)["Schema"]):
        _pool(t)["Schema"] = [a for a in _pool(t)["Schema"] if a["Name"] != "company"]


def _mut_trigger_grant(t):
    for k, r in resources(t, "AWS::IAM::Role").items():
        for p in r["Properties"].get("Policies", []):
            for s in p["PolicyDocument"]["Statement"]:
                if "dynamodb:PutItem" in as_list(s["Action"]) and len(as_list(s["Resource"])) == 1:
                    s["Action"] = as_list(s["Action"]) + ["dynamodb:DeleteItem"]


def _mut_logs(t):
    r = resources(t, "AWS::IAM::Role")["PreSignUpRole"]
    r["Properties"]["Policies"][0]["PolicyDocument"]["Statement"][0]["Resource"] = \
        {"Fn::GetAtt": ["PostConfirmationLogs", "Arn"]}


def _mut_store(t):
    _fn(t)["Environment"]["Variables"]["GATEHOUSE_STORE"] = "sqlite"


MUTATIONS = [
    ("a trigger logging to the other function's log group", _mut_logs, None),
    ("a function on the SQLite store", _mut_store, None),
    ("an index renamed (GSI2 -> GSI9)", _mut_gsi, None),
    ("an index key attribute renamed (GSI1PK -> gsi1pk)", _mut_gsi_key, None),
    ("TTL on another attribute (ttl)", _mut_ttl, None),
    ("the Orders table's default name changed", _mut_table_name, None),
    ("a misspelt environment variable (DYNAMO_TABLE)", _mut_env, None),
    ("the two table variables swapped", _mut_env_swap, None),
    ("the PostConfirmation trigger removed", _mut_trigger, None),
    ("a longer minimum password length", _mut_password, None),
    ("the ID token's lifetime in hours (3600 h)", _mut_token, None),
    ("an extra auth flow", _mut_flows, None),
    ("an app client secret", _mut_secret, None),
    ("dynamodb:Scan granted to the web role", _mut_wild, None),
    ("a Role naming a missing resource", _mut_ref, None),
    ("a custom attribute removed", _mut_custom, "trigger_c"),
    ("dynamodb:DeleteItem granted to PostConfirmation", _mut_trigger_grant, "trigger_c"),
]


def main():
    prog = sys.argv[1]
    path = sys.argv[2] if len(sys.argv) > 2 else os.path.join(ROOT, "deploy", "gatehouse.yaml")
    passed = failed = 0

    def report(ok, what):
        nonlocal passed, failed
        if ok is None:
            print("skip " + what)
            return
        if ok:
            passed += 1
        else:
            failed += 1
        print(("ok   " if ok else "FAIL ") + what)

    try:
        t = load_template(path)
    except (OSError, yaml.YAMLError) as e:
        report(False, "%s parses: %s" % (path, e))
        print("%d passed, %d failed" % (passed, failed))
        return 1
    report(True, "%s parses as CloudFormation YAML" % os.path.relpath(path, ROOT))
    code = code_names(prog, t)
    for note, key in (("src/lib/trigger.c", "trigger_c"), ("src/lib/store_dynamodb.c", "store_dynamodb_c")):
        if not code[key]:
            print("note: %s is not in this tree: the checks that need it are skipped" % note)
    for what, ok, detail in checks(t, code):
        if detail and not ok:
            what += " [" + detail + "]"
        report(ok, what)
    for what, mutate, needs in MUTATIONS:
        if needs and not code[needs]:
            continue
        m = copy.deepcopy(t)
        try:
            mutate(m)
            mcode = code_names(prog, m)
            caught = [w for w, ok, _ in checks(m, mcode) if ok is False]
        except (KeyError, IndexError, TypeError, AttributeError, StopIteration) as e:
            caught = ["the check itself tripped: %r" % e]
        report(bool(caught), "mutation caught: %s%s" % (what, " (by: %s)" % caught[0] if caught else ""))
    print("%d passed, %d failed" % (passed, failed))
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
