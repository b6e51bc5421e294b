#!/bin/sh
# make demo — the whole external-CA workflow on the example cluster, in a
# scratch directory: a CA host and a node, a CSR bundle handed from one to
# the other and back, the node's PKI checked, then a renewal.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
PATH=${KPKI_BIN:-$top/build}:$PATH
export KPKI_TEMPLATES_DIR=${KPKI_TEMPLATES_DIR:-$top/templates}
S=$(mktemp -d "${TMPDIR:-/tmp}/kpki-demo.XXXXXX")
ca=$S/ca-host/ca
node=$S/node
hand=$S/handoff
mkdir -p "$S/ca-host" "$node" "$hand"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

step "1. CA host: create the kubeadm CAs (ca, etcd/ca, front-proxy-ca)"
run kpki-sign --init --ca-dir "$ca"

step "2. node: keys (they stay here, mode 0600) and CSRs without usages, in one bundle"
run kpki-csr --config "$top/examples/kubeadm.yaml" --cert-dir "$node/pki" \
	--kubeconfig-dir "$node" --bundle "$hand/cp-1.bundle" 2>"$S/csr.log"
cat "$S/csr.log"
fp=$(sed -n 's/.*bundle fingerprint \(SHA256:[0-9a-f]*\).*/\1/p' "$S/csr.log")
echo "   (the node's operator reads $fp to the CA team by phone)"

step "3. CA host: check every CSR against its profile and the policy, sign, record"
run kpki-sign --ca-dir "$ca" --policy "$top/examples/policy.yaml" \
	--bundle "$hand/cp-1.bundle" --expect-fingerprint "$fp" --out "$hand/cp-1.signed"

step "4. node: install the certificates and write the kubeconfigs (first install)"
cafps=""
for f in ca etcd/ca front-proxy-ca; do
	cafps="$cafps --expect-ca-fingerprint SHA256:$(openssl x509 -in "$ca/$f.crt" -outform DER |
		sha256sum | cut -d' ' -f1)"
done
# shellcheck disable=SC2086
run kpki-kubeconfig --signed "$hand/cp-1.signed" --cert-dir "$node/pki" --kubeconfig-dir "$node" \
	--config "$top/examples/kubeadm.yaml" --trust-bundle-ca $cafps

step "5. anywhere: the expiration report, as kubeadm certs check-expiration prints it"
run kpki-inspect --cert-dir "$node/pki" --kubeconfig-dir "$node"

step "6. node: every certificate against its profile and the configuration"
run kpki-inspect --verify --config "$top/examples/kubeadm.yaml" --cert-dir "$node/pki" \
	--kubeconfig-dir "$node"
echo "   no problems found"

step "7. a year later: renew from the certificates in place, sign, swap in with a backup"
run kpki-csr --renew --cert-dir "$node/pki" --kubeconfig-dir "$node" \
	--bundle "$hand/cp-1-renew.bundle" 2>"$S/renew.log"
cat "$S/renew.log"
rfp=$(sed -n 's/.*bundle fingerprint \(SHA256:[0-9a-f]*\).*/\1/p' "$S/renew.log")
run kpki-sign --ca-dir "$ca" --policy "$top/examples/policy.yaml" \
	--bundle "$hand/cp-1-renew.bundle" --expect-fingerprint "$rfp" \
	--out "$hand/cp-1-renew.signed"
run kpki-kubeconfig --signed "$hand/cp-1-renew.signed" --cert-dir "$node/pki" \
	--kubeconfig-dir "$node" --config "$top/examples/kubeadm.yaml"
run kpki-inspect --verify --config "$top/examples/kubeadm.yaml" --cert-dir "$node/pki" \
	--kubeconfig-dir "$node"
echo "   no problems found; the previous pairs are in:"
find "$node" -maxdepth 2 -type d -name 'kpki-backup-*' | sed 's/^/   /'

step "8. CA host: the ledger of every issuance"
run kpki-inspect --ledger "$ca"

printf '\nEverything is left in %s for you to explore.\n' "$S"
