# --verify holds every certificate against its profile and finds each fault
# a CA team gets wrong by hand.
. "$KPKI_E2E/lib.sh"

sh "$E2E/mkpki.sh" base
cfg="--config $E2E/cluster.yaml"

check() { # check DIR — verify with the cluster's configuration
	expect_status "$1" kpki-inspect --verify --cert-dir "$2/pki" --kubeconfig-dir "$2/kubeconfig" $cfg
}

check 0 base
[ ! -s out ] || die "clean tree has findings: $(cat out)"
# without a configuration only fixed names are known; still clean
expect_status 0 kpki-inspect --verify --cert-dir base/pki --kubeconfig-dir base/kubeconfig

fresh() { rm -rf "$1" && cp -a base "$1" && MKPKI_LIB=1 . "$E2E/mkpki.sh" && mkpki_init "$1"; }

# signed by the wrong CA
fresh wrongca
leaf "$pki/apiserver-kubelet-client" front-proxy-ca \
	"/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client" clientAuth "" 20261231235500Z
check 3 wrongca
expect_grep "wrongca/pki/apiserver-kubelet-client.crt: does not chain to CA 'ca'" out
[ "$(wc -l <out)" -eq 1 ] || die "one finding expected: $(cat out)"

# a missing extended key usage (etcd needs clientAuth on its server cert)
fresh noeku
leaf "$pki/etcd/server" etcd/ca "/CN=cp-1" serverAuth \
	"DNS:cp-1,DNS:localhost,IP:10.0.0.10,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1" 20261231235500Z
check 3 noeku
expect_grep "noeku/pki/etcd/server.crt: extended key usage is [server-auth], the profile 'etcd-server' wants [server-auth, client-auth]" out

# an extra extended key usage
fresh extraeku
leaf "$pki/front-proxy-client" front-proxy-ca "/CN=front-proxy-client" clientAuth,serverAuth "" 20261231235500Z
check 3 extraeku
expect_grep "extraeku/pki/front-proxy-client.crt: extended key usage is [client-auth, server-auth], the profile 'front-proxy-client' wants [client-auth]" out

# the wrong O (kubeadm < 1.29 used system:masters)
fresh wrongo
leaf "$pki/apiserver-kubelet-client" ca "/O=system:masters/CN=kube-apiserver-kubelet-client" \
	clientAuth "" 20261231235500Z
check 3 wrongo
expect_grep "wrongo/pki/apiserver-kubelet-client.crt: subject O is ['system:masters'], the profile 'apiserver-kubelet-client' wants ['kubeadm:cluster-admins']" out
# the v1.22 set wants that O (its other differences remain findings)
expect_status 3 kpki-inspect --verify --profiles kubeadm-v1.22 --cert-dir wrongo/pki \
	--kubeconfig-dir /nonexistent $cfg
expect_no_grep "apiserver-kubelet-client" out

# a missing SAN
fresh nosan
leaf "$pki/apiserver" ca "/CN=kube-apiserver" serverAuth \
	"DNS:cp-1,DNS:kubernetes,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:k8s.example.internal,DNS:api.example.internal,IP:10.96.0.1,IP:10.0.0.10,IP:10.0.0.100" \
	20261231235500Z rsa2048
check 3 nosan
expect_grep "nosan/pki/apiserver.crt: missing DNS SAN 'kubernetes.default'" out
expect_status 3 kpki-inspect --verify --cert-dir nosan/pki --kubeconfig-dir nosan/kubeconfig
expect_grep "missing DNS SAN 'kubernetes.default'" out

# a key that does not match its certificate
fresh badkey
openssl ecparam -genkey -name prime256v1 -noout -out badkey/pki/front-proxy-client.key
chmod 600 badkey/pki/front-proxy-client.key
check 3 badkey
expect_grep "badkey/pki/front-proxy-client.key: the private key does not match the certificate" out

# kubeconfig CA data that differs from ca.crt
fresh kcca
other=$(base64 -w0 kcca/pki/front-proxy-ca.crt)
sed -i "s|certificate-authority-data: .*|certificate-authority-data: $other|" kcca/kubeconfig/admin.conf
check 3 kcca
expect_grep "kcca/kubeconfig/admin.conf: certificate-authority-data differs from the CA certificate 'ca.crt'" out

