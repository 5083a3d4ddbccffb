#!/bin/sh
# iac.sh: the CloudFormation template (deploy/gatehouse.yaml) against the
# code's table, index, attribute, environment and trigger names
# (tests/iac/check_iac.py with tests/iac/iac-names.c). Needs PyYAML
# (python3-yaml). Last line "N passed, N failed".
set -u
cd "$(dirname "$0")/../.." || exit 1
B=build/${BUILD:-release}
[ -x "$B/tests/iac-names" ] || make -s BUILD="${BUILD:-release}" "$B/tests/iac-names" >&2 ||
	{ echo "0 passed, 1 failed"; exit 1; }
exec python3 tests/iac/check_iac.py "$B/tests/iac-names" deploy/gatehouse.yaml
