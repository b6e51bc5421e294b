# kpki-inspect --ledger: fixture ledgers, a ledger the installed library
# writes, its index.txt read by `openssl ca`, the lock between processes.
. "$KPKI_E2E/lib.sh"
DATA=${KPKI_TESTDATA:?}/ledger

# --- a fixture journal, listed as a table and as JSON
mkdir -p ca/kpki-ledger
cp "$DATA/good/journal.jsonl" ca/kpki-ledger/journal.jsonl
expect_status 0 kpki-inspect --ledger ca
cat >want.txt <<'EOF'
SERIAL                             CA        PROFILE          SUBJECT                                        NOT AFTER              ISSUED                 SANS
5a1b2c3d4e5f60718293a4b5c6d7e8f9   ca        apiserver        CN=kube-apiserver                              2027-03-04T05:06:07Z   2026-03-04T05:06:07Z   DNS:cp1,DNS:kubernetes,DNS:kubernetes.default,IP:10.96.0.1,IP:192.0.2.10
1f00000000000000000000000000abcd   etcd-ca   etcd-server      CN=cp1                                         2027-03-04T05:06:07Z   2026-03-04T05:06:08Z   DNS:cp1,DNS:localhost,IP:127.0.0.1,IP:::1
7fffffffffffffffffffffffffffffff   ca        admin            CN=kubernetes-admin,O=kubeadm:cluster-admins   2050-01-01T00:00:00Z   2026-03-04T05:06:09Z   -
abc                                ca        kubelet-client   CN=nœud\,1,O=système                           2049-12-31T23:59:59Z   2026-03-04T05:06:10Z   -
EOF
same_file want.txt out
[ ! -s err ] || die "stderr not empty"
expect_status 0 kpki-inspect --ledger ca -o json
python3 - out <<'PY' || die "json listing"
import json, sys
d = json.load(open(sys.argv[1]))
l = d["issuances"]
assert [r["serial"] for r in l] == ["5a1b2c3d4e5f60718293a4b5c6d7e8f9",
    "1f00000000000000000000000000abcd", "7fffffffffffffffffffffffffffffff", "abc"], l
assert l[1]["sans"] == ["DNS:cp1", "DNS:localhost", "IP:127.0.0.1", "IP:::1"]
assert l[2]["sans"] == [] and l[2]["notAfter"] == "2050-01-01T00:00:00Z"
assert l[3]["subject"] == "CN=n\u0153ud\\,1,O=syst\u00e8me"
assert l[0]["bundle"] == "SHA256:" + "cd" * 32 and l[1]["bundle"] == ""
assert l[0]["sha256"] == "ab" * 32 and l[0]["notBefore"] == "2026-03-04T05:01:07Z"
assert sorted(l[0]) == sorted(["serial", "ca", "profile", "subject", "sans", "notBefore",
    "notAfter", "sha256", "issued", "bundle"])
PY
# listing never writes
[ "$(ls ca/kpki-ledger)" = journal.jsonl ] || die "listing wrote to the ledger"

# --- a torn last line is left out; a bad line in the middle is an error
cp "$DATA/good/torn.jsonl" ca/kpki-ledger/journal.jsonl
expect_status 0 kpki-inspect --ledger ca
[ "$(wc -l <out)" -eq 3 ] || die "torn journal: expected a header and 2 rows"
cp "$DATA/bad/nul-escaped.jsonl" ca/kpki-ledger/journal.jsonl
expect_status 1 kpki-inspect --ledger ca
expect_grep "kpki-inspect: ledger journal 'ca/kpki-ledger/journal.jsonl': line 2: 'subject': a string holds a NUL" err
[ ! -s out ] || die "output on error"
# no ledger at all
mkdir empty
expect_status 1 kpki-inspect --ledger empty
expect_grep "kpki-inspect: ledger 'empty/kpki-ledger': not found" err
# a ledger that is a symlink
mkdir linkca && ln -s ../ca/kpki-ledger linkca/kpki-ledger
expect_status 1 kpki-inspect --ledger linkca
expect_grep "not a directory" err

# --- usage
expect_status 2 kpki-inspect --ledger ca --verify
expect_grep "--ledger cannot be combined" err
expect_status 2 kpki-inspect --ledger ca --cert-dir x
expect_status 2 kpki-inspect --ledger ca some.crt
expect_status 2 kpki-inspect --ledger ca -o yaml
expect_grep "not yaml" err

# --- a ledger written by the installed library
if [ -n "${KPKI_STAGE:-}" ] && command -v cc >/dev/null && command -v openssl >/dev/null; then
	p=$KPKI_STAGE/usr/local
	cat >issue.c <<'C'