# a key readable by others is a finding with the fix
fresh mode
chmod 644 mode/pki/apiserver.key
check 3 mode
expect_grep "chmod 600" out

# structured findings
check 3 wrongca
expect_status 3 kpki-inspect --verify --cert-dir wrongca/pki --kubeconfig-dir wrongca/kubeconfig $cfg -o json
/usr/bin/python3 -c 'import json; d = json.load(open("out")); assert len(d["problems"]) == 1, d' ||
	die "json findings"

# a missing certificate or kubeconfig the node needs is a finding ...
fresh gone
rm gone/pki/apiserver.crt gone/pki/apiserver.key gone/kubeconfig/admin.conf
check 3 gone
expect_grep "gone/pki/apiserver.crt: missing (the profile 'apiserver' needs it on this node)" out
expect_grep "gone/kubeconfig/admin.conf: missing" out
# ... but super-admin.conf lives only on the node where kubeadm init ran
fresh nosuper
rm nosuper/kubeconfig/super-admin.conf
check 0 nosuper
# a worker node needs kubelet.conf alone
mkdir -p worker/pki worker/kubeconfig
cp base/pki/ca.crt worker/pki/ && cp base/kubeconfig/kubelet.conf worker/kubeconfig/
expect_status 0 kpki-inspect --verify --node-role worker --cert-dir worker/pki \
	--kubeconfig-dir worker/kubeconfig $cfg
check 3 worker
expect_status 2 kpki-inspect --verify --node-role boss --cert-dir worker/pki

# two CNs: clients disagree on which one counts, so it is refused
fresh twocn
leaf "$pki/apiserver-kubelet-client" ca \
	"/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client/CN=system:kube-scheduler" \
	clientAuth "" 20261231235500Z
check 3 twocn
expect_grep "twocn/pki/apiserver-kubelet-client.crt: subject has 2 CNs" out

# a CA in the wrong place: etcd/ca.crt is really the cluster CA
fresh swapca
cp swapca/pki/ca.crt swapca/pki/etcd/ca.crt
cp swapca/pki/ca.key swapca/pki/etcd/ca.key
check 3 swapca
expect_grep "swapca/pki/etcd/ca.crt: subject CN is 'kubernetes', the profile 'etcd-ca' wants 'etcd-ca'" out

# signed by another cluster's CA of the same name (every kubeadm CA is
# CN=kubernetes): the realistic mistake
fresh othercluster
mkpki_init other
ca ca kubernetes 20351229235500Z
leaf othercluster/pki/apiserver-kubelet-client ca \
	"/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client" clientAuth "" 20261231235500Z
check 3 othercluster
expect_grep "othercluster/pki/apiserver-kubelet-client.crt: does not chain to CA 'ca'" out
expect_grep "another CA of the same name 'CN=kubernetes'" out

# without a configuration only fixed SANs are expected: a cluster with its
# own service subnet and DNS domain is not a finding
fresh custom
leaf "$pki/apiserver" ca "/CN=kube-apiserver" serverAuth \
	"DNS:cp-1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.corp.local,IP:10.100.0.1,IP:10.0.0.10" \
	20261231235500Z rsa2048
expect_status 0 kpki-inspect --verify --cert-dir custom/pki --kubeconfig-dir custom/kubeconfig
# with the configuration, it is
check 3 custom
expect_grep "custom/pki/apiserver.crt: missing IP SAN '10.96.0.1'" out
expect_grep "custom/pki/apiserver.crt: IP SAN '10.100.0.1' is not in the profile for this configuration" out

# a weak key, a broken hash and a negative serial, whatever the profile says
fresh weak
leaf "$pki/front-proxy-client" front-proxy-ca "/CN=front-proxy-client" clientAuth "" \
	20261231235500Z rsa1024
