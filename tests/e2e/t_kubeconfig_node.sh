# kpki-kubeconfig: --server is the control-plane endpoint and never the
# server of controller-manager.conf or scheduler.conf (the local API
# endpoint); a bundle made for another node is refused.
. "$KPKI_E2E/lib.sh"
top=$E2E/../..
cfg=$top/examples/kubeadm.yaml
pol=$top/examples/policy.yaml
sed -e 's/name: cp-1/name: cp-2/' -e 's/10\.0\.0\.10/10.0.0.11/g' "$cfg" >cfg2.yaml
grep -q "name: cp-2" cfg2.yaml || die "cfg2.yaml"
sed -e 's/^nodes: \[cp-1\]/nodes: [cp-1, cp-2]/' "$pol" >pol.yaml
grep -q "cp-2" pol.yaml || die "pol.yaml"
pol=pol.yaml

kpki-sign --init --ca-dir ca 2>/dev/null || die "init"
for n in 1 2; do
	c=$cfg; [ $n = 2 ] && c=cfg2.yaml
	kpki-csr --config "$c" --cert-dir n$n/pki --kubeconfig-dir n$n --bundle b$n.yaml \
		2>/dev/null || die "kpki-csr $n"
	kpki-sign --ca-dir ca --policy "$pol" --bundle b$n.yaml --out s$n.yaml 2>/dev/null ||
		die "sign $n"
	mkdir -p n$n/pki/etcd
	cp ca/ca.crt ca/front-proxy-ca.crt n$n/pki/
	cp ca/etcd/ca.crt n$n/pki/etcd/
done

# first install without --config: --server cannot give the local endpoint
before=$(tree_sum n2)
expect_status 2 kpki-kubeconfig --signed s2.yaml --cert-dir n2/pki --kubeconfig-dir n2 \
	--server https://cpe.example:6443
expect_grep "no server known: it points at this node's local API endpoint, which --server does not set" err
expect_grep "give --config" err
[ "$(tree_sum n2)" = "$before" ] || die "a refused install changed the tree"

# with --config and --server: --server for admin.conf and kubelet.conf only
expect_status 0 kpki-kubeconfig --signed s2.yaml --cert-dir n2/pki --kubeconfig-dir n2 \
	--config cfg2.yaml --server https://cpe.example:6443
expect_grep "installed 'n2/admin.conf' (user 'kubernetes-admin', cluster 'kubernetes', server 'https://cpe.example:6443')" err
expect_grep "installed 'n2/scheduler.conf' (user 'system:kube-scheduler', cluster 'kubernetes', server 'https://10.0.0.11:6443')" err
expect_grep "installed 'n2/controller-manager.conf' (user 'system:kube-controller-manager', cluster 'kubernetes', server 'https://10.0.0.11:6443')" err

# a renewal without --config: --server changes admin.conf; scheduler.conf
# keeps the local endpoint of the kubeconfig in place
kpki-csr --renew --cert-dir n2/pki --kubeconfig-dir n2 --bundle r2.yaml 2>/dev/null ||
	die "kpki-csr --renew"
kpki-sign --ca-dir ca --policy "$pol" --bundle r2.yaml --out rs2.yaml 2>/dev/null || die "sign r2"
expect_status 0 kpki-kubeconfig --signed rs2.yaml --cert-dir n2/pki --kubeconfig-dir n2 \
	--server https://new.example:6443
expect_grep "installed 'n2/admin.conf' (user 'kubernetes-admin', cluster 'kubernetes', server 'https://new.example:6443')" err
expect_grep "installed 'n2/scheduler.conf' (user 'system:kube-scheduler', cluster 'kubernetes', server 'https://10.0.0.11:6443')" err

# cp-1 installed; a bundle for cp-2 (even with cp-1's staged keys) is refused
expect_status 0 kpki-kubeconfig --signed s1.yaml --cert-dir n1/pki --kubeconfig-dir n1 \
	--config "$cfg"
kpki-csr --renew --cert-dir n1/pki --kubeconfig-dir n1 --bundle r1.yaml 2>/dev/null ||
	die "kpki-csr --renew n1"
before=$(tree_sum n1)
expect_status 3 kpki-kubeconfig --signed s2.yaml --cert-dir n1/pki --kubeconfig-dir n1
expect_grep "bundle: made for node 'cp-2', but the etcd server certificate in place belongs to node 'cp-1'" err
grep -q "installed '" err && die "a refused install says it installed something"
# without the etcd server certificate, kubelet.conf names the node
mv n1/pki/etcd/server.crt etcd-server.crt
expect_status 3 kpki-kubeconfig --signed s2.yaml --cert-dir n1/pki --kubeconfig-dir n1 \
	--dry-run
expect_grep "bundle: made for node 'cp-2', but kubelet.conf in place belongs to node 'cp-1'" err
mv etcd-server.crt n1/pki/etcd/server.crt
# with --config the configuration's node name is compared too
expect_status 3 kpki-kubeconfig --signed s2.yaml --cert-dir n1/pki --kubeconfig-dir n1 \
	--config "$cfg"
expect_grep "bundle: made for node 'cp-2', but the configuration is for node 'cp-1'" err
[ "$(tree_sum n1)" = "$before" ] || die "a refused install changed the tree"
exit 0
