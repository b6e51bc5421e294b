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
# each CA's fingerprint, as openssl computes it, for the CA team to read out
for spec in ca:ca etcd-ca:etcd/ca front-proxy-ca:front-proxy-ca; do
	want=$(openssl x509 -in "ca/${spec#*:}.crt" -noout -fingerprint -sha256 |
		sed 's/.*=//; s/://g' | tr A-F a-f)
	expect_grep "kpki-sign: CA '${spec%%:*}' fingerprint SHA256:$want" err
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
expect_grep "all 12 entries would be signed" err
# the fingerprint in any form the tools print: bare hex, openssl's colons
hex=${fp#SHA256:}
expect_status 0 kpki-sign $pol --bundle node.bundle --dry-run --expect-fingerprint "$hex"
colons=$(echo "$hex" | tr a-f A-F | sed 's/../&:/g; s/:$//')
expect_status 0 kpki-sign $pol --bundle node.bundle --dry-run --expect-fingerprint "$colons"
expect_status 2 kpki-sign $pol --bundle node.bundle --dry-run --expect-fingerprint "SHA256:${hex%?}"
expect_grep "expect-fingerprint takes SHA256: and 64 hex digits" err
[ ! -e ca/kpki-ledger ] || die "dry run touched the ledger"

# a dry run loads every CA it would sign with and reads the ledger: an empty
# CA directory, a CA key others can read, or a journal that does not parse
# fail it as they would fail a real run, and nothing is written
mkdir empty-ca
expect_status 1 kpki-sign --ca-dir empty-ca --policy "$top/examples/policy.yaml" \
	--bundle node.bundle --dry-run
expect_grep "CA 'ca': CA certificate 'empty-ca/ca.crt'" err
expect_status 1 kpki-sign --ca-dir empty-ca --policy "$top/examples/policy.yaml" \
	--profile front-proxy-client --csr "$top/tests/data/sign/good/front-proxy-client.csr" --dry-run
expect_grep "CA 'front-proxy-ca': CA certificate 'empty-ca/front-proxy-ca.crt'" err
[ -z "$(ls empty-ca)" ] || die "a dry run wrote into the CA directory"
cp -rp ca loose-ca
chmod 0644 loose-ca/front-proxy-ca.key
expect_status 1 kpki-sign --ca-dir loose-ca --policy "$top/examples/policy.yaml" \
	--bundle node.bundle --dry-run
expect_grep "loose-ca/front-proxy-ca.key" err
expect_grep "chmod 600" err
[ ! -e loose-ca/kpki-ledger ] || die "dry run made a ledger"
chmod 0600 loose-ca/front-proxy-ca.key
mkdir loose-ca/kpki-ledger
printf 'not json\n{}\n' >loose-ca/kpki-ledger/journal.jsonl
expect_status 1 kpki-sign --ca-dir loose-ca --policy "$top/examples/policy.yaml" \
	--bundle node.bundle --dry-run
expect_grep "journal.jsonl" err

expect_status 0 kpki-sign $pol --bundle node.bundle --out signed --expect-fingerprint "$fp"
expect_grep "signed 12 certificates of bundle $fp" err

# usages exactly as kubeadm's, by python3-cryptography
/usr/bin/python3 "$E2E/signcheck.py" signed certs >check.out || die "usages: $(cat check.out)"
[ "$(grep -c ' ok$' check.out)" -eq 12 ] || die "not every certificate checked"

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
[ "$(wc -l <ca/kpki-ledger/index.txt)" -eq 12 ] || die "index.txt"
[ "$(wc -l <ca/kpki-ledger/journal.jsonl)" -eq 12 ] || die "journal"
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

# ---- a clock outside the CA's validity signs nothing: a host whose clock
# is behind (before the CA's notBefore, as on a CA made with the right time
# and signed with on a host that lost it) or past its notAfter; KPKI_NOW
# stands for the clock
rfc3339() { date -u -d "$(openssl x509 -in ca/ca.crt -noout "-$1" | sed 's/.*=//')" "+${2:-%s}"; }
ca_nb=$(rfc3339 startdate)
ca_na=$(rfc3339 enddate)
valid="valid from $(rfc3339 startdate %Y-%m-%dT%H:%M:%SZ) to $(rfc3339 enddate %Y-%m-%dT%H:%M:%SZ)"
before=$(tree_sum ca)
for now in $((ca_nb - 1)) $((ca_nb - 86400)) $((ca_na + 1)); do
	at=$(date -u -d "@$now" +%Y-%m-%dT%H:%M:%SZ)
	want="kpki-sign: CA 'ca' ('ca/ca.crt'): not valid at $at ($valid): check this host's clock"
	KPKI_NOW=$now expect_status 1 kpki-sign $pol --bundle node.bundle --out late.signed
	expect_grep "$want" err
	[ ! -e late.signed ] || die "signed with the clock at $at"
	KPKI_NOW=$now expect_status 1 kpki-sign $pol --bundle node.bundle --dry-run
	expect_grep "$want" err
	KPKI_NOW=$now expect_status 1 kpki-sign $pol --profile admin.conf --csr "$E2E/../data/sign/good/admin.conf.csr" --out late.crt
	expect_grep "$want" err
	[ ! -e late.crt ] || die "signed a CSR with the clock at $at"
done
[ "$(tree_sum ca)" = "$before" ] || die "the ledger changed with the clock outside the CA"
# the CA's first second is inside it
KPKI_NOW=$ca_nb expect_status 0 kpki-sign $pol --bundle node.bundle --dry-run

# ---- one CSR, as in a pipeline
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout user.key \
	-subj "/O=kubeadm:cluster-admins/CN=kubernetes-admin" -out user.csr 2>/dev/null
kpki-sign $pol --profile admin.conf --csr - <user.csr >user.crt 2>sign.err ||
	die "single CSR: $(cat sign.err)"
openssl verify -CAfile ca/ca.crt -purpose sslclient user.crt >/dev/null || die "user.crt"
[ "$(wc -l <ca/kpki-ledger/index.txt)" -eq 13 ] || die "single CSR not in the ledger"
cat user.csr user.csr >two.csr
expect_status 1 kpki-sign $pol --profile admin.conf --csr two.csr
expect_grep "exactly one CSR" err
expect_status 2 kpki-sign $pol --csr user.csr
expect_status 2 kpki-sign --ca-dir ca --bundle node.bundle

# ---- hostile CSRs: each refused with its exact status and reason, nothing
# written, no serial used (file|profile|node|status|reason)
data=$E2E/../data/sign
hpol="--ca-dir ca --policy $data/policy.yaml"
before=$(tree_sum ca)
while IFS='|' read -r file profile node want why; do
	[ -n "$file" ] || continue
	set +e
	kpki-sign $hpol --profile "$profile" --node "$node" --csr "$data/$file" >out 2>err
	st=$?
	set -e
	[ "$st" -eq "$want" ] || die "$file: exit $st, want $want: $(cat err)"
	[ ! -s out ] || die "$file: something was printed on standard output"
	grep -qF -- "$why" err || die "$file: the reason lacks '$why': $(cat err)"
done <<'CASES'
bad/tampered.der|front-proxy-client|cp-1|3|refused: profile 'front-proxy-client': signature: does not verify with the request's own key (RFC 2986 3)
bad/other-cn.csr|front-proxy-client|cp-1|3|refused: profile 'front-proxy-client': subject CN 'kube-apiserver' is not 'front-proxy-client'
bad/masters.csr|admin.conf|cp-1|3|refused: profile 'admin.conf': subject O 'system:masters' is not one profile 'admin.conf' gives
bad/san-outside.csr|apiserver|cp-1|3|refused: profile 'apiserver': DNS SAN 'evil.example.com' is not allowed by policy 'test-1'
bad/email-san.csr|apiserver|cp-1|3|refused: profile 'apiserver': email SAN 'root@example.internal' is not allowed (only DNS and IP SANs)
bad/uri-san.csr|apiserver|cp-1|3|refused: profile 'apiserver': URI SAN 'spiffe://example/ns/x' is not allowed (only DNS and IP SANs)
bad/wildcard.csr|apiserver|cp-1|3|refused: profile 'apiserver': wildcard DNS SAN '*.example.internal' is not one policy 'test-1' lists
bad/nul-san.csr|apiserver|cp-1|3|refused: profile 'apiserver': DNS SAN 'cp-1\x00.evil.example.com' holds control characters or NUL
bad/nul-cn.der|apiserver|cp-1|3|refused: profile 'apiserver': subject CN 'kube-apiserver\x00.evil' holds control characters or NUL
bad/ctrl-subject.csr|apiserver|cp-1|3|refused: profile 'apiserver': subject CN 'kube-apiserver\x1b[2J' holds control characters or NUL
bad/ipv4-mapped.csr|apiserver|cp-1|3|refused: profile 'apiserver': IP SAN '::ffff:10.0.0.5' is an IPv4-mapped IPv6 address
bad/rsa1024.csr|front-proxy-client|cp-1|3|refused: profile 'front-proxy-client': key: RSA of 1024 bits is too weak (at least 2048 bits)
bad/dsa.csr|front-proxy-client|cp-1|3|refused: profile 'front-proxy-client': key: DSA keys are not allowed
bad/secp256k1.csr|front-proxy-client|cp-1|3|refused: profile 'front-proxy-client': key: ECDSA on curve secp256k1 is not allowed (P-256 or P-384)
bad/sans-10000.csr|apiserver|cp-1|3|refused: profile 'apiserver': subjectAltName: 10000 names, more than 256
bad/two-cn.csr|front-proxy-client|cp-1|3|refused: profile 'front-proxy-client': subject has 2 CNs (exactly one allowed)
good/kubelet.conf.csr|kubelet.conf|CP-1|3|refused: profile 'kubelet.conf': node 'CP-1' is not a node name (a lower-case RFC 1123 subdomain)
good/kubelet.conf.csr|kubelet.conf|cp-9|3|refused: profile 'kubelet.conf': node 'cp-9' is not allowed by policy 'test-1'
good/kubelet.conf.csr|kubelet.conf||3|refused: profile 'kubelet.conf': profile 'kubelet.conf' names the node in its subject, but no node is given
good/admin.conf-worker-1.csr|admin.conf|worker-1|3|refused: profile 'admin.conf': profile 'admin.conf' is not for workers, and policy 'test-1' lists node 'worker-1' as a worker
bad/truncated.der|front-proxy-client|cp-1|1|certificate request
CASES
[ "$(tree_sum ca)" = "$before" ] || die "a refused CSR changed the CA directory"

# ---- the policy's certificates: super-admin.conf is not in the strict test
# policy, so neither a single CSR nor a bundle gets it (O=system:masters)
spol="--ca-dir ca --policy $data/policy-strict.yaml"
expect_status 3 kpki-sign $spol --profile super-admin.conf --csr "$data/good/super-admin.conf.csr"
expect_grep "refused: profile 'super-admin.conf': profile 'super-admin.conf' is not allowed by policy 'test-strict': list it under 'certificates:' to allow it" err
[ ! -s out ] || die "super-admin.conf was signed"
kpki-csr --config "$top/examples/kubeadm.yaml" --cert-dir node2/pki --kubeconfig-dir node2 \
	--only super-admin.conf --bundle super.bundle 2>csr2.err || die "kpki-csr: $(cat csr2.err)"
expect_status 3 kpki-sign $spol --bundle super.bundle --out super.signed
expect_grep "refused: entry 'super-admin.conf': profile 'super-admin.conf' is not allowed by policy 'test-strict': list it under 'certificates:' to allow it" err
[ ! -e super.signed ] || die "a super-admin.conf bundle was signed"
[ "$(tree_sum ca)" = "$before" ] || die "a refused bundle changed the CA directory"
# ... while a worker of the test policy gets its kubelet.conf
expect_status 0 kpki-sign $hpol --profile kubelet.conf --node worker-1 \
	--csr "$data/good/kubelet.conf-worker-1.csr"
openssl x509 -in out -noout -subject | grep -q "CN *= *system:node:worker-1" || die "worker CN"
# a CSR asking for CA:TRUE is signed, as a leaf, with a note
expect_status 0 kpki-sign $hpol --profile front-proxy-client --csr "$data/bad/ca-true.csr"
expect_grep "note:" err
openssl x509 -in out -noout -text | grep -q "CA:FALSE" || die "CA:TRUE request got a CA"
