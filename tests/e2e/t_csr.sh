# kpki-csr: a new control-plane node's keys and requests, file modes under
# two umasks, no key text in the bundle, a second run changes no key,
# --dry-run writes nothing, the command line and the man page.
. "$KPKI_E2E/lib.sh"

DATA=${KPKI_TESTDATA:?}
EX=$E2E/../../examples/kubeadm.yaml
CHECK="/usr/bin/python3 $E2E/csrcheck.py"

# no key text of $1 in bundle $2: the base64 of each key line by line
no_key_in() {
	grep -v -- '-----' "$1" | while read -r line; do
		if grep -qF -- "$line" "$2"; then
			die "a line of '$1' is in '$2'"
		fi
	done
}

for mask in 077 000; do
	rm -rf n && mkdir n
	(umask $mask && kpki-csr --config "$EX" --cert-dir n/pki --kubeconfig-dir n \
		--bundle n/b.yaml) >out 2>err || { cat err >&2; die "kpki-csr (umask $mask)"; }
	[ ! -s out ] || die "standard output is for the bundle only"
	expect_grep "kpki-csr: bundle fingerprint SHA256:" err
	$CHECK n/b.yaml example
	keys=$(find n/pki -name '*.key' | wc -l)
	[ "$keys" -eq 12 ] || die "12 keys expected, found $keys"
	for k in $(find n/pki -name '*.key'); do
		[ "$(stat -c %a "$k")" = 600 ] || die "$k: mode $(stat -c %a "$k") (umask $mask)"
		no_key_in "$k" n/b.yaml
	done
	[ "$(stat -c %a n/pki/kpki-staging)" = 700 ] || die "staging dir mode (umask $mask)"
	[ -f n/pki/apiserver.key ] && [ -f n/pki/etcd/server.key ] || die "final key paths"
	[ -f n/pki/kpki-staging/admin.conf.key ] || die "staged kubeconfig key"
	# no temporary file is left anywhere
	[ -z "$(find n -name '.*tmp*')" ] || die "temporary files left: $(find n -name '.*tmp*')"
done
expect_no_grep "PRIVATE KEY" n/b.yaml

# a second run leaves every key byte-identical, and makes the same requests
(cd n/pki && find . -name '*.key' -exec sha256sum {} + | sort) >before
expect_status 0 kpki-csr --config "$EX" --cert-dir n/pki --kubeconfig-dir n --bundle n/b2.yaml
expect_grep "pending request" err
(cd n/pki && find . -name '*.key' -exec sha256sum {} + | sort) >after
same_file before after
$CHECK n/b2.yaml example
# the same keys: the same public keys in the requests
for b in b b2; do
	/usr/bin/python3 - "n/$b.yaml" >"$b.pub" <<'PY'
import sys, yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization as s
for e in yaml.safe_load(open(sys.argv[1]))["entries"]:
    k = x509.load_pem_x509_csr(e["csr"].encode()).public_key()
    print(e["name"], k.public_bytes(s.Encoding.DER, s.PublicFormat.SubjectPublicKeyInfo).hex())
PY
done
same_file b.pub b2.pub

# the bundle on standard output, progress on standard error
expect_status 0 kpki-csr --config "$EX" --cert-dir n/pki --kubeconfig-dir n --bundle -
expect_grep "kpki-bundle: v1" out
expect_no_grep "kpki-bundle" err
expect_grep "bundle fingerprint" err

# --dry-run: the plan, and nothing written
rm -rf d && mkdir d
before=$(tree_sum d)
expect_status 0 kpki-csr --config "$EX" --cert-dir d/pki --kubeconfig-dir d --dry-run \
	--bundle d/b.yaml
expect_grep "d/pki/apiserver.key" err
expect_grep "d/pki/kpki-staging/admin.conf.key" err
expect_grep "DNS SANs: api.example.internal, cp-1, k8s.example.internal" err
expect_grep "IP SANs: 10.96.0.1, 10.0.0.10, 10.0.0.100" err
expect_grep "bundle: 'd/b.yaml'" err
[ ! -s out ] || die "--dry-run printed to standard output"
[ "$(tree_sum d)" = "$before" ] || die "--dry-run wrote something"
[ -z "$(ls -A d)" ] || die "--dry-run wrote something"

# an existing certificate: the new key is staged, the old one untouched
rm -rf s && mkdir s
expect_status 0 kpki-csr --config "$EX" --cert-dir s/pki --kubeconfig-dir s --only apiserver \
	--bundle s/b.yaml
sha256sum s/pki/apiserver.key >s.sum
: >s/pki/apiserver.crt
expect_status 0 kpki-csr --config "$EX" --cert-dir s/pki --kubeconfig-dir s --only apiserver \
	--bundle s/b.yaml
sha256sum -c s.sum >/dev/null || die "the existing key changed"
[ "$(stat -c %a s/pki/kpki-staging/apiserver.key)" = 600 ] || die "staged key mode"
/usr/bin/python3 - s/b.yaml s/pki/kpki-staging/apiserver.key <<'PY' || die "staged key is not the request's"
import sys, yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization as s
csr = x509.load_pem_x509_csr(yaml.safe_load(open(sys.argv[1]))["entries"][0]["csr"].encode())
key = s.load_pem_private_key(open(sys.argv[2], "rb").read(), None)
f = lambda k: k.public_bytes(s.Encoding.DER, s.PublicFormat.SubjectPublicKeyInfo)
sys.exit(f(csr.public_key()) != f(key.public_key()))
PY

# the kubeadm v1.22 to v1.28 set: system:masters, no super-admin.conf
rm -rf o && mkdir o
expect_status 0 kpki-csr --config "$EX" --profiles kubeadm-v1.22 --cert-dir o/pki \
	--kubeconfig-dir o --bundle o/b.yaml
expect_grep "profiles: kubeadm-v1.22" o/b.yaml
$CHECK o/b.yaml example-v1.22

# the command line
expect_status 0 kpki-csr --help
expect_grep "--bundle" out
expect_status 0 kpki-csr --version
expect_grep "kpki-csr " out
expect_status 2 kpki-csr --no-such-option
expect_grep "kpki-csr:" err
expect_status 2 kpki-csr --cert-dir x --bundle -
expect_grep "--config is required" err
expect_status 2 kpki-csr --config "$EX" --bundle - --only apiserver,no-such-profile
expect_grep "profile 'no-such-profile'" err
expect_status 2 kpki-csr --config "$EX" --bundle - --only ca
expect_status 2 kpki-csr --config "$EX" --bundle - --node-role boss
expect_status 2 kpki-csr --config "$EX" --bundle - --key-type dsa
expect_status 2 kpki-csr --config "$EX" --bundle - --reuse-key
expect_status 2 kpki-csr --config "$EX"
expect_grep "--bundle" err
expect_status 1 kpki-csr --config "$EX" --cert-dir x --bundle - --key-type ed25519
expect_grep "Ed25519" err
[ ! -e x ] || die "a refused run wrote something"
man=$E2E/../../man/kpki-csr.1
kpki-csr --help >help.txt
for opt in $(grep -o -- '--[a-z][a-z-]*' help.txt | sort -u); do
	grep -q -- "Fl -${opt#--}" "$man" || die "man page lacks $opt"
done
kpki-csr --version <&- >v.txt || die "closed stdin"
