"""test_config_drift.py: lighttpd.conf and apache.conf route the same programs.

Every program (src/routes/<name>.c, cgi-bin/<name>) must be routed by both
configurations, and both must route exactly the programs of the contract's
URL layout, under the same paths.  Live routing is checked per server in
test_foundation.test_routing_reaches_the_right_program.
"""

import glob
import os
import re

from harness import ROOT, CGI, Skip

# The programs of the URL layout (CONTRACT.md).
CONTRACT = {
    "health", "config", "idp", "idp-wellknown", "sso-authorize",
    "sso-check-app-user", "sso-init-session", "sso-get-session", "orders",
    "catalog", "user-profile", "partner-app", "partner-solutions",
    "admin-users", "admin-apps",
}

# Sample paths and the program that must serve them (the same table the
# configurations are written from; Apache's regexes are checked against it).
SAMPLES = [
    ("/api/health", "health"), ("/api/nope", "health"),
    ("/sso/api/nope", "health"), ("/config.json", "config"),
    ("/sso/config.json", "config"), ("/support/config.json", "config"),
    ("/idp", "idp"), ("/idp/", "idp"),
    ("/idp/p/.well-known/jwks.json", "idp-wellknown"),
    ("/idp/p/.well-known/openid-configuration", "idp-wellknown"),
    ("/sso/api/authorize", "sso-authorize"),
    ("/sso/api/check-app-user", "sso-check-app-user"),
    ("/sso/api/init-session", "sso-init-session"),
    ("/sso/api/get-session", "sso-get-session"),
    ("/api/orders", "orders"), ("/api/catalog", "catalog"),
    ("/api/user/profile", "user-profile"), ("/api/partner/app", "partner-app"),
    ("/api/partner/solutions", "partner-solutions"),
    ("/api/partner/solutions/x", "partner-solutions"),
    ("/api/admin/users", "admin-users"), ("/api/admin/users/x", "admin-users"),
    ("/api/admin/apps", "admin-apps"), ("/api/admin/apps/x", "admin-apps"),
]


def read(name):
    with open(os.path.join(ROOT, name)) as f:
        return f.read()


def lighttpd_programs():
    return set(re.findall(r'var\.gh_cgi \+ "/([a-z0-9-]+)"', read("lighttpd.conf")))


def apache_routes():
    """[(regex, program)] in file order (later sections win)."""
    text = read("apache.conf")
    out = []
    for m in re.finditer(r'<LocationMatch "([^"]+)">\s*SetHandler "proxy:unix:'
                         r'\$\{GATEHOUSE_RUN\}/([a-z0-9-]+)\.sock\|fcgi://gh-\2"',
                         text):
        out.append((m.group(1), m.group(2)))
    return out


def sources():
    return {os.path.basename(p)[:-2] for p in
            glob.glob(os.path.join(ROOT, "src", "routes", "*.c"))}


def built():
    return {os.path.basename(p) for p in glob.glob(os.path.join(CGI, "*"))
            if os.access(p, os.X_OK) and os.path.isfile(p)}


def test_lighttpd_routes_the_contract():
    progs = lighttpd_programs()
    assert progs == CONTRACT, "lighttpd.conf: extra %s, missing %s" % (
        sorted(progs - CONTRACT), sorted(CONTRACT - progs))


def test_apache_routes_the_contract():
    progs = {p for _, p in apache_routes()}
    assert progs == CONTRACT, "apache.conf: extra %s, missing %s" % (
        sorted(progs - CONTRACT), sorted(CONTRACT - progs))


def test_apache_paths_match_the_layout():
    routes = apache_routes()
    for path, want in SAMPLES:
        got = None
        for rx, prog in routes:
            if re.search(rx, path):
                got = prog
        assert got == want, "apache.conf sends %s to %s, want %s" % (
            path, got, want)
    for path in ("/", "/apix", "/idpx", "/sso/", "/support/x", "/ssox"):
        hits = [p for rx, p in routes if re.search(rx, path)]
        assert not hits, "apache.conf sends static path %s to %s" % (path, hits)


def test_every_program_is_routed():
    progs = sources() | built()
    unrouted = progs - (lighttpd_programs() & {p for _, p in apache_routes()})
    assert not unrouted, "programs routed by neither or only one of " \
        "lighttpd.conf/apache.conf: %s" % sorted(unrouted)


def test_every_routed_program_has_a_source():
    missing = CONTRACT - sources()
    if missing:
        raise Skip("routed, not written yet: %s" % " ".join(sorted(missing)))