check 3 weak
expect_grep "weak/pki/front-proxy-client.crt: RSA key of 1024 bits; at least 2048 are needed" out
fresh sha1
openssl req -new -key sha1/pki/front-proxy-client.key -subj /CN=front-proxy-client -out fp.csr
printf '%s\n' 'basicConstraints=critical,CA:FALSE' \
	'keyUsage=critical,digitalSignature,keyEncipherment' 'extendedKeyUsage=clientAuth' \
	'authorityKeyIdentifier=keyid' 'subjectKeyIdentifier=none' >fp.ext
openssl x509 -req -in fp.csr -CA sha1/pki/front-proxy-ca.crt -CAkey sha1/pki/front-proxy-ca.key \
	-set_serial -77 -days 30 -sha1 -extfile fp.ext -out sha1/pki/front-proxy-client.crt 2>/dev/null
check 3 sha1
expect_grep "sha1/pki/front-proxy-client.crt: signed with RSA-SHA1, a broken hash" out
expect_grep "sha1/pki/front-proxy-client.crt: serial -4d is not a positive integer" out

# a kubeconfig embeds a private key: readable by group or others is a finding
fresh kcmode
chmod 644 kcmode/kubeconfig/admin.conf
check 3 kcmode
expect_grep "kcmode/kubeconfig/admin.conf: mode 0644 lets group or others read the private key it embeds; fix with: chmod 600 '" out
[ "$(wc -l <out)" -eq 1 ] || die "one finding expected: $(cat out)"

# an install kpki-kubeconfig did not finish leaves its intent file: pairs
# may be half renewed until the same command runs again
fresh intent
mkdir -m 700 intent/pki/kpki-staging
printf 'kpki-install-intent v3\n' >intent/pki/kpki-staging/kpki-install.intent
check 3 intent
expect_grep "intent/pki/kpki-staging/kpki-install.intent: install interrupted: rerun the same kpki-kubeconfig command to finish it" out
[ "$(wc -l <out)" -eq 1 ] || die "one finding expected: $(cat out)"
expect_grep "kpki-inspect: 1 problem found" err
# in JSON too
expect_status 3 kpki-inspect --verify --cert-dir intent/pki --kubeconfig-dir intent/kubeconfig $cfg -o json
/usr/bin/python3 -c 'import json; d = json.load(open("out")); assert len(d["problems"]) == 1 and "install interrupted" in d["problems"][0], d' ||
	die "json intent finding"
# a link in its place (never followed), or a directory, is a finding too
rm intent/pki/kpki-staging/kpki-install.intent
ln -s ../ca.crt intent/pki/kpki-staging/kpki-install.intent
check 3 intent
expect_grep "intent/pki/kpki-staging/kpki-install.intent: is a symbolic link where kpki-kubeconfig keeps its install intent: it cannot install until this is removed" out
rm intent/pki/kpki-staging/kpki-install.intent
mkdir intent/pki/kpki-staging/kpki-install.intent
check 3 intent
expect_grep "intent/pki/kpki-staging/kpki-install.intent: is a directory where kpki-kubeconfig" out
# the staging directory alone (keys kpki-csr staged) is no finding
rmdir intent/pki/kpki-staging/kpki-install.intent
check 0 intent

# without ca.crt each kubeconfig says so once, not once per check
fresh noca
rm noca/pki/ca.crt
check 3 noca
[ "$(grep -c 'noca/kubeconfig/admin.conf: cannot check the chain' out)" -eq 1 ] ||
	die "one 'cannot check the chain' line per file expected: $(cat out)"
[ "$(grep -c 'noca/pki/apiserver.crt: cannot check the chain' out)" -eq 1 ] ||
	die "one 'cannot check the chain' line per file expected: $(cat out)"

# a JoinConfiguration alone is refused: the cluster's settings are missing
printf 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\nnodeRegistration:\n  name: cp-1\n' >join-only.yaml
expect_status 1 kpki-inspect --verify --cert-dir base/pki --kubeconfig-dir base/kubeconfig \
	--config join-only.yaml
expect_grep "no ClusterConfiguration: a node joining a cluster needs the cluster's settings" err

# nothing to verify is an error, not a pass
expect_status 1 kpki-inspect --verify --cert-dir empty --kubeconfig-dir empty
expect_grep "no certificate" err
