#!/bin/sh
# SPDX-License-Identifier: MIT
# The systemd units pass "systemd-analyze verify", and "systemd-analyze security" rates the
# service "OK" or better (overall exposure at most 4.9). verify needs ExecStart='s binary to
# exist, so it checks a copy of the configured unit that starts the built cadmond instead;
# --man=no because cadmond(8) is not installed yet.
#   systemd_units_test.sh CONFIGURED_SERVICE SOCKET BUILT_CADMOND
set -eu

service=$1 socket=$2 cadmond=$3
max_exposure=4.9

command -v systemd-analyze >/dev/null 2>&1 || { echo "systemd-analyze not found: skipping"; exit 77; }
units=$(mktemp -d "${TMPDIR:-/tmp}/cadmon-units-XXXXXX")
trap 'rm -rf "$units"' EXIT

sed "s|^ExecStart=[^ ]*|ExecStart=$cadmond|" "$service" >"$units/cadmond.service"
cp "$socket" "$units/cadmond.socket"

echo "== systemd-analyze verify --man=no cadmond.service cadmond.socket"
systemd-analyze verify --man=no "$units/cadmond.service" "$units/cadmond.socket"
echo "verify: OK"

echo "== systemd-analyze security --offline=true cadmond.service"
report=$(systemd-analyze security --offline=true "$units/cadmond.service")
printf '%s\n' "$report" | grep -v '^✓' || true
overall=$(printf '%s\n' "$report" | sed -n 's/.*Overall exposure level for cadmond.service: \([0-9.]*\) \([A-Z]*\).*/\1 \2/p')
[ -n "$overall" ] || { echo "FAIL: no overall exposure level in the report" >&2; exit 1; }
exposure=${overall% *}
echo "exposure: $overall (at most $max_exposure required)"
awk -v e="$exposure" -v max="$max_exposure" 'BEGIN { exit !(e <= max) }' ||
	{ echo "FAIL: exposure $exposure above $max_exposure" >&2; exit 1; }
