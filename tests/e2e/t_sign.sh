# kpki-sign: CAs, a whole bundle signed with the right usages (checked by
# openssl and python3-cryptography), all or nothing, single CSRs, the ledger.
. "$KPKI_E2E/lib.sh"
top=$E2E/../..

# ---- the CAs
expect_status 0 kpki-sign --init --ca-dir ca
for f in ca front-proxy-ca etcd/ca; do
	[ "$(stat -c %a ca/$f.key)" = 600 ] || die "$f.key mode"
	[ "$(stat -c %a ca/$f.crt)" = 644 ] || die "$f.crt mode"
done
openssl x509 -in ca/ca.crt -noout -text >ca.txt
expect_grep "CA:TRUE" ca.txt
expect_grep "Certificate Sign" ca.txt
expect_grep "DNS:kubernetes" ca.txt
expect_grep "Subject Key Identifier" ca.txt
before=$(tree_sum ca)
expect_status 1 kpki-sign --init --ca-dir ca
expect_grep "ca/ca" err
[ "$(tree_sum ca)" = "$before" ] || die "a second --init changed the CA"

# ---- the node's bundle, handed over with its fingerprint
kpki-csr --config "$top/examples/kubeadm.yaml" --cert-dir node/pki --kubeconfig-dir node \
	--bundle node.bundle 2>csr.err || die "kpki-csr: $(cat csr.err)"
fp=$(sed -n 's/.*bundle fingerprint \(SHA256:[0-9a-f]*\).*/\1/p' csr.err)
[ -n "$fp" ] || die "no fingerprint"
pol="--ca-dir ca --policy $top/examples/policy.yaml"

# a fingerprint that differs, and a dry run: nothing written, no ledger entry
expect_status 1 kpki-sign $pol --bundle node.bundle --out signed \
	--expect-fingerprint SHA256:0000000000000000000000000000000000000000000000000000000000000000
expect_grep "fingerprint" err
[ ! -e signed ] || die "output written despite the fingerprint"
expect_status 0 kpki-sign $pol --bundle node.bundle --dry-run
[ ! -s ca/kpki-ledger/index.txt ] || die "dry run touched the ledger"

expect_status 0 kpki-sign $pol --bundle node.bundle --out signed --expect-fingerprint "$fp"
expect_grep "signed 11 certificates of bundle $fp" err

# usages exactly as kubeadm's, by python3-cryptography
/usr/bin/python3 "$E2E/signcheck.py" signed certs >check.out || die "usages: $(cat check.out)"
[ "$(grep -c ' ok$' check.out)" -eq 11 ] || die "not every certificate checked"

