# kpki-kubeconfig: the whole node flow (CA, CSRs, signing, install) ends in
# a PKI directory kpki-inspect --verify accepts; a rerun changes nothing; a
# renewal leaves the old pairs in a backup; --trust-bundle-ca installs the
# CAs only with their confirmed fingerprints; --embed=false writes file
# references and the kubelet's own layout; one kubeconfig to stdout.
. "$KPKI_E2E/lib.sh"
top=$E2E/../..
cfg=$top/examples/kubeadm.yaml
pol=$top/examples/policy.yaml

kpki-sign --init --ca-dir ca 2>/dev/null || die "init"
kpki-csr --config "$cfg" --cert-dir node/pki --kubeconfig-dir node --bundle b.yaml \
	2>/dev/null || die "kpki-csr"
kpki-sign --ca-dir ca --policy "$pol" --bundle b.yaml --out s.yaml 2>/dev/null || die "sign"
cp -a node fresh # for the --trust-bundle-ca and --embed=false passes

# external-CA mode: the CA certificates (no keys) are on the node first
mkdir -p node/pki/etcd
cp ca/ca.crt ca/front-proxy-ca.crt node/pki/
cp ca/etcd/ca.crt node/pki/etcd/
install="--signed s.yaml --cert-dir node/pki --kubeconfig-dir node --config $cfg"

# a dry run writes nothing
before=$(tree_sum node)
expect_status 0 kpki-kubeconfig $install --dry-run
expect_grep "would install 'node/pki/apiserver.crt'" err
[ "$(tree_sum node)" = "$before" ] || die "--dry-run changed the tree"

expect_status 0 kpki-kubeconfig $install
expect_grep "installed 'node/pki/etcd/server.crt'" err
expect_grep "installed 'node/admin.conf' (user 'kubernetes-admin', cluster 'kubernetes', server 'https://k8s.example.internal:6443')" err
expect_grep "installed 'node/scheduler.conf' (user 'system:kube-scheduler', cluster 'kubernetes', server 'https://10.0.0.10:6443')" err
[ ! -e node/pki/kpki-staging ] || die "the emptied staging directory is still there"
[ ! -e node/tmp ] || die "a backup was made though nothing was replaced"
for f in apiserver apiserver-kubelet-client front-proxy-client apiserver-etcd-client \
	etcd/server etcd/peer etcd/healthcheck-client; do
	[ "$(stat -c %a node/pki/$f.crt)" = 644 ] || die "$f.crt mode"
	[ "$(stat -c %a node/pki/$f.key)" = 600 ] || die "$f.key mode"
done
for f in admin controller-manager scheduler kubelet; do
	[ "$(stat -c %a node/$f.conf)" = 600 ] || die "$f.conf mode"
done
expect_status 0 kpki-inspect --verify --config "$cfg" --cert-dir node/pki --kubeconfig-dir node
expect_status 0 kpki-inspect --config "$cfg" --cert-dir node/pki --kubeconfig-dir node
for n in admin.conf apiserver apiserver-etcd-client apiserver-kubelet-client \
	controller-manager.conf etcd-healthcheck-client etcd-peer etcd-server \
	front-proxy-client scheduler.conf; do
	grep -q "^$n " out || die "the expiration report lacks $n"
done
# the certificates in place are the bundle's, and the kubeconfigs hold the CA
/usr/bin/python3 - <<'PY' || die "installed files differ from the bundle"
import base64, yaml
doc = yaml.safe_load(open("s.yaml"))
ca = open("node/pki/ca.crt").read()
for e in doc["entries"]:
    if e["location"] == "cert-dir":
        assert open("node/pki/" + e["path"]).read() == e["certificate"], e["name"]
    else:
        kc = yaml.safe_load(open("node/" + e["path"]))
        u = kc["users"][0]["user"]
        assert base64.b64decode(u["client-certificate-data"]).decode() == e["certificate"]
        c = kc["clusters"][0]["cluster"]
        assert base64.b64decode(c["certificate-authority-data"]).decode() == ca
PY

# the same command again: everything is in place, nothing changes
before=$(tree_sum node)
expect_status 0 kpki-kubeconfig $install
expect_grep "already installed 'node/pki/apiserver.crt'" err
expect_grep "already installed 'node/kubelet.conf'" err
[ "$(tree_sum node)" = "$before" ] || die "a rerun changed the tree"

# renewal: new keys staged, signed, installed; the old pairs are backed up
cp -a node old
kpki-csr --renew --cert-dir node/pki --kubeconfig-dir node --bundle r.yaml 2>/dev/null ||
	die "kpki-csr --renew"
