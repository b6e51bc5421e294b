# The CAs in a PKCS#11 token (SoftHSM2 as a real token): created through
# the library with the PIN from a file, each CA certificate signed in the
# token, the keys sensitive and never extractable, a second --init refused.
# Then a whole bundle signed with the token's keys.
. "$KPKI_E2E/lib.sh"

command -v softhsm2-util >/dev/null || die "softhsm2 is not installed (scripts/deps.sh test)"
command -v p11tool >/dev/null || die "p11tool is not installed (gnutls-bin)"

# a token of our own, in the scratch directory
mkdir tokens
printf 'directories.tokendir = %s/tokens\nobjectstore.backend = file\nlog.level = ERROR\n' \
	"$PWD" >softhsm2.conf
SOFTHSM2_CONF=$PWD/softhsm2.conf
export SOFTHSM2_CONF
softhsm2-util --init-token --free --label kpki --pin 1234 --so-pin 5678 >/dev/null ||
	die "cannot initialise the SoftHSM2 token"
printf '1234\n' >pin
chmod 600 pin

init() {
	kpki-sign --init --ca-dir pki --ca-key 'pkcs11:token=kpki' --pin-file pin "$@"
}

# the PIN file must be private, like a key
chmod 640 pin
expect_status 1 init
expect_grep "lets group or others access" err
[ ! -e pki ] || [ -z "$(find pki -type f)" ] || die "files written despite the PIN file's mode"
chmod 600 pin

expect_status 0 init
for f in ca etcd/ca front-proxy-ca; do
	[ -f "pki/$f.crt" ] || die "no pki/$f.crt"
	[ "$(stat -c %a "pki/$f.crt")" = 644 ] || die "pki/$f.crt mode"
	[ ! -e "pki/$f.key" ] || die "pki/$f.key written: the key belongs in the token"
	# signed by the token's key: the self-signature verifies
	openssl verify -CAfile "pki/$f.crt" "pki/$f.crt" >/dev/null || die "pki/$f.crt does not verify"
done
openssl x509 -in pki/etcd/ca.crt -noout -subject | grep -q 'CN *= *etcd-ca' || die "etcd-ca subject"

# the token's public keys are the certificates' keys
for n in ca etcd-ca front-proxy-ca; do
	case $n in etcd-ca) f=etcd/ca ;; *) f=$n ;; esac
	GNUTLS_PIN=1234 p11tool --login --export-pubkey "pkcs11:token=kpki;object=$n;type=private" \
		2>/dev/null | openssl pkey -pubin -outform DER | sha256sum >tok.id
	openssl x509 -in "pki/$f.crt" -noout -pubkey | openssl pkey -pubin -outform DER |
		sha256sum >crt.id
	same_file crt.id tok.id
done

# the keys are sensitive and were never extractable
GNUTLS_PIN=1234 p11tool --login --list-privkeys 'pkcs11:token=kpki' >keys 2>&1 ||
	die "p11tool cannot list the token's keys"
[ "$(grep -c 'Type: Private key' keys)" = 3 ] || die "expected 3 private keys"
for n in ca etcd-ca front-proxy-ca; do
	expect_grep "Label: $n" keys
done
[ "$(grep -c 'Flags:.*CKA_SENSITIVE' keys)" = 3 ] || die "keys not all CKA_SENSITIVE"
[ "$(grep -c 'Flags:.*CKA_NEVER_EXTRACTABLE' keys)" = 3 ] || die "keys not all never extractable"
[ "$(grep -c 'Flags:.*CKA_PRIVATE' keys)" = 3 ] || die "keys not all CKA_PRIVATE"
if grep -Eq '(: |; )CKA_EXTRACTABLE' keys; then
	cat keys >&2
	die "a key is extractable"
fi
# an export attempt fails
for n in ca etcd-ca front-proxy-ca; do
	if GNUTLS_PIN=1234 p11tool --login --export "pkcs11:token=kpki;object=$n;type=private" \
		>export.out 2>&1; then
		die "the private key '$n' was exported"
	fi
	expect_no_grep "PRIVATE KEY" export.out
done

# the PIN never on the command line: a wrong one in the file is refused
printf '0000\n' >badpin
chmod 600 badpin
expect_status 1 kpki-sign --init --ca-dir pki2 --ca-key 'pkcs11:token=kpki' --pin-file badpin
expect_grep "PIN was refused" err

# a whole bundle signed by the token's keys, the PIN from the environment
top=$E2E/../..
kpki-csr --config "$top/examples/kubeadm.yaml" --cert-dir node/pki --kubeconfig-dir node \
	--bundle node.bundle 2>/dev/null || die "kpki-csr"
KPKI_PKCS11_PIN=1234 kpki-sign --ca-dir pki --ca-key 'pkcs11:token=kpki' \
	--policy "$top/examples/policy.yaml" --bundle node.bundle --out signed 2>err ||
	die "signing with the token: $(cat err)"
/usr/bin/python3 "$E2E/signcheck.py" signed certs >/dev/null || die "usages"
openssl verify -CAfile pki/ca.crt -purpose sslserver certs/apiserver.crt >/dev/null ||
	die "apiserver.crt does not chain to the token CA"
openssl verify -CAfile pki/etcd/ca.crt -purpose sslclient certs/apiserver-etcd-client.crt \
	>/dev/null || die "apiserver-etcd-client.crt does not chain to the token etcd CA"
[ "$(wc -l <pki/kpki-ledger/index.txt)" -eq 12 ] || die "token issuances not in the ledger"
# without a PIN nothing is signed
expect_status 2 kpki-sign --ca-dir pki --ca-key 'pkcs11:token=kpki' \
	--policy "$top/examples/policy.yaml" --bundle node.bundle --out signed2
[ ! -e signed2 ] || die "signed without a PIN"
expect_grep "no PIN given" err

# a second init finds the CAs (files and token objects) and changes nothing
before=$(tree_sum pki)
expect_status 1 init
expect_grep "already exists" err
[ "$(tree_sum pki)" = "$before" ] || die "a second init changed the CA directory"
rm -r pki
expect_status 1 init
expect_grep "token object 'pkcs11:token=kpki;object=ca' already exists" err
[ ! -e pki ] || [ -z "$(find pki -type f)" ] || die "files written over existing token objects"
GNUTLS_PIN=1234 p11tool --login --list-privkeys 'pkcs11:token=kpki' 2>/dev/null |
	grep -c 'Type: Private key' >n
[ "$(cat n)" = 3 ] || die "the token's keys changed"
