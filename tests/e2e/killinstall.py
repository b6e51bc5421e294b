"""Kills kpki-kubeconfig at every state-changing call of a renewal install.

Run by t_kubeconfig_kill.sh in a directory holding `pristine/` (a node
after its first install, new keys staged) and `rs.yaml` (the signed
renewal bundle). For each call named on the command line (fsync, rename,
write...) and each N up to the number of such calls a whole run makes, the
N-th gets SIGKILL (strace's fault injection). After each kill:

  - every pair (key and certificate in the cert dir) and every kubeconfig
    is wholly old or wholly new, never mixed;
  - a backup folder under its final name holds the previous files whole;
  - every other round the rerun is killed too, half way through its own
    calls, and checked again;
  - the same command run once more succeeds, and then everything is new,
    nothing of the install is left behind, and the backup is whole.

Prints "<kills> kills, <mid> while an intent file was there".
"""
import base64
import filecmp
import functools
import glob
import os
import shutil
import subprocess
import sys

import yaml
from cryptography import x509
from cryptography.hazmat.primitives import serialization as ser

CALLS = sys.argv[1:]
INSTALL = ["kpki-kubeconfig", "--signed", "rs.yaml", "--cert-dir", "node/pki",
           "--kubeconfig-dir", "node", "--kubelet-dir", "node/kubelet"]
# the directory of each location, here and in a backup folder
DIRS = {"cert-dir": "pki", "kubelet-dir": "kubelet"}
BACKUP = {"cert-dir": "pki", "kubelet-dir": "kubelet-pki"}
INTENT = "node/pki/kpki-staging/kpki-install.intent"
DOC = yaml.safe_load(open("rs.yaml"))


def fail(msg):
    sys.exit("FAILED: " + msg)


# the keys are old or new ones, each loaded (and checked, slowly) once
@functools.lru_cache(maxsize=None)
def spki_of_cert(pem):
    return x509.load_pem_x509_certificate(pem).public_key().public_bytes(
        ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo)


@functools.lru_cache(maxsize=None)
def spki_of_key(pem):
    return ser.load_pem_private_key(pem, None).public_key().public_bytes(
        ser.Encoding.DER, ser.PublicFormat.SubjectPublicKeyInfo)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def same_tree(a, b, skip=()):
    """Whether trees a and b hold the same names, types and bytes."""
    cmp = filecmp.dircmp(a, b, ignore=list(skip))
    if cmp.left_only or cmp.right_only or cmp.funny_files:
        return False
    _, mismatch, errors = filecmp.cmpfiles(a, b, cmp.common_files, shallow=False)
    if mismatch or errors:
        return False
    return all(same_tree(os.path.join(a, d), os.path.join(b, d), skip)
               for d in cmp.common_dirs)


def check(what, after):
    for e in DOC["entries"]:
        new = e["certificate"].encode()
        name = "%s: %s" % (what, e["name"])
        if e["location"] in DIRS:
            where = DIRS[e["location"]] + "/"
            base = e["path"][:-len(".crt")]
            crt = read("node/" + where + e["path"])
            key = read("node/" + where + base + ".key")
            if crt == new:
                if spki_of_key(key) != spki_of_cert(new):
                    fail(name + ": the new certificate with another key")
            elif crt == read("pristine/" + where + e["path"]):
                if after:
                    fail(name + ": still the old certificate after the rerun")
                if key != read("pristine/" + where + base + ".key"):
                    fail(name + ": the old certificate with a new key")
            else:
                fail(name + ": neither the old nor the new certificate")
        elif e["location"] == "kubeconfig-dir":
            user = yaml.safe_load(open("node/" + e["path"]))["users"][0]["user"]
            crt = base64.b64decode(user["client-certificate-data"])
            key = base64.b64decode(user["client-key-data"])
            old = yaml.safe_load(open("pristine/" + e["path"]))["users"][0]["user"]
            if crt == new:
                if spki_of_key(key) != spki_of_cert(new):
                    fail(name + ": the new certificate with another key")
            elif after or user != old:
                fail(name + ": neither the old nor the new kubeconfig")
        else:
            fail(name + ": location %s is not checked here" % e["location"])
    # a backup under its final name is whole: the previous tree, the
    # previous kubeconfigs
    for bk in glob.glob("node/tmp/kpki-backup-*"):
        for loc, d in DIRS.items():
            if not same_tree("pristine/" + d, bk + "/" + BACKUP[loc], skip=["kpki-staging"]):
                fail("%s: %s/%s is not the previous %s" % (what, bk, BACKUP[loc], loc))
        if os.path.exists(bk + "/pki/kpki-staging"):
            fail("%s: %s holds the staged (now live) keys" % (what, bk))
        for e in DOC["entries"]:
            if e["location"] == "kubeconfig-dir" and \
                    read(bk + "/" + e["path"]) != read("pristine/" + e["path"]):
                fail("%s: %s/%s is not the previous one" % (what, bk, e["path"]))
    if after:
        if read("node/kubelet/kubelet-client-2025.pem") != \
                read("pristine/kubelet/kubelet-client-2025.pem") or \
                os.readlink("node/kubelet/kubelet-client-current.pem") != "kubelet-client-2025.pem":
            fail(what + ": the kubelet's own files were not kept")
        left = (glob.glob("node/.*.kpki-next") + glob.glob("node/**/.*.kpki-new*",
                recursive=True) + glob.glob("node/tmp/.kpki-backup-*") +
                glob.glob("node/pki/kpki-staging"))
        if left:
            fail("%s: left behind: %s" % (what, left))
        if len(glob.glob("node/tmp/kpki-backup-*")) != 1:
            fail(what + ": not one backup folder")


def run(argv):
    return subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE).returncode


def killed(call, n):
    st = run(["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=" + call,
              "-e", "inject=%s:signal=KILL:when=%d" % (call, n)] + INSTALL)
    return st


def count(calls):
    shutil.copytree("pristine", "node", symlinks=True)
    st = run(["strace", "-f", "-qq", "-o", "count.trace", "-e", "trace=" + ",".join(calls)]
             + INSTALL)
    if st != 0:
        fail("an install under strace exited %d" % st)
    n = {c: 0 for c in calls}
    for line in open("count.trace"):
        line = line.split(None, 1)[1] if line[:1].isdigit() else line
        c = line.split("(", 1)[0]
        if c in n:
            n[c] += 1
    shutil.rmtree("node")
    return n


def main():
    totals = count(CALLS)
    if totals.get("renameat2", 0) < 4:
        fail("the install made no two exchanges: not two swaps")
    kills = mid = 0
    for call in CALLS:
        for n in range(1, totals[call] + 1):
            kills += 1
            what = "kill at %s #%d" % (call, n)
            shutil.copytree("pristine", "node", symlinks=True)
            st = killed(call, n)
            if st != 137 and st != -9:
                fail("%s: kpki-kubeconfig exited %d, not killed" % (what, st))
            check(what, False)
            if os.path.exists(INTENT):
                mid += 1
            if kills % 2 == 0:
                # the rerun is killed too, half way
                st = killed(call, max(1, n // 2))
                if st not in (137, -9, 0):
                    fail("%s: the killed rerun exited %d" % (what, st))
                check(what + ", then again", False)
            st = run(INSTALL)
            if st != 0:
                fail("%s: the rerun exited %d" % (what, st))
            check(what + ", rerun", True)
            shutil.rmtree("node")
    if mid == 0:
        fail("no kill landed while the intent file was there")
    print("%d kills, %d while an intent file was there" % (kills, mid))


main()
