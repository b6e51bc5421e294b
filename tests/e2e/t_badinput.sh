# Hostile input: one clear message naming the file, a non-zero exit, no crash.
. "$KPKI_E2E/lib.sh"

sh "$E2E/mkpki.sh" t

# expect_bad FILE — kpki-inspect FILE fails with exit 1 and names FILE
expect_bad() {
	expect_status 1 kpki-inspect "$1"
	expect_grep "$1" err
	[ "$(wc -l <err)" -le 2 ] || die "one clear message expected for $1: $(cat err)"
}

printf 'garbage\n' >garbage.pem && expect_bad garbage.pem
head -c 300 t/pki/apiserver.crt >trunc.pem && expect_bad trunc.pem
openssl x509 -in t/pki/apiserver.crt -outform DER | head -c 200 >trunc.der && expect_bad trunc.der
printf -- '-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n' >badb64.pem && expect_bad badb64.pem
: >empty.pem && expect_bad empty.pem
mkdir adir && expect_bad adir
expect_grep "directory" err
ln -s loop1 loop2 && ln -s loop2 loop1 && expect_bad loop1
expect_bad does-not-exist.crt
truncate -s 2G huge.pem && expect_bad huge.pem
expect_grep "larger than" err
rm huge.pem

# a kubeconfig with malformed base64
sed 's/client-certificate-data: \(.\{20\}\)/client-certificate-data: \1%%%/' t/kubeconfig/admin.conf >badkc.conf
expect_bad badkc.conf
expect_grep "base64" err

# YAML: an alias bomb and deep nesting
cat >bomb.yaml <<'Y'
apiVersion: v1
kind: Config
a: &a ["x","x","x","x","x","x","x","x","x"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: [*c,*c,*c,*c,*c,*c,*c,*c,*c]
Y
expect_bad bomb.yaml
expect_grep "alias" err
/usr/bin/python3 -c 'print("apiVersion: v1\nkind: Config\nx: " + "[" * 10000 + "]" * 10000)' >deep.yaml
expect_bad deep.yaml

# directory mode: a cert where a key is expected, a truncated kubeconfig
cp -a t t2
cp t2/pki/apiserver.crt t2/pki/apiserver.key && chmod 600 t2/pki/apiserver.key
expect_status 3 kpki-inspect --verify --cert-dir t2/pki --kubeconfig-dir t2/kubeconfig
expect_grep "t2/pki/apiserver.key" out
head -c 500 t/kubeconfig/scheduler.conf >t2/kubeconfig/scheduler.conf
expect_status 1 kpki-inspect --cert-dir t2/pki --kubeconfig-dir t2/kubeconfig
expect_grep "t2/kubeconfig/scheduler.conf" err

# bad configuration and profile references
printf 'apiVersion: kubeadm.k8s.io/v1beta9\nkind: ClusterConfiguration\n' >bad.yaml
expect_status 1 kpki-inspect --config bad.yaml --cert-dir t/pki
expect_grep "bad.yaml" err
expect_status 1 kpki-inspect --profiles no-such-set --cert-dir t/pki
expect_grep "no-such-set" err

# nothing above changed the tree it read
before=$(tree_sum t)
kpki-inspect --cert-dir t/pki --kubeconfig-dir t/kubeconfig >/dev/null
kpki-inspect --verify --cert-dir t/pki --kubeconfig-dir t/kubeconfig >/dev/null
[ "$(tree_sum t)" = "$before" ] || die "the tree changed"
