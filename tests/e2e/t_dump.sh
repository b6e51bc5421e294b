# kpki-inspect FILE...: readable summaries that agree with openssl.
. "$KPKI_E2E/lib.sh"

sh "$E2E/mkpki.sh" t
export KPKI_NOW=$NOW_2026

# a certificate: the facts a user checks, and openssl's fingerprint
expect_status 0 kpki-inspect t/pki/apiserver.crt
expect_grep "CN=kube-apiserver" out
expect_grep "kubernetes.default.svc.cluster.local" out
expect_grep "10.96.0.1" out
expect_grep "server-auth" out
fp=$(openssl x509 -in t/pki/apiserver.crt -noout -fingerprint -sha256 | sed 's/.*=//')
expect_grep "$fp" out
serial=$(openssl x509 -in t/pki/apiserver.crt -noout -serial | sed 's/.*=//' | tr 'A-F' 'a-f')
expect_grep "  serial: $serial" out
# a serial with its top bit set carries a sign octet in DER; it is not shown
openssl req -x509 -key t/pki/etcd/peer.key -subj /CN=high -days 1 \
	-set_serial 0x80000000000000ff -out high.crt
expect_status 0 kpki-inspect high.crt
grep -qx "  serial: 80000000000000ff" out || die "serial: $(grep serial out)"

# from standard input too, and as JSON that python3 reads
kpki-inspect - <t/pki/etcd/server.crt >stdin.out || die "stdin"
expect_grep "CN=cp-1" stdin.out
expect_status 0 kpki-inspect -o json t/pki/etcd/server.crt
/usr/bin/python3 -c 'import json; json.load(open("out"))' || die "dump json does not parse"
expect_grep "client-auth" out

# a private key: only public facts, never the key itself
expect_status 0 kpki-inspect t/pki/apiserver.key
expect_grep "RSA" out
expect_grep "2048" out
expect_no_grep "PRIVATE KEY" out
body=$(sed -n 2p t/pki/apiserver.key)
expect_no_grep "$body" out
expect_status 0 kpki-inspect -o json t/pki/etcd/peer.key
expect_no_grep "$(sed -n 2p t/pki/etcd/peer.key)" out

# a CSR: its self-signature and requested extensions
openssl req -new -key t/pki/apiserver.key -subj "/CN=kube-apiserver" \
	-addext "subjectAltName=DNS:kubernetes,IP:10.96.0.1" -out req.csr
expect_status 0 kpki-inspect req.csr
expect_grep "CN=kube-apiserver" out
expect_grep "10.96.0.1" out
expect_grep "signature: valid" out
expect_grep "subjectAltName" out
# the same CSR with one bit of its signature flipped
openssl req -in req.csr -outform DER -out req.der
size=$(stat -c %s req.der)
/usr/bin/python3 -c '
import sys
d = bytearray(open("req.der", "rb").read()); d[-3] ^= 1
open("bad.der", "wb").write(d)'
expect_status 0 kpki-inspect bad.der
expect_grep "signature: INVALID" out

# a kubeconfig: its client certificate, and nothing of its key
expect_status 0 kpki-inspect t/kubeconfig/admin.conf
expect_grep "kubernetes-admin" out
expect_grep "https://k8s.example.internal:6443" out
keyline=$(sed -n 's/.*client-key-data: //p' t/kubeconfig/admin.conf | base64 -d | sed -n 2p)
expect_no_grep "$keyline" out

# several files in one call
expect_status 0 kpki-inspect t/pki/ca.crt t/pki/front-proxy-ca.crt
expect_grep "CN=kubernetes" out
expect_grep "CN=front-proxy-ca" out
