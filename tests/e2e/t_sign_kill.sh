# kill -9 at any instant of a batch: no serial handed out twice, and every
# certificate that left the tool is in the ledger. And one kpki-sign at a time.
. "$KPKI_E2E/lib.sh"
top=$E2E/../..

kpki-sign --init --ca-dir ca 2>/dev/null || die "init"
kpki-csr --config "$top/examples/kubeadm.yaml" --cert-dir node/pki --kubeconfig-dir node \
	--bundle node.bundle 2>/dev/null || die "kpki-csr"
pol="--ca-dir ca --policy $top/examples/policy.yaml --bundle node.bundle"

# check_ledger — the invariants after any crash
check_ledger() {
	/usr/bin/python3 - "$@" <<'PY' || die "ledger invariants broken (round $round)"
import glob, json, sys, yaml
from cryptography import x509
journal = []
for line in open("ca/kpki-ledger/journal.jsonl", "rb").read().split(b"\n"):
    try:
        journal.append(int(json.loads(line)["serial"], 16))
    except Exception:
        pass  # a torn last line: the certificate never left
index = [int(l.split("\t")[3], 16) for l in open("ca/kpki-ledger/index.txt") if l.strip()]
assert len(journal) == len(set(journal)), "a serial twice in the journal"
assert len(index) == len(set(index)), "a serial twice in index.txt"
released = 0
for out in glob.glob("out.*"):
    try:
        doc = yaml.safe_load(open(out))
    except Exception:
        raise SystemExit("%s is half written" % out)
    for e in doc["entries"]:
        c = x509.load_pem_x509_certificate(e["certificate"].encode())
        assert c.serial_number in journal, \
            "%x left the tool but is not in the journal" % c.serial_number
        released += 1
print("journal", len(journal), "released", released)
PY
}

round=0
while [ $round -lt 40 ]; do
	round=$((round + 1))
	kpki-sign $pol --out "out.$round" 2>/dev/null &
	pid=$!
	# anywhere from before the first certificate to after the last
	/usr/bin/python3 -c "import random, time; time.sleep(random.uniform(0, 0.15))"
	kill -9 $pid 2>/dev/null || true
	wait $pid 2>/dev/null || true
	check_ledger
done
# the ledger still opens and signs after all that
expect_status 0 kpki-sign $pol --out out.final
check_ledger
grep -q . ca/kpki-ledger/index.txt || die "empty index"

# two at once: the second is turned away, the first is not disturbed
/usr/bin/python3 - <<'PY' &
import fcntl, os, time
fd = os.open("ca/kpki-ledger/lock", os.O_RDWR)
fcntl.flock(fd, fcntl.LOCK_EX)
open("held", "w").close()
time.sleep(3)
PY
holder=$!
while [ ! -e held ]; do sleep 0.05; done
expect_status 1 kpki-sign $pol --out out.locked
expect_grep "in use" err
[ ! -e out.locked ] || die "output written without the ledger"
wait $holder
