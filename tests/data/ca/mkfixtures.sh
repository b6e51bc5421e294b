#!/bin/sh
# Regenerates the check_ca fixtures with openssl: an organisation's root
# (and a second, unrelated one), an org intermediate, and intermediates
# for the "ca" profile signed for the staged key good/staged.key, good and
# bad. Run from this directory; the results are committed.
set -eu
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
mkdir -p good bad
key good/root.key
key good/staged.key
key good/org-inter.key
key "$t/other.key"
key "$t/root2.key"
chmod 600 good/*.key
cat >"$t/ext" <<'X'
[root]
basicConstraints = critical, CA:TRUE
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
[inter]
basicConstraints = critical, CA:TRUE
keyUsage = critical, digitalSignature, keyEncipherment, keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:kubernetes
[leaf]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment, keyCertSign
authorityKeyIdentifier = keyid
[nocertsign]
basicConstraints = critical, CA:TRUE
keyUsage = critical, digitalSignature
authorityKeyIdentifier = keyid
X
openssl req -x509 -new -key good/root.key -subj "/O=Example Org/CN=Example Root CA" -days 36500 \
	-extensions root -config "$t/ext" -out good/root.crt 2>/dev/null ||
	openssl req -x509 -new -key good/root.key -subj "/O=Example Org/CN=Example Root CA" -days 36500 \
		-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
		-out good/root.crt
openssl req -x509 -new -key "$t/root2.key" -subj "/O=Example Org/CN=Example Root CA" -days 36500 \
	-addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
	-out "$t/root2.crt"
# sign KEY CN ISSUER_CRT ISSUER_KEY SECTION OUT
sign() {
	openssl req -new -key "$1" -subj "/CN=$2" -out "$t/req" 2>/dev/null
	openssl x509 -req -in "$t/req" -CA "$3" -CAkey "$4" -set_serial 0x$(openssl rand -hex 16 | sed 's/^./1/') \
		-days 36500 -extfile "$t/ext" -extensions "$5" -out "$6" 2>/dev/null
}
sign good/org-inter.key "Example Issuing CA" good/root.crt good/root.key inter good/org-inter.crt
sign good/staged.key kubernetes good/root.crt good/root.key inter "$t/inter.crt"
sign good/staged.key kubernetes good/org-inter.crt good/org-inter.key inter "$t/inter2.crt"
sign "$t/other.key" kubernetes good/root.crt good/root.key inter "$t/other.crt"
sign good/staged.key kubernetes good/root.crt good/root.key leaf "$t/notca.crt"
sign good/staged.key kubernetes good/root.crt good/root.key nocertsign "$t/nocertsign.crt"
sign good/staged.key etcd-ca good/root.crt good/root.key inter "$t/wrongcn.crt"
sign good/staged.key kubernetes "$t/root2.crt" "$t/root2.key" inter "$t/inter-root2.crt"
cat "$t/inter.crt" good/root.crt >good/chain1.pem
cat "$t/inter2.crt" good/org-inter.crt good/root.crt >good/chain2.pem
# the root left out: the organisation's intermediate is the last link
cat "$t/inter2.crt" good/org-inter.crt >good/chain2-noroot.pem
cat "$t/other.crt" good/root.crt >bad/wrong-key.pem
cat "$t/notca.crt" good/root.crt >bad/not-ca.pem
cat "$t/nocertsign.crt" good/root.crt >bad/no-cert-sign.pem
cat "$t/wrongcn.crt" good/root.crt >bad/wrong-cn.pem
cat "$t/inter.crt" "$t/root2.crt" >bad/broken-chain.pem
cat "$t/inter2.crt" good/root.crt >bad/missing-link.pem
cp "$t/inter.crt" bad/no-chain.pem
cat good/root.crt "$t/inter.crt" >bad/reversed.pem
cp good/staged.key bad/key-not-cert.pem
head -c 300 good/chain1.pem >bad/truncated.pem
printf 'not a certificate\n' >bad/garbage.pem