/* issue N CA-DIR: appends N records with fresh serials; issue hold CA-DIR:
 * keeps the ledger open until stdin closes. Exit 3 when it is in use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pki/ledger.h>
int main(int argc, char **argv) {
	static char *sans[] = { "DNS:cp1", "IP:10.0.0.1" };
	struct pki_ledger *l = NULL;
	struct pki_ledger_record r;
	struct pki_err err;
	unsigned char s[20];
	size_t len, i, k, n;
	char c;

	pki_err_clear(&err);
	if (argc != 3)
		return 2;
	if (pki_ledger_open(argv[2], &l, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return err.code == PKI_E_EXISTS ? 3 : 1;
	}
	if (strcmp(argv[1], "hold") == 0) {
		puts("locked");
		fflush(stdout);
		while (read(0, &c, 1) > 0)
			;
	}
	n = strcmp(argv[1], "hold") == 0 ? 0 : (size_t)atoi(argv[1]);
	for (i = 0; i < n; i++) {
		memset(&r, 0, sizeof(r));
		if (pki_ledger_new_serial(l, s, &len, &err) != 0)
			return 1;
		for (k = 0; k < len; k++)
			sprintf(r.serial + 2 * k, "%02x", s[k]);
		r.ca = "ca";
		r.profile = "apiserver";
		r.subject = "CN=kube-apiserver";
		r.sans.v = sans;
		r.sans.n = 2;
		r.not_before = 1772600467;
		r.not_after = 1804136767 + (time_t)i * 86400 * 365 * 30;
		r.issued = 1772600767;
		memset(r.sha256, 'e', 64);
		r.bundle = "";
		if (pki_ledger_append(l, &r, &err) != 0) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
	}
	pki_ledger_close(l);
	return 0;
}
C
	cc ${KPKI_LDFLAGS:-} -o issue issue.c -I"$p/include" -L"$p/lib" -lpki \
		$(pkg-config --cflags gnutls) $(pkg-config --libs gnutls libtasn1 yaml-0.1) ||
		die "cannot build against libpki"
	mkdir lib-ca
	LD_LIBRARY_PATH=$p/lib ./issue 3 lib-ca || die "issue"
	LD_LIBRARY_PATH=$p/lib ./issue 2 lib-ca || die "issue again"
	[ "$(stat -c %a lib-ca/kpki-ledger)" = 700 ] || die "ledger directory mode"
	[ "$(stat -c %a lib-ca/kpki-ledger/journal.jsonl)" = 600 ] || die "journal mode"
	expect_status 0 kpki-inspect --ledger lib-ca -o json
	python3 -c 'import json,sys; [print(r["serial"].upper()) for r in json.load(open("out"))["issuances"]]' >serials
	[ "$(sort -u serials | wc -l)" -eq 5 ] || die "5 distinct serials expected"
	# the third record expires after 2049: GeneralizedTime in index.txt
	awk -F'\t' 'NR == 3 && length($2) == 15 { ok = 1 } END { exit !ok }' \
		lib-ca/kpki-ledger/index.txt || die "expiry after 2049 not GeneralizedTime"
	# openssl ca reads index.txt: every serial is valid
	printf '[ ca ]\ndefault_ca = kpki\n[ kpki ]\ndatabase = lib-ca/kpki-ledger/index.txt\n' >ledger.cnf
	while read -r s; do
		openssl ca -config ledger.cnf -status "$s" >ossl.out 2>&1 || true
		grep -qF "$s=Valid (V)" ossl.out || { cat ossl.out >&2; die "openssl ca -status $s"; }
	done <serials
	openssl ca -config ledger.cnf -status 0123 >ossl.out 2>&1 || true
	grep -qF "not present in db" ossl.out || die "openssl ca found a serial never issued"

	# a second process cannot open a ledger that is open
	mkfifo hold.in
	LD_LIBRARY_PATH=$p/lib ./issue hold lib-ca <hold.in >hold.out &
	holder=$!
	exec 7>hold.in
	for i in 1 2 3 4 5 6 7 8 9 10; do
		[ -s hold.out ] && break
		sleep 0.2
	done
	grep -q locked hold.out || die "the holder did not lock"
	set +e
	LD_LIBRARY_PATH=$p/lib ./issue 1 lib-ca 2>busy.err
	st=$?
	set -e
	[ "$st" -eq 3 ] || die "second opener exited $st, expected 3 (in use)"
	grep -qF "kpki-ledger' is in use by another kpki-sign (pid $holder)" busy.err ||
		{ cat busy.err >&2; die "in-use message"; }
	# listing works while it is held
	expect_status 0 kpki-inspect --ledger lib-ca
	exec 7>&-
	wait "$holder"
	LD_LIBRARY_PATH=$p/lib ./issue 1 lib-ca || die "the lock was not released"
fi

# --- openssl ca changes index.txt; kpki keeps every line it did not write
top=$E2E/../..
kpki-sign --init --ca-dir sca 2>/dev/null || die "init"
kpki-csr --config "$top/examples/kubeadm.yaml" --cert-dir node/pki --kubeconfig-dir node \
	--bundle node.bundle 2>/dev/null || die "kpki-csr"
pol="--ca-dir sca --policy $top/examples/policy.yaml --bundle node.bundle"
expect_status 0 kpki-sign $pol --out signed.1
python3 - <<'PY' || die "certificates of signed.1"
import yaml
for i, e in enumerate(yaml.safe_load(open("signed.1"))["entries"][:3]):
    open("c%d.pem" % i, "w").write(e["certificate"])
PY
idx=sca/kpki-ledger/index.txt
serial() { openssl x509 -noout -serial -in "$1" | sed 's/^serial=//'; }
s0=$(serial c0.pem) s1=$(serial c1.pem) s2=$(serial c2.pem)
printf '[ ca ]\ndefault_ca = kpki\n[ kpki ]\ndatabase = %s\ncertificate = sca/ca.crt\nprivate_key = sca/ca.key\ndefault_md = sha256\n' \
	"$idx" >sca.cnf
# a revocation with a reason, then a crash's lost index.txt line (c1's)
# and a line of a certificate kpki never issued
openssl ca -config sca.cnf -revoke c0.pem -crl_reason keyCompromise 2>ossl.err ||
	{ cat ossl.err >&2; die "openssl ca -revoke"; }
cp "$idx.old" ossl.old
grep -v "	$s1	" "$idx" >idx.tmp && cat idx.tmp >"$idx"
printf 'V\t300101000000Z\t\t0DEAD0\tunknown\t/CN=issued-by-openssl-ca\n' >>"$idx"
cp "$idx" idx.before
expect_status 0 kpki-sign $pol --out signed.2
# every line kept as it was, c1's line added back once, the new ones after
head -c "$(wc -c <idx.before)" "$idx" | cmp -s - idx.before || {
	diff idx.before "$idx" >&2
	die "index.txt lines changed"
}
[ "$(grep -c "	$s1	" "$idx")" -eq 1 ] || die "c1 not once in index.txt"
[ "$(wc -l <"$idx")" -eq $(($(wc -l <idx.before) + 13)) ] || die "index.txt line count"
# openssl's own index.txt.old is not kpki's to touch; kpki sets nothing aside
cmp -s ossl.old "$idx.old" || die "index.txt.old changed"
[ -z "$(ls sca/kpki-ledger | grep 'index.txt.old.')" ] || die "a file set aside"
# openssl adds a line of its own for a certificate missing from index.txt:
# kpki takes it for its record's line (same expiry and subject)
grep -v "	$s2	" "$idx" >idx.tmp && cat idx.tmp >"$idx"
openssl ca -config sca.cnf -revoke c2.pem 2>ossl.err || { cat ossl.err >&2; die "revoke c2"; }
expect_status 0 kpki-sign $pol --out signed.3
[ "$(grep -c "	$s2	" "$idx")" -eq 1 ] || die "c2 not once in index.txt"
for want in "$s0=Revoked" "$s1=Valid" "$s2=Revoked" "0DEAD0=Valid"; do
	openssl ca -config sca.cnf -status "${want%%=*}" >ossl.out 2>&1 || true
	grep -qF "$want" ossl.out || { cat ossl.out >&2; die "openssl ca -status: $want"; }
done
grep -qF "R	" "$idx" || die "revocations lost"
# a journal others can read or write is refused, and named with its fix
chmod 644 sca/kpki-ledger/journal.jsonl
expect_status 1 kpki-sign $pol --out signed.4
expect_grep "journal.jsonl': mode 0644 lets group or others read or write it; fix with: chmod 600 'sca/kpki-ledger/journal.jsonl'" err
[ ! -e signed.4 ] || die "signed with an unsafe journal"
chmod 600 sca/kpki-ledger/journal.jsonl
# a CA directory others can write to, likewise
chmod 777 sca
expect_status 1 kpki-sign $pol --out signed.4
expect_grep "CA directory 'sca': mode 0777 lets group or others write to it" err
chmod 755 sca