kpki-sign --ca-dir ca --policy "$pol" --bundle r.yaml --out rs.yaml 2>/dev/null || die "sign r"
expect_status 0 kpki-kubeconfig --signed rs.yaml --cert-dir node/pki --kubeconfig-dir node
set -- node/tmp/kpki-backup-*
[ $# -eq 1 ] && [ -d "$1" ] || die "no single backup folder: $*"
bk=$1
[ "$(stat -c %a node/tmp)" = 700 ] && [ "$(stat -c %a "$bk")" = 700 ] || die "backup modes"
for f in apiserver.crt apiserver.key etcd/peer.crt etcd/peer.key front-proxy-client.key; do
	cmp -s "old/pki/$f" "$bk/pki/$f" || die "backup of $f is not the old file"
	cmp -s "old/pki/$f" "node/pki/$f" && die "$f was not replaced"
done
for f in admin.conf kubelet.conf scheduler.conf controller-manager.conf; do
	cmp -s "old/$f" "$bk/$f" || die "backup of $f is not the old file"
done
[ ! -e node/pki/kpki-staging ] || die "staged keys left behind"
# the servers were kept from the kubeconfigs in place (no --config)
expect_grep "server 'https://10.0.0.10:6443')" err
expect_status 0 kpki-inspect --verify --config "$cfg" --cert-dir node/pki --kubeconfig-dir node

# --trust-bundle-ca: a wrong fingerprint is refused and nothing is written
fps=$(/usr/bin/python3 - <<'PY'
import hashlib, yaml, ssl
doc = yaml.safe_load(open("s.yaml"))
for pem in doc["ca-certificates"]:
    print("SHA256:" + hashlib.sha256(ssl.PEM_cert_to_DER_cert(pem)).hexdigest())
PY
)
[ "$(echo "$fps" | wc -l)" = 3 ] || die "three CAs expected in the bundle"
cp -a fresh first
before=$(tree_sum first)
bad=SHA256:$(printf '%064d' 0)
expect_status 2 kpki-kubeconfig --signed s.yaml --cert-dir first/pki --kubeconfig-dir first \
	--trust-bundle-ca
expect_status 3 kpki-kubeconfig --signed s.yaml --cert-dir first/pki --kubeconfig-dir first \
	--config "$cfg" --trust-bundle-ca --expect-ca-fingerprint $bad
expect_grep "refused: bundle CA certificate 1 (CN 'kubernetes'): its fingerprint SHA256:" err
expect_grep "is none of those given with --expect-ca-fingerprint; compare with what the CA team read out to you, never with this line" err
grep -q "installed '" err && die "a refused install says it installed something"
[ "$(tree_sum first)" = "$before" ] || die "a refused install changed the tree"
# without the flag the missing CA is refused, with its remedy
expect_status 3 kpki-kubeconfig --signed s.yaml --cert-dir first/pki --kubeconfig-dir first \
	--config "$cfg"
expect_grep "is not in the cert dir: copy the cluster's CA certificate there first" err
[ "$(tree_sum first)" = "$before" ] || die "a refused install changed the tree"
# two of the three fingerprints are not enough
set -- $fps
expect_status 3 kpki-kubeconfig --signed s.yaml --cert-dir first/pki --kubeconfig-dir first \
	--config "$cfg" --trust-bundle-ca --expect-ca-fingerprint "$1" --expect-ca-fingerprint "$2"
[ "$(tree_sum first)" = "$before" ] || die "a refused install changed the tree"
# kpki-inspect's colon form and bare hex are taken too
fp2=$(echo "${2#SHA256:}" | sed 's/../&:/g; s/:$//')
expect_status 0 kpki-kubeconfig --signed s.yaml --cert-dir first/pki --kubeconfig-dir first \
	--config "$cfg" --trust-bundle-ca --expect-ca-fingerprint "$1" \
	--expect-ca-fingerprint "$fp2" --expect-ca-fingerprint "${3#SHA256:}"
cmp -s ca/ca.crt first/pki/ca.crt && cmp -s ca/etcd/ca.crt first/pki/etcd/ca.crt &&
	cmp -s ca/front-proxy-ca.crt first/pki/front-proxy-ca.crt || die "CAs not installed"
[ ! -e first/pki/ca.key ] || die "a CA key appeared"
expect_status 0 kpki-inspect --verify --config "$cfg" --cert-dir first/pki --kubeconfig-dir first

# --embed=false: file references, and for kubelet.conf the kubelet's layout
cp -a fresh refs
mkdir -p refs/pki/etcd refs/kubelet
cp ca/ca.crt ca/front-proxy-ca.crt refs/pki/
cp ca/etcd/ca.crt refs/pki/etcd/
expect_status 0 kpki-kubeconfig --signed s.yaml --cert-dir refs/pki --kubeconfig-dir refs \
	--kubelet-dir refs/kubelet --config "$cfg" --embed=false
abs=$(cd refs && pwd)
grep -q "client-certificate: $abs/pki/admin.conf.crt" refs/admin.conf || die "admin.conf refs"
grep -q "client-key: $abs/pki/admin.conf.key" refs/admin.conf || die "admin.conf key ref"
grep -q "client-certificate: $abs/kubelet/kubelet-client-current.pem" refs/kubelet.conf ||
	die "kubelet.conf refs"
grep -q "client-key: $abs/kubelet/kubelet-client-current.pem" refs/kubelet.conf ||
	die "kubelet.conf key ref"
grep -q "certificate-authority-data: " refs/kubelet.conf || die "kubelet.conf CA data"
[ -L refs/kubelet/kubelet-client-current.pem ] || die "no kubelet-client-current.pem link"
target=$(readlink refs/kubelet/kubelet-client-current.pem)
case $target in "$abs"/kubelet/kubelet-client-20*.pem) ;; *) die "link target $target" ;; esac
[ "$(stat -c %a "$target")" = 600 ] || die "kubelet pem mode"
[ "$(stat -c %a refs/pki/admin.conf.key)" = 600 ] || die "admin.conf.key mode"
openssl x509 -in "$target" -noout -subject | grep -q 'CN *= *system:node:cp-1' || die "pem cert"
openssl pkey -in "$target" -noout 2>/dev/null || die "pem key"
[ "$(openssl x509 -in "$target" -noout -pubkey)" = "$(openssl pkey -in "$target" -pubout)" ] ||
	die "pem pair"
