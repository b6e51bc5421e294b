#!/bin/sh
# make demo — the bundled example, end to end, in a scratch directory.
#
# Until kpki-csr, kpki-sign and kpki-kubeconfig exist, the PKI tree of the
# example cluster is made the way people make it today: by hand with openssl
# (tests/e2e/mkpki.sh). kpki-inspect then reports on it and verifies it.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=${KPKI_BIN:-$top/build}:$PATH
export KPKI_TEMPLATES_DIR=${KPKI_TEMPLATES_DIR:-$top/templates}
scratch=$(mktemp -d "${TMPDIR:-/tmp}/kpki-demo.XXXXXX")

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. a PKI tree for examples/kubeadm.yaml, made with openssl in $scratch"
# dated as kubeadm would date them today: from 5 minutes ago, 1 and 10 years
stamp() { date -u -d "$1" +%Y%m%d%H%M%SZ; }
MKPKI_START=$(stamp '-5 min') MKPKI_LEAF_END=$(stamp '+365 days') \
	MKPKI_CA_END=$(stamp '+3650 days') sh "$top/tests/e2e/mkpki.sh" "$scratch"
(cd "$scratch" && find pki kubeconfig -type f | sort | sed 's/^/   /')

step "2. kpki-inspect: the expiration report, as kubeadm certs check-expiration prints it"
kpki-inspect --cert-dir "$scratch/pki" --kubeconfig-dir "$scratch/kubeconfig"

step "3. kpki-inspect --verify: every certificate against its kubeadm profile"
kpki-inspect --verify --config "$top/examples/kubeadm.yaml" \
	--cert-dir "$scratch/pki" --kubeconfig-dir "$scratch/kubeconfig"
echo "   no problems found"

step "4. kpki-inspect FILE: what the API server certificate says"
kpki-inspect "$scratch/pki/apiserver.crt"

step "5. a monitoring check: does anything expire within 400 days? (exit 3 = yes)"
status=0
kpki-inspect --warn-within 400d --cert-dir "$scratch/pki" \
	--kubeconfig-dir "$scratch/kubeconfig" >/dev/null || status=$?
echo "   kpki-inspect --warn-within 400d exited $status"
[ "$status" -eq 3 ]

printf '\nThe tree is left in %s for you to explore.\n' "$scratch"
