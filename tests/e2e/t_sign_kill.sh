# kill -9 at every point of a batch where it matters: no serial handed out
# twice, and every certificate that left the tool is in the ledger. And one
# kpki-sign at a time.
#
# The kills are placed with strace's fault injection: the N-th fsync, write,
# openat, rename... of a run gets SIGKILL, for every N up to the number of
# such calls a whole run makes, so that each step of the batch (each journal
# write and sync, each index.txt line, the signed bundle's temporary file and
# its rename, the ledger's recovery) is interrupted once.
. "$KPKI_E2E/lib.sh"
top=$E2E/../..
command -v strace >/dev/null || die "strace is needed (scripts/deps.sh test)"
# LeakSanitizer cannot run under ptrace (the sanitizer build, make asan)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS

kpki-sign --init --ca-dir ca 2>/dev/null || die "init"
kpki-csr --config "$top/examples/kubeadm.yaml" --cert-dir node/pki --kubeconfig-dir node \
	--bundle node.bundle 2>/dev/null || die "kpki-csr"
pol="--ca-dir ca --policy $top/examples/policy.yaml --bundle node.bundle"
led=ca/kpki-ledger
mkdir snap

# the calls a whole run makes, by name (a first run made the ledger)
expect_status 0 kpki-sign $pol --out out.0
calls="fsync write pwrite64 ftruncate openat mkdirat rename renameat renameat2"
strace -f -qq -o count.trace -e trace="$(echo $calls | tr ' ' ,)" \
	kpki-sign $pol --out out.count 2>/dev/null || die "strace cannot trace kpki-sign"
count() {
	awk -v c="$1" '{ sub(/^[0-9]+ +/, ""); if (index($0, c "(") == 1) n++ } END { print n + 0 }' \
		count.trace
}
[ "$(count fsync)" -ge 20 ] || die "expected an fsync per journal and index.txt line"

round=0
for sc in $calls; do
	total=$(count "$sc")
	n=1
	while [ "$n" -le "$total" ]; do
		round=$((round + 1))
		set +e
		strace -f -qq -o /dev/null -e trace="$sc" -e inject="$sc:signal=KILL:when=$n" \
			kpki-sign $pol --out "out.$round" >/dev/null 2>&1
		st=$?
		set -e
		[ "$st" -eq 137 ] || die "$sc #$n: kpki-sign exited $st, not killed by SIGKILL"
		echo "$round $sc $n" >>snap/rounds
		cp "$led/journal.jsonl" "snap/$round.journal"
		cp "$led/index.txt" "snap/$round.index" 2>/dev/null || : >"snap/$round.index"
		# every other round the next open recovers from the crash unhurried;
		# in the others the next run is killed again, perhaps in recovery
		if [ $((round % 2)) -eq 0 ]; then
			expect_status 0 kpki-sign $pol --out "clean.$round"
			cp "$led/journal.jsonl" "snap/$round.clean.journal"
			cp "$led/index.txt" "snap/$round.clean.index"
		fi
		n=$((n + 1))
	done
done
[ "$round" -ge 60 ] || die "only $round kills"
expect_status 0 kpki-sign $pol --out clean.final
cp "$led/journal.jsonl" snap/final.clean.journal
cp "$led/index.txt" snap/final.clean.index

/usr/bin/python3 - <<'PY' || die "ledger invariants broken"
import glob, json, os, yaml
from cryptography import x509

def journal(path):
    """Serials of the whole journal lines (a torn last line never left)."""
    out = []
    for line in open(path, "rb").read().split(b"\n")[:-1]:
        out.append(int(json.loads(line)["serial"], 16))
    return out

def index(path):
    data = open(path, "rb").read()
    return [int(l.split(b"\t")[3], 16) for l in data.split(b"\n")[:-1]]

def once(what, serials):
    assert len(serials) == len(set(serials)), "%s: a serial twice" % what

def released(path):
    doc = yaml.safe_load(open(path))  # written whole or not at all
    return [x509.load_pem_x509_certificate(e["certificate"].encode()).serial_number
            for e in doc["entries"]]

rounds = [l.split() for l in open("snap/rounds")]
left = 0
for r, sc, n in rounds:
    what = "kill at %s #%s (round %s)" % (sc, n, r)
    j = journal("snap/%s.journal" % r)
    i = index("snap/%s.index" % r)
    once(what + ": journal", j)
    once(what + ": index.txt", i)
    assert set(i) <= set(j), what + ": index.txt ahead of the journal"
    if os.path.exists("out.%s" % r):
        left += 1
        for s in released("out.%s" % r):
            assert s in j, "%s: %x left the tool but is not in the journal" % (what, s)
for clean in sorted(glob.glob("snap/*.clean.journal")):
    base = clean[:-len(".journal")]
    j, i = journal(clean), index(base + ".index")
    once(base, j)
    once(base, i)
    assert sorted(j) == sorted(i), base + ": index.txt and the journal differ"
final = set(journal("snap/final.clean.journal"))
for out in glob.glob("out.*") + glob.glob("clean.*"):
    if out != "out.count" and not out.startswith("out.0"):
        for s in released(out):
            assert s in final, "%s: %x not in the journal" % (out, s)
# serials of torn records are never recorded afterwards
if os.path.exists("ca/kpki-ledger/journal.torn"):
    for line in open("ca/kpki-ledger/journal.torn", "rb").read().split(b"\n"):
        k = line.find(b'"serial":"')
        if k >= 0:
            s = line[k + 10:].split(b'"')[0]
            if len(s) == 32:
                assert int(s, 16) not in final, "torn serial %s reused" % s
assert left > 0, "no kill fell after the signed bundle was written"
print(len(rounds), "kills,", left, "after the bundle was written")
PY
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
