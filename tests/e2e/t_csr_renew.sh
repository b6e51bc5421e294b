# kpki-csr --renew from an openssl-made tree: the existing subjects and SANs
# are reproduced, new keys are staged (or the current ones reused), and a
# configuration that differs is reported and wins only with --prefer-config.
# A reused key must be of the type asked for and not the certificate's own;
# the bundle never replaces a key.
. "$KPKI_E2E/lib.sh"

CHECK="/usr/bin/python3 $E2E/csrcheck.py"
pki_tree t
keysum() { (cd t && find . -name '*.key' -exec sha256sum {} + | sort); }
keysum >orig

expect_status 0 kpki-csr --renew --cert-dir t/pki --kubeconfig-dir t/kubeconfig --bundle b.yaml
# super-admin.conf is there (the node where kubeadm init ran): renewed
$CHECK b.yaml example init
expect_grep "bundle fingerprint SHA256:" err
# the existing keys are untouched, a staged key per request, 0600
keysum | grep -v kpki-staging >now
same_file orig now
[ "$(find t/pki/kpki-staging -name '*.key' | wc -l)" -eq 12 ] || die "12 staged keys"
for k in t/pki/kpki-staging/*.key; do
	[ "$(stat -c %a "$k")" = 600 ] || die "$k: mode"
done
# without a configuration the key type is the certificate's (apiserver: RSA)
openssl pkey -in t/pki/kpki-staging/apiserver.key -noout -text | grep -q "2048 bit" ||
	die "apiserver renewal key type"
openssl pkey -in t/pki/kpki-staging/etcd-server.key -noout -text | grep -q "prime256v1" ||
	die "etcd-server renewal key type"
# a second renewal reuses the staged keys
keysum >staged
expect_status 0 kpki-csr --renew --cert-dir t/pki --kubeconfig-dir t/kubeconfig --bundle b2.yaml
keysum >staged2
same_file staged staged2
expect_grep "staged key, reused" err

# the bundle never lands on a key: not in the PKI directories...
expect_status 2 kpki-csr --renew --only apiserver --cert-dir t/pki --kubeconfig-dir t/kubeconfig \
	--bundle t/pki/ca.key
expect_grep "bundle 't/pki/ca.key': lies in the certificate directory 't/pki'" err
keysum >now
same_file staged now
# ...and not over any file that is no CSR bundle
cp -p t/pki/ca.key ca-copy.key
expect_status 1 kpki-csr --renew --only apiserver --cert-dir t/pki --kubeconfig-dir t/kubeconfig \
	--bundle ca-copy.key
expect_grep "bundle 'ca-copy.key': exists and holds a private key; refusing to replace it" err
cmp -s t/pki/ca.key ca-copy.key || die "the bundle replaced a key"
keysum >now
same_file staged now

# a staged key of another type than asked for is refused, with the fix
expect_status 1 kpki-csr --renew --key-type rsa4096 --only apiserver --cert-dir t/pki \
	--kubeconfig-dir t/kubeconfig --bundle k.yaml
expect_grep "profile 'apiserver': key 't/pki/kpki-staging/apiserver.key' is rsa2048, not the rsa4096 asked for by --key-type; remove it for a new key: rm 't/pki/kpki-staging/apiserver.key'" err
[ ! -e k.yaml ] || die "a refused run wrote a bundle"
rm t/pki/kpki-staging/apiserver.key
expect_status 0 kpki-csr --renew --key-type rsa4096 --only apiserver --cert-dir t/pki \
	--kubeconfig-dir t/kubeconfig --bundle k.yaml
openssl pkey -in t/pki/kpki-staging/apiserver.key -noout -text | grep -q "4096 bit" ||
	die "--key-type rsa4096"
# the configuration's encryptionAlgorithm (unset: RSA-2048) asks too
expect_status 1 kpki-csr --renew --config "$E2E/cluster.yaml" --cert-dir t/pki \
	--kubeconfig-dir t/kubeconfig --bundle k.yaml
expect_grep "is rsa4096, not the rsa2048 asked for by the encryptionAlgorithm of kubeadm config" err
rm -r t/pki/kpki-staging

# a staged key that is the certificate's own would renew nothing
mkdir -m 700 t/pki/kpki-staging
cp -p t/pki/etcd/server.key t/pki/kpki-staging/etcd-server.key
expect_status 1 kpki-csr --renew --only etcd-server --cert-dir t/pki \
	--kubeconfig-dir t/kubeconfig --bundle k.yaml
expect_grep "staged key 't/pki/kpki-staging/etcd-server.key' is the key of the certificate in place" err
rm t/pki/kpki-staging/etcd-server.key

# --reuse-key: the current key, checked against the certificate; not for kubeconfigs
expect_status 0 kpki-csr --renew --reuse-key --only apiserver,etcd-peer --cert-dir t/pki \
	--kubeconfig-dir t/kubeconfig --bundle r.yaml
/usr/bin/python3 - r.yaml t/pki/apiserver.key <<'PY' || die "--reuse-key did not use the key"
import sys, yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization as s
csr = x509.load_pem_x509_csr(yaml.safe_load(open(sys.argv[1]))["entries"][0]["csr"].encode())
key = s.load_pem_private_key(open(sys.argv[2], "rb").read(), None)
f = lambda k: k.public_bytes(s.Encoding.DER, s.PublicFormat.SubjectPublicKeyInfo)
sys.exit(f(csr.public_key()) != f(key.public_key()))
PY
expect_status 2 kpki-csr --renew --reuse-key --cert-dir t/pki --kubeconfig-dir t/kubeconfig \
	--bundle x.yaml
expect_grep "admin.conf" err
[ ! -e x.yaml ] || die "a refused run wrote a bundle"

# a configuration that agrees: no difference reported
expect_status 0 kpki-csr --renew --config "$E2E/cluster.yaml" --cert-dir t/pki \
	--kubeconfig-dir t/kubeconfig --bundle c.yaml
expect_no_grep "in the certificate, not in the configuration" err
$CHECK c.yaml example init

# a configuration whose certSANs differ: reported; the certificate wins...
sed 's/- api.example.internal/- api2.example.internal/' "$E2E/cluster.yaml" >c2.yaml
expect_status 0 kpki-csr --renew --config c2.yaml --cert-dir t/pki \
	--kubeconfig-dir t/kubeconfig --bundle d.yaml
expect_grep "apiserver: DNS SAN 'api.example.internal' is in the certificate, not in the configuration" err
expect_grep "apiserver: DNS SAN 'api2.example.internal' is in the configuration, not in the certificate" err
expect_grep "--prefer-config" err
$CHECK d.yaml example init
# ...unless --prefer-config
expect_status 0 kpki-csr --renew --prefer-config --config c2.yaml --cert-dir t/pki \
	--kubeconfig-dir t/kubeconfig --bundle p.yaml
$CHECK p.yaml example-api2 init

# a missing certificate is skipped with a note, an error when named
rm t/pki/front-proxy-client.crt
expect_status 0 kpki-csr --renew --cert-dir t/pki --kubeconfig-dir t/kubeconfig --bundle m.yaml
expect_grep "front-proxy-client: skipped" err
expect_no_grep "name: front-proxy-client" m.yaml
expect_status 1 kpki-csr --renew --only front-proxy-client --cert-dir t/pki \
	--kubeconfig-dir t/kubeconfig --bundle m2.yaml
expect_grep "front-proxy-client.crt" err
[ ! -e m2.yaml ] || die "a failed renewal wrote a bundle"

# --dry-run writes nothing
before=$(tree_sum t)
expect_status 0 kpki-csr --renew --dry-run --cert-dir t/pki --kubeconfig-dir t/kubeconfig
[ "$(tree_sum t)" = "$before" ] || die "--dry-run wrote something"

# an install kpki-kubeconfig did not finish (its intent file is there): no
# key is staged and no bundle written until that command has been rerun,
# not even a plan is made
rm -r t/pki/kpki-staging
mkdir -m 700 t/pki/kpki-staging
printf 'kpki-install-intent v3\n' >t/pki/kpki-staging/kpki-install.intent
before=$(tree_sum t)
expect_status 1 kpki-csr --renew --cert-dir t/pki --kubeconfig-dir t/kubeconfig --bundle i.yaml
expect_grep "kpki-csr: install intent 't/pki/kpki-staging/kpki-install.intent': an install was interrupted and is unfinished: rerun the interrupted kpki-kubeconfig command first, then this one" err
[ "$(tree_sum t)" = "$before" ] || die "kpki-csr wrote during an unfinished install"
[ ! -e i.yaml ] || die "kpki-csr wrote a bundle during an unfinished install"
expect_status 1 kpki-csr --renew --dry-run --cert-dir t/pki --kubeconfig-dir t/kubeconfig
expect_grep "an install was interrupted and is unfinished" err
# a link in its place stops it too (never followed)
rm t/pki/kpki-staging/kpki-install.intent
ln -s /dev/null t/pki/kpki-staging/kpki-install.intent
expect_status 1 kpki-csr --renew --cert-dir t/pki --kubeconfig-dir t/kubeconfig --bundle i.yaml
expect_grep "kpki-csr: 't/pki/kpki-staging/kpki-install.intent': is a symbolic link where kpki-kubeconfig keeps its install intent: no key is staged until it is removed" err
[ ! -e i.yaml ] || die "kpki-csr wrote a bundle past a planted intent link"
# the install finished: kpki-csr goes ahead
rm t/pki/kpki-staging/kpki-install.intent
expect_status 0 kpki-csr --renew --cert-dir t/pki --kubeconfig-dir t/kubeconfig --bundle i.yaml
[ "$(find t/pki/kpki-staging -name '*.key' | wc -l)" -gt 0 ] || die "no key staged"
