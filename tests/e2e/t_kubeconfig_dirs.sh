# kpki-kubeconfig refuses directories someone else could change under it:
# a cert dir group or others may write in, a symlinked directory inside it,
# and a cert dir named through another user's symlink. Each refusal leaves
# the tree as it was.
. "$KPKI_E2E/lib.sh"
top=$E2E/../..
cfg=$top/examples/kubeadm.yaml

kpki-sign --init --ca-dir ca 2>/dev/null || die "init"
kpki-csr --config "$cfg" --cert-dir n/pki --kubeconfig-dir n --bundle b.yaml 2>/dev/null ||
	die "kpki-csr"
kpki-sign --ca-dir ca --policy "$top/examples/policy.yaml" --bundle b.yaml --out s.yaml \
	2>/dev/null || die "sign"
mkdir -p n/pki/etcd
cp ca/ca.crt ca/front-proxy-ca.crt n/pki/ && cp ca/etcd/ca.crt n/pki/etcd/
install_it() {
	kpki-kubeconfig --signed s.yaml --cert-dir n/pki --kubeconfig-dir n --config "$cfg"
}

# a cert dir others may write in
chmod 777 n/pki
before=$(tree_sum n)
expect_status 1 install_it
expect_grep "lets group or others write in it; fix with: " err
expect_no_grep "installed '" err
[ "$(tree_sum n)" = "$before" ] || die "a refused install changed the tree"
chmod 755 n/pki

# a directory inside the cert dir that is a symlink: always refused
mv n/pki/etcd n/etcd-real
ln -s ../etcd-real n/pki/etcd
before=$(tree_sum n)
expect_status 3 install_it
expect_grep "directory 'n/pki/etcd': is a symbolic link (refused)" err
[ "$(tree_sum n)" = "$before" ] || die "a refused install changed the tree"
rm n/pki/etcd && mv n/etcd-real n/pki/etcd

# a cert dir named through a symlink another user owns
if [ "$(id -u)" -eq 0 ]; then
	ln -s n/pki lnk
	chown -h 65534:65534 lnk
	before=$(tree_sum n)
	expect_status 1 kpki-kubeconfig --signed s.yaml --cert-dir lnk --kubeconfig-dir n \
		--config "$cfg"
	expect_grep "a symbolic link owned by uid 65534" err
	[ "$(tree_sum n)" = "$before" ] || die "a refused install changed the tree"
fi

# and with both put right, it installs
expect_status 0 install_it
expect_status 0 kpki-inspect --verify --config "$cfg" --cert-dir n/pki --kubeconfig-dir n