# openssl verifies each with the purpose its profile demands
chain() { # the CA a profile chains to
	case $1 in
	front-proxy-client) echo ca/front-proxy-ca.crt ;;
	apiserver-etcd-client | etcd-*) echo ca/etcd/ca.crt ;;
	*) echo ca/ca.crt ;;
	esac
}
for crt in certs/*.crt; do
	name=$(basename "$crt" .crt)
	case $name in ca-*) continue ;; esac
	case $name in
	apiserver) purposes=sslserver ;;
	etcd-server | etcd-peer) purposes="sslserver sslclient" ;;
	*) purposes=sslclient ;;
	esac
	for p in $purposes; do
		openssl verify -CAfile "$(chain "$name")" -purpose "$p" "$crt" >/dev/null ||
			die "$name does not verify for $p"
	done
	# ... and a client certificate is no server certificate
	if [ "$purposes" = sslclient ]; then
		if openssl verify -CAfile "$(chain "$name")" -purpose sslserver "$crt" >/dev/null 2>&1; then
			die "$name verifies as a server"
		fi
	fi
done

# the ledger has them all, in openssl's index.txt form too
[ "$(wc -l <ca/kpki-ledger/index.txt)" -eq 11 ] || die "index.txt"
[ "$(wc -l <ca/kpki-ledger/journal.jsonl)" -eq 11 ] || die "journal"
for crt in certs/apiserver.crt certs/admin.conf.crt; do
	s=$(openssl x509 -in "$crt" -noout -serial | sed 's/.*=//')
	grep -q "	$s	unknown	" ca/kpki-ledger/index.txt || die "$crt serial $s not in index.txt"
done
[ "$(cut -f4 ca/kpki-ledger/index.txt | sort | uniq -d | wc -l)" -eq 0 ] || die "serial reused"

# kpki-inspect reads the signed bundle
expect_status 0 kpki-inspect signed
expect_grep "$fp" out

# ---- all or nothing: one bad entry and nothing is signed
/usr/bin/python3 - "$E2E/../data/sign/bad/masters.csr" <<'PY'
import sys, yaml
doc = yaml.safe_load(open("node.bundle"))
for e in doc["entries"]:
    if e["name"] == "admin.conf":
        e["csr"] = open(sys.argv[1]).read()
open("evil.bundle", "w").write(yaml.safe_dump(doc, sort_keys=False))
PY
before=$(tree_sum ca)
expect_status 3 kpki-sign $pol --bundle evil.bundle --out evil.signed
expect_grep "entry 'admin.conf'" err
expect_grep "system:masters" err
expect_grep "nothing was signed" err
[ ! -e evil.signed ] || die "output written for a refused bundle"
[ "$(tree_sum ca)" = "$before" ] || die "the ledger changed for a refused bundle"

# ---- one CSR, as in a pipeline
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout user.key \
	-subj "/O=kubeadm:cluster-admins/CN=kubernetes-admin" -out user.csr 2>/dev/null
kpki-sign $pol --profile admin.conf --csr - <user.csr >user.crt 2>sign.err ||
	die "single CSR: $(cat sign.err)"
openssl verify -CAfile ca/ca.crt -purpose sslclient user.crt >/dev/null || die "user.crt"
[ "$(wc -l <ca/kpki-ledger/index.txt)" -eq 12 ] || die "single CSR not in the ledger"
cat user.csr user.csr >two.csr
expect_status 1 kpki-sign $pol --profile admin.conf --csr two.csr
expect_grep "exactly one CSR" err
expect_status 2 kpki-sign $pol --csr user.csr
expect_status 2 kpki-sign --ca-dir ca --bundle node.bundle

# ---- hostile CSRs: each refused with its reason, nothing written, no serial used
data=$E2E/../data/sign
hpol="--ca-dir ca --policy $data/policy.yaml"
before=$(tree_sum ca)
for spec in tampered.der:front-proxy-client:signature other-cn.csr:front-proxy-client:CN \
	masters.csr:admin.conf:system:masters san-outside.csr:apiserver:not\ allowed \
	email-san.csr:apiserver:email uri-san.csr:apiserver:URI wildcard.csr:apiserver:wildcard \
	nul-san.csr:apiserver:x00 ctrl-subject.csr:apiserver:control \
	rsa1024.csr:front-proxy-client:1024 dsa.csr:front-proxy-client:DSA \
	secp256k1.csr:front-proxy-client:secp256k1 sans-10000.csr:apiserver:10000 \
	two-cn.csr:front-proxy-client:CN truncated.der:front-proxy-client:certificate\ request; do
	file=${spec%%:*}
	rest=${spec#*:}
	profile=${rest%%:*}
	why=${rest#*:}
	set +e
	kpki-sign $hpol --profile "$profile" --node cp-1 --csr "$data/bad/$file" >out 2>err
	st=$?
	set -e
	[ "$st" -eq 3 ] || [ "$st" -eq 1 ] || die "$file: exit $st: $(cat err)"
	[ ! -s out ] || die "$file: something was printed on standard output"
	grep -qi -- "$why" err || die "$file: the reason lacks '$why': $(cat err)"
done
[ "$(tree_sum ca)" = "$before" ] || die "a refused CSR changed the CA directory"
# a CSR asking for CA:TRUE is signed, as a leaf, with a note
expect_status 0 kpki-sign $hpol --profile front-proxy-client --csr "$data/bad/ca-true.csr"
expect_grep "note:" err
openssl x509 -in out -noout -text | grep -q "CA:FALSE" || die "CA:TRUE request got a CA"
