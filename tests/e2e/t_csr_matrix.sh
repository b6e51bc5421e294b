# kpki-csr: for each kind of configuration, every request says what kubeadm
# would put in the certificate (expectations written by hand in csrcheck.py).
. "$KPKI_E2E/lib.sh"

DATA=${KPKI_TESTDATA:?}/request/good
CHECK="/usr/bin/python3 $E2E/csrcheck.py"

# run CASE CONFIG [OPTION...]
run() {
	c=$1
	cfg=$2
	shift 2
	rm -rf "$c" && mkdir "$c"
	expect_status 0 kpki-csr --config "$cfg" --cert-dir "$c/pki" --kubeconfig-dir "$c" \
		--kubelet-dir "$c/kubelet" --bundle "$c.yaml" "$@"
	# the node that runs kubeadm init (an InitConfiguration) gets super-admin.conf
	init=
	if grep -q '^kind: InitConfiguration' "$cfg" && [ "${1:-}" != --node-role ]; then
		init=init
	fi
	$CHECK "$c.yaml" "$c" $init || die "case $c"
	for k in $(find "$c" -name '*.key'); do
		[ "$(stat -c %a "$k")" = 600 ] || die "$k: mode"
	done
}

run example "$E2E/../../examples/kubeadm.yaml"
run v1beta2-ipv6 "$DATA/v1beta2-ipv6.yaml"
run v1beta3-dualstack "$DATA/v1beta3-dualstack.yaml"
run v1beta4-etcd-sans "$DATA/v1beta4-etcd-sans.yaml"
run external-etcd "$DATA/external-etcd.yaml"
[ ! -e external-etcd/pki/etcd ] || die "etcd keys with external etcd"
run worker "$DATA/worker.yaml" --node-role worker
[ "$(find worker -name '*.key')" = worker/pki/kpki-staging/kubelet.conf.key ] ||
	die "a worker has one key: $(find worker -name '*.key')"
run worker-serving "$DATA/worker.yaml" --node-role worker --only kubelet.conf,kubelet
[ -f worker-serving/kubelet/kubelet.key ] || die "kubelet serving key"
# --key-type overrides encryptionAlgorithm
rm -rf kt && mkdir kt
expect_status 0 kpki-csr --config "$DATA/v1beta4-etcd-sans.yaml" --key-type rsa3072 \
	--cert-dir kt/pki --kubeconfig-dir kt --only front-proxy-client --bundle kt.yaml
openssl pkey -in kt/pki/front-proxy-client.key -noout -text | grep -q "3072 bit" ||
	die "--key-type rsa3072"
