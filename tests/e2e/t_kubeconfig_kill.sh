# kill -9 at any instant of an install (a renewal): every pair is then
# wholly old, wholly new, or its swap is recorded in the intent file; and
# the same command run again finishes the job.
. "$KPKI_E2E/lib.sh"
top=$E2E/../..
cfg=$top/examples/kubeadm.yaml
pol=$top/examples/policy.yaml

kpki-sign --init --ca-dir ca 2>/dev/null || die "init"
kpki-csr --config "$cfg" --cert-dir node/pki --kubeconfig-dir node --bundle b.yaml \
	2>/dev/null || die "kpki-csr"
kpki-sign --ca-dir ca --policy "$pol" --bundle b.yaml --out s.yaml 2>/dev/null || die "sign"
mkdir -p node/pki/etcd
cp ca/ca.crt ca/front-proxy-ca.crt node/pki/
cp ca/etcd/ca.crt node/pki/etcd/
kpki-kubeconfig --signed s.yaml --cert-dir node/pki --kubeconfig-dir node --config "$cfg" \
	2>/dev/null || die "first install"
kpki-csr --renew --cert-dir node/pki --kubeconfig-dir node --bundle r.yaml 2>/dev/null ||
	die "kpki-csr --renew"
kpki-sign --ca-dir ca --policy "$pol" --bundle r.yaml --out rs.yaml 2>/dev/null || die "sign r"
mv node pristine

# check STAGE — the invariants; STAGE "after" also wants everything new
check() {
	/usr/bin/python3 - "$1" <<'PY' || die "round $round: $1: invariants broken"
import base64, glob, os, sys, yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization as s
after = sys.argv[1] == "after"
doc = yaml.safe_load(open("rs.yaml"))
intent_path = "node/pki/kpki-staging/kpki-install.intent"
intent = open(intent_path).read().split("\n") if os.path.exists(intent_path) else []
if after:
    assert not intent, "intent file left"
    assert not os.path.exists("node/pki/kpki-staging"), "staging left"
    assert not glob.glob("node/**/.*.kpki-new", recursive=True), "pending files left"
    assert not glob.glob("node/**/..*.kpki-new.tmp-*", recursive=True), "temporaries left"
    assert not glob.glob("node/tmp/.kpki-backup-*.partial"), "partial backups left"
# a backup under its final name is whole: the old pairs, byte for byte
for bk in glob.glob("node/tmp/kpki-backup-*"):
    for f in ("pki/apiserver.crt", "pki/apiserver.key", "admin.conf"):
        assert open(os.path.join(bk, f), "rb").read() == \
            open(os.path.join("pristine", f), "rb").read(), bk + ": " + f + " incomplete"
def pub(pem):
    return x509.load_pem_x509_certificate(pem).public_key().public_bytes(
        s.Encoding.DER, s.PublicFormat.SubjectPublicKeyInfo)
def kpub(pem):
    return s.load_pem_private_key(pem, None).public_key().public_bytes(
        s.Encoding.DER, s.PublicFormat.SubjectPublicKeyInfo)
for e in doc["entries"]:
    new = e["certificate"].encode()
    if e["location"] == "cert-dir":
        base = e["path"][:-4]
        crt = open("node/pki/" + e["path"], "rb").read()
        key = open("node/pki/" + base + ".key", "rb").read()
        old_crt = open("pristine/pki/" + e["path"], "rb").read()
        old_key = open("pristine/pki/" + base + ".key", "rb").read()
        if crt == new:
            assert kpub(key) == pub(new), e["name"] + ": new certificate, key not its"
        elif not after and crt == old_crt and key == old_key:
            pass
        elif not after and crt == old_crt:
            # the window between the key and the certificate rename
            name = os.path.basename(e["path"])
            assert any(l.startswith("rename ") and l.split(" ")[4] == name
                       for l in intent), e["name"] + ": half swapped, not in the intent"
            assert kpub(key) == pub(new), e["name"] + ": half swapped with a foreign key"
        else:
            raise SystemExit(e["name"] + ": neither old nor new")
    else:
        kc = yaml.safe_load(open("node/" + e["path"]))
        u = kc["users"][0]["user"]
        c = base64.b64decode(u["client-certificate-data"])
        k = base64.b64decode(u["client-key-data"])
        old = yaml.safe_load(open("pristine/" + e["path"]))["users"][0]["user"]
        if c == new:
            assert kpub(k) == pub(new), e["name"]
        else:
            assert not after and u == old, e["name"] + ": neither old nor new"
PY
}

install="--signed rs.yaml --cert-dir node/pki --kubeconfig-dir node"
round=0
mid=0
while [ $round -lt 40 ]; do
	round=$((round + 1))
	rm -rf node
	cp -a pristine node
	if [ $((round % 2)) -eq 0 ]; then
		# anywhere from the start to after the end
		kpki-kubeconfig $install 2>/dev/null &
		pid=$!
		/usr/bin/python3 -c "import random, time; time.sleep(random.uniform(0, 0.045))"
		kill -9 $pid 2>/dev/null || true
		wait $pid 2>/dev/null || true
	else
		# during the renames: as soon as the intent file is there, and a
		# little later
		/usr/bin/python3 - $install <<'PY' || die "round $round: harness"
import os, random, signal, subprocess, sys
p = subprocess.Popen(["kpki-kubeconfig"] + sys.argv[1:], stderr=subprocess.DEVNULL)
intent = "node/pki/kpki-staging/kpki-install.intent"
while p.poll() is None and not os.path.exists(intent):
    pass
for _ in range(random.randint(0, 400)):
    os.path.exists(intent)
p.send_signal(signal.SIGKILL)
p.wait()
PY
	fi
	check during
	if [ -e node/pki/kpki-staging/kpki-install.intent ]; then
		mid=$((mid + 1))
		# a rerun with another kubeconfig dir (a copy) carries out nothing
		rm -rf elsewhere
		cp -a node elsewhere
		before=$(tree_sum node)
		expect_status 1 kpki-kubeconfig --signed rs.yaml --cert-dir node/pki \
			--kubeconfig-dir elsewhere
		expect_grep "is not the kubeconfig-dir the interrupted install used" err
		[ "$(tree_sum node)" = "$before" ] || die "round $round: a wrong-dir rerun changed the tree"
	fi
	expect_status 0 kpki-kubeconfig $install
	check after
done
echo "$mid of $round kills landed while the intent file was there"
[ $mid -gt 0 ] || die "no kill landed mid-swap: the test did not test the replay"
expect_status 0 kpki-inspect --verify --config "$cfg" --cert-dir node/pki --kubeconfig-dir node

# an intent file of another bundle is not carried out
rm -rf node
cp -a pristine node
mkdir -p node/pki/kpki-staging
printf 'kpki-install-intent v2\nid %064d\nrename staging apiserver.key cert-dir apiserver.key\n' 0 \
	>node/pki/kpki-staging/kpki-install.intent
before=$(tree_sum node)
expect_status 1 kpki-kubeconfig $install
expect_grep "an install of another signed bundle was interrupted" err
[ "$(tree_sum node)" = "$before" ] || die "a foreign intent file was acted on"
