# The python3 kubernetes client (Debian's python3-kubernetes) loads every
# kubeconfig kpki wrote — admin.conf, super-admin.conf, controller-manager,
# scheduler, kubelet — with kubernetes.config.load_kube_config, takes from
# each the server URL, CA, client certificate and key written there
# (kubeload.py), and talks to a loopback TLS server (tlsserver.py) through
# it as the kubeconfig's user. A kubeconfig that is not right fails.
. "$KPKI_E2E/lib.sh"
. "$E2E/interop.sh"
$PY -c 'import kubernetes' 2>/dev/null || die "python3-kubernetes is needed (scripts/deps.sh test)"

interop_ca
port=$(free_ports 1)
interop_node cp-1 "$port" --only "$ALL_PROFILES"
verify_pki cp-1

bg_start srv.log "$PY" "$E2E/tlsserver.py" cp-1/pki/apiserver.crt cp-1/pki/apiserver.key \
	cp-1/pki/ca.crt 127.0.0.1 "$port" req.log
wait_file req.log.ready 10 "$BG_LAST" || die "the TLS server did not start: $(cat srv.log)"

expect_status 0 "$PY" "$E2E/kubeload.py" cp-1/pki/ca.crt --call cp-1/admin.conf \
	cp-1/super-admin.conf cp-1/controller-manager.conf cp-1/scheduler.conf cp-1/kubelet.conf
for f in admin.conf super-admin.conf controller-manager.conf scheduler.conf kubelet.conf; do
	expect_grep "$f ok https://127.0.0.1:$port v1.29.0-kpki-interop" out
done
[ "$(wc -l <out)" -eq 5 ] || die "not five kubeconfigs loaded: $(cat out)"
# ... and the server saw each kubeconfig's user and group, in that order
# (the python client asks for /version/)
cat >want.log <<'EOF'
{"path": "/version/", "cn": ["kubernetes-admin"], "o": ["kubeadm:cluster-admins"]}
{"path": "/version/", "cn": ["kubernetes-super-admin"], "o": ["system:masters"]}
{"path": "/version/", "cn": ["system:kube-controller-manager"], "o": []}
{"path": "/version/", "cn": ["system:kube-scheduler"], "o": []}
{"path": "/version/", "cn": ["system:node:cp-1"], "o": ["system:nodes"]}
EOF
grep '"path"' req.log >seen.log || true
same_file want.log seen.log

# ---- a node whose kubeconfigs name their files (kpki-kubeconfig
# --embed=false; kubelet.conf names the kubelet's rotated client certificate)
INSTALL_OPTS=--embed=false
interop_node cp-2 "$port"
INSTALL_OPTS=""
verify_pki cp-2
expect_grep "client-certificate: $PWD/cp-2/kubelet/kubelet-client-current.pem" cp-2/kubelet.conf
expect_no_grep "client-certificate-data" cp-2/admin.conf
: >req.log
expect_status 0 "$PY" "$E2E/kubeload.py" cp-2/pki/ca.crt --call cp-2/admin.conf \
	cp-2/controller-manager.conf cp-2/scheduler.conf cp-2/kubelet.conf
[ "$(grep -c "ok https://127.0.0.1:$port v1.29.0-kpki-interop" out)" -eq 4 ] ||
	die "cp-2: not four kubeconfigs loaded: $(cat out)"
sed -e 2d -e 's/cp-1/cp-2/' want.log >want2.log
grep '"path"' req.log >seen.log || true
same_file want2.log seen.log

# ---- kubeload.py fails when a kubeconfig is not what it should be
# a CA that is not the cert dir's ca.crt
sed "s|certificate-authority-data: .*|certificate-authority-data: $(base64 -w0 <cp-1/pki/etcd/ca.crt)|" \
	cp-1/admin.conf >other-ca.conf
expect_status 1 "$PY" "$E2E/kubeload.py" cp-1/pki/ca.crt other-ca.conf
expect_grep "CA differs" err
# ... and with that CA, the python client refuses the server too
expect_status 1 "$PY" "$E2E/kubeload.py" cp-1/pki/etcd/ca.crt --call other-ca.conf
expect_grep "CERTIFICATE_VERIFY_FAILED" err
# a client key that is not the certificate's
sed "s|client-key-data: .*|client-key-data: $(base64 -w0 <cp-1/pki/apiserver.key)|" \
	cp-1/admin.conf >other-key.conf
expect_status 1 "$PY" "$E2E/kubeload.py" cp-1/pki/ca.crt --call other-key.conf
expect_grep "KEY_VALUES_MISMATCH" err
# a truncated kubeconfig
head -c 300 cp-1/admin.conf >short.conf
expect_status 1 "$PY" "$E2E/kubeload.py" cp-1/pki/ca.crt short.conf
expect_grep "load_kube_config" err
grep '"path"' req.log >seen.log || true
same_file want2.log seen.log
