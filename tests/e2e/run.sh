#!/bin/sh
# Runs every tests/e2e/t_*.sh against the built tools in $KPKI_BIN and
# prints one line per test and a closing "N passed, N failed" line.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${KPKI_BIN:?KPKI_BIN must name the directory of the built tools}"
export KPKI_E2E="$here"
pass=0
fail=0
failed=""
for t in "$here"/t_*.sh; do
	[ -n "${E2E_ONLY:-}" ] && case $(basename "$t") in *"$E2E_ONLY"*) ;; *) continue ;; esac
	name=$(basename "$t" .sh)
	work=$(mktemp -d "${TMPDIR:-/tmp}/kpki-e2e.XXXXXX")
	if (cd "$work" && sh "$t") >"$work.log" 2>&1; then
		pass=$((pass + 1))
		echo "PASS $name"
	else
		fail=$((fail + 1))
		failed="$failed $name"
		echo "FAIL $name"
		sed 's/^/    /' "$work.log"
	fi
	rm -rf "$work" "$work.log"
done
echo
echo "e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
