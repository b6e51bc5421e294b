# kpki-csr: a new control-plane node's keys and requests, file modes under
# two umasks, no key text in the bundle, a second run changes no key,
# super-admin.conf only when asked for, --dry-run writes nothing, a failed
# run leaves nothing behind, the command line and the man page.
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
		--bundle b.yaml) >out 2>err || { cat err >&2; die "kpki-csr (umask $mask)"; }
	[ ! -s out ] || die "standard output is for the bundle only"
	expect_grep "kpki-csr: bundle fingerprint SHA256:" err
	expect_grep "super-admin.conf: requested: this node runs 'kubeadm init'" err
	$CHECK b.yaml example init
	keys=$(find n/pki -name '*.key' | wc -l)
	[ "$keys" -eq 12 ] || die "12 keys expected, found $keys"
	for k in $(find n/pki -name '*.key'); do
		[ "$(stat -c %a "$k")" = 600 ] || die "$k: mode $(stat -c %a "$k") (umask $mask)"
		no_key_in "$k" b.yaml
	done
	[ "$(stat -c %a n/pki/kpki-staging)" = 700 ] || die "staging dir mode (umask $mask)"
	[ -f n/pki/apiserver.key ] && [ -f n/pki/etcd/server.key ] || die "final key paths"
	[ -f n/pki/kpki-staging/admin.conf.key ] || die "staged kubeconfig key"
	# no temporary file is left anywhere
	[ -z "$(find n -name '.*tmp*')" ] || die "temporary files left: $(find n -name '.*tmp*')"
done
expect_no_grep "PRIVATE KEY" b.yaml

# a second run leaves every key byte-identical, and makes the same requests;
# it writes the bundle again (replacing b.yaml, an older bundle)
(cd n/pki && find . -name '*.key' -exec sha256sum {} + | sort) >before
cp b.yaml b1.yaml
expect_status 0 kpki-csr --config "$EX" --cert-dir n/pki --kubeconfig-dir n --bundle b.yaml
expect_grep "pending request" err
(cd n/pki && find . -name '*.key' -exec sha256sum {} + | sort) >after
same_file before after
$CHECK b.yaml example init
mv b.yaml b2.yaml
mv b1.yaml b.yaml
# the same keys: the same public keys in the requests
for b in b b2; do
	/usr/bin/python3 - "$b.yaml" >"$b.pub" <<'PY'
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

# super-admin.conf when asked for (the node where kubeadm init runs)
rm -rf i && mkdir i
expect_status 0 kpki-csr --config "$EX" --cert-dir i/pki --kubeconfig-dir i \
	--only super-admin.conf --bundle i.yaml
[ -f i/pki/kpki-staging/super-admin.conf.key ] || die "super-admin.conf key"
expect_grep "name: super-admin.conf" i.yaml
expect_no_grep "not requested" err

# a failed run leaves nothing behind: no key, no directory (the bundle, on
# a standard output that cannot be written, is written last)
rm -rf f && mkdir f
before=$(tree_sum f)
expect_status 1 sh -c "kpki-csr --config '$EX' --cert-dir f/pki --kubeconfig-dir f \
	--bundle - >/dev/full"
expect_grep "standard output: cannot write" err
[ -z "$(ls -A f)" ] || die "a failed run left: $(find f)"
[ "$(tree_sum f)" = "$before" ] || die "a failed run changed something"

# an existing certificate: the new key is staged, the old one untouched
rm -rf s && mkdir s
expect_status 0 kpki-csr --config "$EX" --cert-dir s/pki --kubeconfig-dir s --only apiserver \
	--bundle s.yaml
sha256sum s/pki/apiserver.key >s.sum
openssl req -new -x509 -key s/pki/apiserver.key -subj /CN=kube-apiserver -days 1 \
	-out s/pki/apiserver.crt 2>/dev/null
expect_status 0 kpki-csr --config "$EX" --cert-dir s/pki --kubeconfig-dir s --only apiserver \
	--bundle s.yaml
sha256sum -c s.sum >/dev/null || die "the existing key changed"
[ "$(stat -c %a s/pki/kpki-staging/apiserver.key)" = 600 ] || die "staged key mode"
/usr/bin/python3 - s.yaml s/pki/kpki-staging/apiserver.key <<'PY' || die "staged key is not the request's"
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
	--kubeconfig-dir o --bundle o.yaml
expect_grep "profiles: kubeadm-v1.22" o.yaml
$CHECK o.yaml example-v1.22

# the command line
expect_status 0 kpki-csr --help
expect_grep "--bundle" out
expect_status 0 kpki-csr --version
expect_grep "kpki-csr " out
expect_status 2 kpki-csr --no-such-option
expect_grep "kpki-csr:" err
expect_status 2 kpki-csr --cert-dir x --bundle -
expect_grep "a kubeadm configuration is needed" err
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
# the SYNOPSIS is the usage of --help
sed -n '1s/^Usage: //p; 2s/^   or: //p' help.txt >usage.txt
[ "$(wc -l <usage.txt)" -eq 2 ] || die "--help: two forms of usage expected"
MANWIDTH=200 man -l "$man" 2>/dev/null | sed -n '/^SYNOPSIS/,/^DESCRIPTION/p' |
	sed -n 's/^ *\(kpki-csr .*\)/\1/p' >synopsis.txt
same_file usage.txt synopsis.txt
kpki-csr --version <&- >v.txt || die "closed stdin"
