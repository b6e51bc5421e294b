# kubectl accepts kpki's kubeconfigs and the API server certificate:
# `kubectl get --raw /version` through each kubeconfig against a loopback
# TLS server (tlsserver.py) that serves the installed apiserver certificate
# and demands a client certificate from the cluster CA, which sees each
# kubeconfig's CN and O. kubectl refuses a server whose certificate lacks
# the address in the URL, and the server refuses a client certificate from
# another CA.
. "$KPKI_E2E/lib.sh"
. "$E2E/interop.sh"
command -v kubectl >/dev/null || die "kubectl is needed (scripts/deps.sh test)"

# kubectl against loopback, with kubeconfig K and more options
kc() {
	k=$1
	shift
	kubectl --kubeconfig "$k" --request-timeout=5s "$@"
}

interop_ca
port=$(free_ports 1)
interop_node cp-1 "$port" --only "$ALL_PROFILES"
verify_pki cp-1
# the kubeconfigs point at the advertise address, as kubeadm's do here
for f in admin.conf super-admin.conf controller-manager.conf scheduler.conf kubelet.conf; do
	[ -f "cp-1/$f" ] || die "cp-1/$f not written"
	[ "$(kc_field "cp-1/$f" server)" = "https://127.0.0.1:$port" ] || die "$f: server"
done

# ---- the API server stand-in on the advertise address
bg_start srv.log "$PY" "$E2E/tlsserver.py" cp-1/pki/apiserver.crt cp-1/pki/apiserver.key \
	cp-1/pki/ca.crt 127.0.0.1 "$port" req.log
wait_file req.log.ready 10 "$BG_LAST" || die "the TLS server did not start: $(cat srv.log)"

expect_status 0 kc cp-1/admin.conf get --raw /version
expect_grep '"gitVersion":"v1.29.0-kpki-interop"' out
[ "$(tail -1 req.log)" = '{"path": "/version", "cn": ["kubernetes-admin"], "o": ["kubeadm:cluster-admins"]}' ] ||
	die "the server saw: $(tail -1 req.log)"

# every kubeconfig authenticates as its kubeadm user and group
for spec in super-admin.conf:kubernetes-super-admin:system:masters \
	controller-manager.conf:system:kube-controller-manager: \
	scheduler.conf:system:kube-scheduler: kubelet.conf:system:node:cp-1:system:nodes; do
	f=${spec%%:*}
	u=$(kc_user "$f" cp-1)
	rest=${spec#*:}
	o=${rest#"$u"}
	o=${o#:}
	[ "$rest" != "$o" ] || die "bad spec $spec"
	expect_status 0 kc "cp-1/$f" get --raw /version
	if [ -n "$o" ]; then want="[\"$o\"]"; else want="[]"; fi
	[ "$(tail -1 req.log)" = "{\"path\": \"/version\", \"cn\": [\"$u\"], \"o\": $want}" ] ||
		die "$f: the server saw: $(tail -1 req.log)"
done
if grep -q '"error"' req.log; then die "a handshake failed: $(cat req.log)"; fi

# ---- the same certificate served on 127.0.0.2, which it does not name
bg_start srv2.log "$PY" "$E2E/tlsserver.py" cp-1/pki/apiserver.crt cp-1/pki/apiserver.key \
	cp-1/pki/ca.crt 127.0.0.2 0 req2.log
wait_file req2.log.ready 10 "$BG_LAST" || die "the second TLS server did not start: $(cat srv2.log)"
port2=$(cat req2.log.ready)
expect_status 1 kc cp-1/admin.conf --server "https://127.0.0.2:$port2" get --raw /version
expect_grep "x509: certificate is valid for" err
expect_grep "not 127.0.0.2" err
if grep -q '"path"' req2.log; then die "the request went through: $(cat req2.log)"; fi
# ... while checking for the name the certificate has, the same server works
expect_status 0 kc cp-1/admin.conf --server "https://127.0.0.2:$port2" \
	--tls-server-name 127.0.0.1 get --raw /version
expect_grep '"gitVersion":"v1.29.0-kpki-interop"' out
[ "$(tail -1 req2.log)" = '{"path": "/version", "cn": ["kubernetes-admin"], "o": ["kubeadm:cluster-admins"]}' ] ||
	die "the second server saw: $(cat req2.log)"

# ---- a client certificate of the etcd CA is refused by the server
k="kubectl config --kubeconfig=etcd.conf"
{
	$k set-cluster kubernetes --server="https://127.0.0.1:$port" \
		--certificate-authority=cp-1/pki/ca.crt --embed-certs=true &&
		$k set-credentials etcd-client --client-certificate=cp-1/pki/apiserver-etcd-client.crt \
			--client-key=cp-1/pki/apiserver-etcd-client.key --embed-certs=true &&
		$k set-context x --cluster=kubernetes --user=etcd-client && $k use-context x
} >/dev/null || die "kubectl config etcd.conf"
seen=$(grep -c '"path"' req.log)
expect_status 1 kc etcd.conf get --raw /version
expect_grep '"error"' req.log
[ "$(grep -c '"path"' req.log)" -eq "$seen" ] || die "the etcd client got through: $(cat req.log)"
