# lib.sh — sourced by the end-to-end tests. Each test runs in its own
# scratch directory (the current directory) and fails on the first `die`.
set -eu

E2E=${KPKI_E2E:?}
BIN=${KPKI_BIN:?}
PATH=$BIN:$PATH
export PATH
# Reports are made as of 2026-01-01T00:00:00Z so that the expected output
# below stays right whatever day the tests run.
NOW_2026=1767225600

die() {
	echo "FAILED: $*" >&2
	exit 1
}

# expect_status WANT CMD... — runs CMD, stdout to ./out, stderr to ./err
expect_status() {
	want=$1
	shift
	set +e
	"$@" >out 2>err
	got=$?
	set -e
	if [ "$got" -ne "$want" ]; then
		echo "--- stdout" >&2
		cat out >&2
		echo "--- stderr" >&2
		cat err >&2
		die "'$*' exited $got, expected $want"
	fi
}

# expect_grep PATTERN FILE — FILE holds a line matching the fixed string
expect_grep() {
	grep -qF -- "$1" "$2" || {
		cat "$2" >&2
		die "'$2' lacks: $1"
	}
}

expect_no_grep() {
	if grep -qF -- "$1" "$2"; then
		cat "$2" >&2
		die "'$2' should not contain: $1"
	fi
}

# same_file EXPECTED ACTUAL — byte-for-byte, with a diff on failure
same_file() {
	cmp -s "$1" "$2" || {
		diff -u "$1" "$2" >&2 || true
		die "'$2' differs from '$1'"
	}
}

# A fresh copy of the openssl-made tree (built once per test run).
pki_tree() {
	sh "$E2E/mkpki.sh" "$1"
}

# tree checksum, for "nothing changed" checks
tree_sum() {
	(cd "$1" && find . -type f -exec sha256sum {} + | sort && find . -printf '%p %m %y\n' | sort) |
		sha256sum
}