[ "$(openssl x509 -in refs/pki/admin.conf.crt -noout -pubkey)" = \
	"$(openssl pkey -in refs/pki/admin.conf.key -pubout)" ] || die "admin pair"
expect_status 0 kpki-inspect --verify --config "$cfg" --cert-dir refs/pki --kubeconfig-dir refs
before=$(tree_sum refs)
expect_status 0 kpki-kubeconfig --signed s.yaml --cert-dir refs/pki --kubeconfig-dir refs \
	--kubelet-dir refs/kubelet --config "$cfg" --embed=false
[ "$(tree_sum refs)" = "$before" ] || die "a rerun with --embed=false changed the tree"

# one kubeconfig for a pipeline
expect_status 0 kpki-kubeconfig --cert first/pki/apiserver-kubelet-client.crt \
	--key first/pki/apiserver-kubelet-client.key --ca first/pki/ca.crt \
	--server https://127.0.0.1:6443 --cluster-name lab
expect_grep "current-context: kube-apiserver-kubelet-client@lab" out
expect_grep "    server: https://127.0.0.1:6443" out
expect_status 0 kpki-kubeconfig --cert first/pki/apiserver-kubelet-client.crt \
	--key first/pki/apiserver-kubelet-client.key --ca first/pki/ca.crt \
	--server https://127.0.0.1:6443 --user alice --context ctx
expect_grep "current-context: ctx" out
expect_grep "- name: alice" out
expect_status 3 kpki-kubeconfig --cert first/pki/apiserver-kubelet-client.crt \
	--key first/pki/apiserver.key --ca first/pki/ca.crt --server https://127.0.0.1:6443
expect_grep "not the key of certificate" err
expect_status 3 kpki-kubeconfig --cert first/pki/etcd/peer.crt --key first/pki/etcd/peer.key \
	--ca first/pki/ca.crt --server https://127.0.0.1:6443
expect_grep "not issued by the CA" err
expect_status 2 kpki-kubeconfig --cert first/pki/etcd/peer.crt --key first/pki/etcd/peer.key
# a CA file that holds the CA's key too is refused; the CA data is the
# certificate exported again, never the file's other text
cat ca/ca.crt ca/ca.key >cakey.pem
expect_status 3 kpki-kubeconfig --cert first/pki/apiserver-kubelet-client.crt \
	--key first/pki/apiserver-kubelet-client.key --ca cakey.pem --server https://127.0.0.1:6443
expect_grep "PRIVATE KEY' block: a CA file for a kubeconfig must hold certificates only" err
[ ! -s out ] || die "a kubeconfig was written though the CA file holds a key"
{ echo "subject=CN = kubernetes"; cat ca/ca.crt; } >cajunk.pem
expect_status 0 kpki-kubeconfig --cert first/pki/apiserver-kubelet-client.crt \
	--key first/pki/apiserver-kubelet-client.key --ca cajunk.pem --server https://127.0.0.1:6443
/usr/bin/python3 - <<'PY' || die "the CA data is not the certificate alone"
import base64, yaml
kc = yaml.safe_load(open("out"))
c = kc["clusters"][0]["cluster"]
assert base64.b64decode(c["certificate-authority-data"]).decode() == open("ca/ca.crt").read()
PY
# the installer refuses such a CA file as well, and writes nothing
cp -a fresh keyed
mkdir -p keyed/pki/etcd
cat ca/ca.crt ca/ca.key >keyed/pki/ca.crt
cp ca/front-proxy-ca.crt keyed/pki/
cp ca/etcd/ca.crt keyed/pki/etcd/
before=$(tree_sum keyed)
expect_status 3 kpki-kubeconfig --signed s.yaml --cert-dir keyed/pki --kubeconfig-dir keyed \
	--config "$cfg"
expect_grep "a CA file for a kubeconfig must hold certificates only" err
grep -q "installed '" err && die "a refused install says it installed something"
[ "$(tree_sum keyed)" = "$before" ] || die "a refused install changed the tree"
expect_status 2 kpki-kubeconfig --signed s.yaml --cert-dir x --kubeconfig-dir y --embed=maybe
expect_status 2 kpki-kubeconfig --signed s.yaml --cert-dir x --kubeconfig-dir y --user u
