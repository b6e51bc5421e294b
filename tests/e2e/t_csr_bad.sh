# kpki-csr: a bad configuration gets one clear message naming the file and
# the field, exit 1, and nothing is written: no key, no bundle.
. "$KPKI_E2E/lib.sh"

BAD=${KPKI_TESTDATA:?}/request/bad

# bad FILE TEXT — kpki-csr with FILE fails, says TEXT, writes nothing
bad() {
	rm -rf t && mkdir t
	before=$(tree_sum t)
	expect_status 1 kpki-csr --config "$BAD/$1" --cert-dir t/pki --kubeconfig-dir t \
		--bundle t/b.yaml
	expect_grep "$1" err
	expect_grep "$2" err
	[ "$(wc -l <err)" -eq 1 ] || die "one message expected for $1: $(cat err)"
	[ "$(tree_sum t)" = "$before" ] || die "$1: something was written"
	[ -z "$(ls -A t)" ] || die "$1: something was written"
}

bad malformed.yaml "line 4"
bad apiversion.yaml "apiVersion 'kubeadm.k8s.io/v1beta9'"
bad cidr.yaml "networking.serviceSubnet: '10.96.0.0/33'"
bad ip.yaml "localAPIEndpoint.advertiseAddress: '10.0.0.300'"
bad no-node-name.yaml "nodeRegistration.name: not set"
bad no-advertise.yaml "localAPIEndpoint.advertiseAddress: not set"
bad encryption.yaml "encryptionAlgorithm: 'DSA-1024'"
bad cpe-port.yaml "controlPlaneEndpoint: 'k8s.example.com:99999'"
bad truncated.yaml "truncated.yaml"

# an unknown profile set, a missing configuration
rm -rf t && mkdir t
expect_status 1 kpki-csr --config "$BAD/../good/worker.yaml" --profiles no-such-set \
	--cert-dir t/pki --kubeconfig-dir t --bundle t/b.yaml
expect_grep "no-such-set" err
[ -z "$(ls -A t)" ] || die "unknown profile set: something was written"
expect_status 1 kpki-csr --config does-not-exist.yaml --cert-dir t/pki --bundle t/b.yaml
expect_grep "does-not-exist.yaml" err
[ -z "$(ls -A t)" ] || die "missing config: something was written"

# the bundle cannot be written: no key is left behind
expect_status 1 kpki-csr --config "$BAD/../good/worker.yaml" --node-role worker \
	--cert-dir t/pki --kubeconfig-dir t --bundle t/no-such-dir/b.yaml
expect_grep "no-such-dir" err
[ -z "$(ls -A t)" ] || die "a failed bundle write left files: $(find t)"
mkdir adir
expect_status 1 kpki-csr --config "$BAD/../good/worker.yaml" --node-role worker \
	--cert-dir t/pki --kubeconfig-dir t --bundle adir
expect_grep "bundle 'adir': exists and is not a regular file" err
[ -z "$(ls -A t)" ] || die "a failed bundle write left files: $(find t)"
# a bundle among the files kubeadm reads is refused (exit 2): here the
# kubeconfig directory
expect_status 2 kpki-csr --config "$BAD/../good/worker.yaml" --node-role worker \
	--cert-dir t/pki --kubeconfig-dir t --bundle t/kubelet.conf
expect_grep "bundle 't/kubelet.conf': lies in the kubeconfig directory 't'" err
[ -z "$(ls -A t)" ] || die "a refused bundle left files: $(find t)"
