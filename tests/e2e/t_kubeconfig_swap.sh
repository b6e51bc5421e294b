# kpki-kubeconfig: a renewal that changes keys swaps the cert dir (and the
# kubelet's) whole, so a reader sees each key with its own certificate at
# every instant. The directory is a new one with the old one's mode and
# owner, every pair in it new and matching; the previous tree is kept whole
# in the backup folder (a process inside it still reads the old pairs), or
# beside the directory on another filesystem; the kubelet's own files stay;
# a dry run says it would swap; a cert dir named through a symlink is
# swapped where the link points; a mount point is refused, and --in-place
# replaces the files in it one by one.
. "$KPKI_E2E/lib.sh"
top=$E2E/../..
cfg=$top/examples/kubeadm.yaml

inside=
mounts=
cleanup() {
	[ -z "$inside" ] || kill "$inside" 2>/dev/null || true
	for m in $mounts; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
}
trap cleanup EXIT

# every key below DIR (the staged ones aside) is the key of the certificate
# beside it
pairs_match() {
	n=0
	for k in $(cd "$1" && find . -name '*.key' ! -path './kpki-staging/*'); do
		c=$1/${k%.key}.crt
		[ -f "$c" ] || die "'$1/$k' has no certificate beside it"
		[ "$(openssl pkey -in "$1/$k" -pubout)" = "$(openssl x509 -in "$c" -pubkey -noout)" ] ||
			die "'$1/$k' is not the key of '$c'"
		n=$((n + 1))
	done
	[ $n -gt 0 ] || die "no pairs in '$1'"
}

# every key below OLD has been replaced by a new one in NEW
pairs_new() {
	for k in $(cd "$1" && find . -name '*.key' ! -path './kpki-staging/*'); do
		cmp -s "$1/$k" "$2/$k" && die "'$2/$k' was not renewed"
		cmp -s "$1/${k%.key}.crt" "$2/${k%.key}.crt" && die "'$2/${k%.key}.crt' was not renewed"
	done
	return 0
}

verify_clean() {
	expect_status 0 kpki-inspect --verify --config "$cfg" --cert-dir "$1" --kubeconfig-dir "$2"
	[ ! -s out ] || die "kpki-inspect --verify found problems in '$1'"
}

no_leftovers() {
	left=$(find . -name "*.kpki-next")
	[ -z "$left" ] || die "next trees left: $left"
}

# a node with the kubelet serving certificate too (a test-local policy
# allows it), installed once, then renewed: new keys staged and signed
sed 's/^  - kubelet\.conf$/&\n  - kubelet/' "$top/examples/policy.yaml" >policy.yaml
grep -qx '  - kubelet' policy.yaml || die "policy.yaml: no kubelet"
all=super-admin.conf,apiserver,apiserver-kubelet-client,front-proxy-client
all=$all,apiserver-etcd-client,etcd-server,etcd-peer,etcd-healthcheck-client
all=$all,admin.conf,controller-manager.conf,scheduler.conf,kubelet.conf,kubelet
kpki-sign --init --ca-dir ca 2>/dev/null || die "init"
kpki-csr --config "$cfg" --only $all --key-type ecdsa-p256 --cert-dir node/pki \
	--kubeconfig-dir node --kubelet-dir kl/pki --bundle b.yaml 2>/dev/null || die "kpki-csr"
kpki-sign --ca-dir ca --policy policy.yaml --bundle b.yaml --out s.yaml 2>/dev/null || die "sign"
mkdir -p node/pki/etcd
cp ca/ca.crt ca/front-proxy-ca.crt node/pki/
cp ca/etcd/ca.crt node/pki/etcd/
expect_status 0 kpki-kubeconfig --signed s.yaml --cert-dir node/pki --kubeconfig-dir node \
	--kubelet-dir kl/pki --config "$cfg"
expect_no_grep "swap" err # a first install changes no key
[ ! -e node/tmp ] || die "a first install made a backup"
# what the kubelet keeps beside its serving pair: its rotated client pairs
echo "a rotated client pair" >kl/pki/kubelet-client-2025.pem
chmod 600 kl/pki/kubelet-client-2025.pem
ln -s kubelet-client-2025.pem kl/pki/kubelet-client-current.pem
# a mode and group of the admin's choosing, to be kept
chmod 750 node/pki
[ "$(id -u)" -ne 0 ] || chgrp 1234 node/pki
chmod 700 kl/pki
kpki-csr --renew --only $all --cert-dir node/pki --kubeconfig-dir node --kubelet-dir kl/pki \
	--bundle r.yaml 2>/dev/null || die "kpki-csr --renew"
kpki-sign --ca-dir ca --policy policy.yaml --bundle r.yaml --out rs.yaml 2>/dev/null ||
	die "sign r"
# the renewal, ready to install; the cases below install copies of it
cp -a node p.node
cp -a kl p.kl
prev=prev.pki # the previous cert dir, as its backup must be
cp -a p.node/pki $prev
rm -r $prev/kpki-staging

# a directory that holds what cannot be copied (a FIFO) is refused before
# anything is written, the dry run too, with the way out named
cp -a p.node f.node
cp -a p.kl f.kl
mkfifo f.node/pki/fifo
before=$(tree_sum f.node)$(tree_sum f.kl)
for dry in --dry-run ""; do
	expect_status 3 kpki-kubeconfig --signed rs.yaml --cert-dir f.node/pki \
		--kubeconfig-dir f.node --kubelet-dir f.kl/pki $dry
	expect_grep "refused: directory 'f.node/pki': 'f.node/pki/fifo': not a file, directory or symbolic link; cannot copy it, so it cannot be swapped whole" err
	expect_grep "rerun with --in-place" err
done
[ "$(tree_sum f.node)$(tree_sum f.kl)" = "$before" ] || die "a refused install changed the tree"

# a dry run says it would swap both directories, and changes nothing
install="--signed rs.yaml --cert-dir node/pki --kubeconfig-dir node --kubelet-dir kl/pki"
before=$(tree_sum node)$(tree_sum kl)
expect_status 0 kpki-kubeconfig $install --dry-run
expect_grep "kpki-kubeconfig: would swap 'node/pki' whole (each key with its certificate), keeping the previous tree in the backup folder as 'pki'" err
expect_grep "kpki-kubeconfig: would swap 'kl/pki' whole (each key with its certificate), keeping the previous tree in the backup folder as 'kubelet-pki'" err
[ "$(tree_sum node)$(tree_sum kl)" = "$before" ] || die "--dry-run changed the tree"
[ ! -e node/tmp ] || die "--dry-run made a backup folder"
no_leftovers

# the renewal: a process inside the cert dir (a static pod's bind mount)
# keeps the old tree, the path gets the new one
ino=$(stat -c %i node/pki)
klino=$(stat -c %i kl/pki)
meta=$(stat -c '%a %u %g' node/pki)
sh -c 'cd node/pki && exec sleep 30' &
inside=$!
i=0
while [ "$(stat -L -c %i /proc/$inside/cwd 2>/dev/null)" != "$ino" ]; do
	i=$((i + 1))
	[ $i -lt 100 ] || die "the process did not enter node/pki"
	sleep 0.05
done
expect_status 0 kpki-kubeconfig $install
expect_grep "kpki-kubeconfig: swapped 'node/pki' whole (each key with its certificate), keeping the previous tree in the backup folder as 'pki'" err
expect_grep "kpki-kubeconfig: swapped 'kl/pki' whole (each key with its certificate), keeping the previous tree in the backup folder as 'kubelet-pki'" err
[ "$(stat -c %i node/pki)" != "$ino" ] || die "the cert dir was not swapped (same inode)"
[ "$(stat -c '%a %u %g' node/pki)" = "$meta" ] ||
	die "cert dir mode/owner: $(stat -c '%a %u %g' node/pki), was $meta"
pairs_match node/pki
pairs_new p.node/pki node/pki
verify_clean node/pki node
[ ! -e node/pki/kpki-staging ] || die "staging left in the cert dir"
no_leftovers
set -- node/tmp/kpki-backup-*
[ $# -eq 1 ] && [ -d "$1" ] || die "no single backup folder: $*"
bk=$1
[ ! -e "$bk/pki/kpki-staging" ] || die "the backup holds the staged keys"
diff -r $prev "$bk/pki" >&2 || die "the backup's pki is not the previous cert dir"
[ "$(tree_sum "$bk/pki")" = "$(tree_sum $prev)" ] || die "the backup's pki: modes differ"
for f in admin.conf kubelet.conf; do
	cmp -s "p.node/$f" "$bk/$f" || die "backup of $f is not the old file"
done
# the process inside now sits in the backup, and reads the old pair there
case $(readlink /proc/$inside/cwd) in
*/"$bk"/pki) ;;
*) die "the process's directory is '$(readlink /proc/$inside/cwd)', not the backup" ;;
esac
cmp -s /proc/$inside/cwd/apiserver.crt p.node/pki/apiserver.crt &&
	cmp -s /proc/$inside/cwd/apiserver.key p.node/pki/apiserver.key ||
	die "the process inside does not see the old apiserver pair"
pairs_match /proc/$inside/cwd
kill $inside
wait $inside 2>/dev/null || true
inside=

# the kubelet dir: swapped, its serving pair new, the kubelet's files kept
[ "$(stat -c %i kl/pki)" != "$klino" ] || die "the kubelet dir was not swapped (same inode)"
[ "$(stat -c %a kl/pki)" = 700 ] || die "kubelet dir mode $(stat -c %a kl/pki)"
pairs_match kl/pki
pairs_new p.kl/pki kl/pki
openssl verify -CAfile ca/ca.crt kl/pki/kubelet.crt >/dev/null || die "kubelet.crt chain"
cmp -s p.kl/pki/kubelet-client-2025.pem kl/pki/kubelet-client-2025.pem ||
	die "kubelet-client-2025.pem changed"
[ "$(stat -c %a kl/pki/kubelet-client-2025.pem)" = 600 ] || die "kubelet-client-2025.pem mode"
[ -L kl/pki/kubelet-client-current.pem ] &&
	[ "$(readlink kl/pki/kubelet-client-current.pem)" = kubelet-client-2025.pem ] ||
	die "kubelet-client-current.pem is not the link it was"
diff -r p.kl/pki "$bk/kubelet-pki" >&2 || die "the backup's kubelet-pki is not the previous one"
[ "$(tree_sum "$bk/kubelet-pki")" = "$(tree_sum p.kl/pki)" ] &&
	[ "$(readlink "$bk/kubelet-pki/kubelet-client-current.pem")" = kubelet-client-2025.pem ] ||
	die "the backup's kubelet-pki: modes or link differ"

# the same command again: nothing to do
before=$(tree_sum node)$(tree_sum kl)
expect_status 0 kpki-kubeconfig $install
expect_no_grep "swap" err
[ "$(tree_sum node)$(tree_sum kl)" = "$before" ] || die "a rerun changed the tree"

# a cert dir named through a symlink: the directory it points to is
# swapped, the link stays as it was
mkdir real sl
cp -a p.node/pki real/pki
cp -a p.node/*.conf sl/
cp -a p.kl sl.kl
ln -s ../real/pki sl/pki
[ "$(stat -c %u sl/pki)" = "$(id -u)" ] || die "the link is not ours"
ino=$(stat -c %i real/pki)
lino=$(stat -c %i sl/pki)
expect_status 0 kpki-kubeconfig --signed rs.yaml --cert-dir sl/pki --kubeconfig-dir sl \
	--kubelet-dir sl.kl/pki
expect_grep "swapped 'sl/pki' whole (each key with its certificate), keeping the previous tree in the backup folder as 'pki'" err
[ -L sl/pki ] && [ "$(readlink sl/pki)" = ../real/pki ] && [ "$(stat -c %i sl/pki)" = "$lino" ] ||
	die "the symlink changed"
[ -d real/pki ] && [ ! -L real/pki ] || die "real/pki is no longer a directory"
[ "$(stat -c %i real/pki)" != "$ino" ] || die "the linked-to directory was not swapped"
pairs_match real/pki
pairs_new p.node/pki real/pki
verify_clean sl/pki sl
set -- sl/tmp/kpki-backup-*
[ $# -eq 1 ] && diff -r $prev "$1/pki" >&2 || die "sl: the backup's pki is not the previous tree"
[ ! -e real/pki/kpki-staging ] || die "staging left in the linked-to cert dir"
no_leftovers

# one install at a time: another kpki-kubeconfig or kpki-csr holding the
# kubeconfig dir makes this one wait its turn, changing nothing
cp -a p.node l.node
cp -a p.kl l.kl
before=$(tree_sum l.node)
/usr/bin/python3 - <<'PY' &
import fcntl, os, time
fd = os.open("l.node", os.O_RDONLY | os.O_DIRECTORY)
fcntl.flock(fd, fcntl.LOCK_EX)
open("held", "w").close()
time.sleep(3)
PY
holder=$!
while [ ! -e held ]; do sleep 0.05; done
expect_status 1 kpki-kubeconfig --signed rs.yaml --cert-dir l.node/pki --kubeconfig-dir l.node \
	--kubelet-dir l.kl/pki
expect_grep "/l.node': another kpki-csr or kpki-kubeconfig is at work in it; try again once it has finished" err
expect_status 1 kpki-csr --renew --cert-dir l.node/pki --kubeconfig-dir l.node --bundle l.yaml
expect_grep "another kpki-csr or kpki-kubeconfig is at work in it" err
[ "$(tree_sum l.node)" = "$before" ] && [ ! -e l.yaml ] || die "a locked-out run wrote"
wait $holder
# a shared hold (a dry run's, a monitoring look) lets dry runs through,
# never a run that writes
/usr/bin/python3 - <<'PY' &
import fcntl, os, time
fd = os.open("l.node", os.O_RDONLY | os.O_DIRECTORY)
fcntl.flock(fd, fcntl.LOCK_SH)
open("held.sh", "w").close()
time.sleep(3)
PY
holder=$!
while [ ! -e held.sh ]; do sleep 0.05; done
expect_status 0 kpki-csr --renew --dry-run --cert-dir l.node/pki --kubeconfig-dir l.node
expect_status 0 kpki-kubeconfig --signed rs.yaml --cert-dir l.node/pki --kubeconfig-dir l.node \
	--kubelet-dir l.kl/pki --dry-run
expect_status 1 kpki-csr --renew --cert-dir l.node/pki --kubeconfig-dir l.node --bundle l.yaml
expect_grep "another kpki-csr or kpki-kubeconfig is at work in it" err
[ "$(tree_sum l.node)" = "$before" ] && [ ! -e l.yaml ] || die "a locked-out run wrote"
wait $holder

# the kubelet rotating its certificate while its directory is being
# swapped: a file written there after the copy was made would be lost, so
# the install notices and undoes itself, or, killed, its rerun gives it
# up; either way the next run swaps in a copy that has the new file
command -v strace >/dev/null || die "strace is needed (scripts/deps.sh test)"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS
cp -a p.node r.node
cp -a p.kl r.kl
install="--signed rs.yaml --cert-dir r.node/pki --kubeconfig-dir r.node --kubelet-dir r.kl/pki"
# the call that puts the live intent file in place, after both copies
strace -f -qq -o r.trace -e trace=renameat kpki-kubeconfig $install >/dev/null 2>&1 ||
	die "an install under strace"
n=$(grep -c 'renameat(' r.trace)
at=$(grep -n 'kpki-install.intent' r.trace | tail -1 | cut -d: -f1)
[ -n "$at" ] && [ "$at" -lt "$n" ] || die "no intent file rename in the trace"
rm -rf r.node r.kl
cp -a p.node r.node
cp -a p.kl r.kl
before=$(tree_sum r.node)
strace -f -qq -o /dev/null -e trace=renameat -e inject=renameat:delay_exit=1500000:when=$at \
	kpki-kubeconfig $install >out 2>err &
run=$!
sleep 0.7
echo "rotated" >r.kl/pki/kubelet-client-2026.pem
set +e
wait $run
st=$?
set -e
[ $st -eq 1 ] || { cat err >&2; die "a swap of a changed directory exited $st"; }
expect_grep "directory 'r.kl/pki': changed while it was being copied for the swap (the kubelet rotating its certificate?); nothing was installed" err
[ "$(tree_sum r.node)" = "$before" ] || die "an undone install changed the cert dir"
[ -z "$(find . -name '*.kpki-next' -o -name '.*.kpki-new' -o -name 'kpki-install.intent')" ] ||
	die "an undone install left files behind"
expect_status 0 kpki-kubeconfig $install
[ "$(cat r.kl/pki/kubelet-client-2026.pem)" = rotated ] || die "the rotated file was lost"
pairs_match r.kl/pki
# the cert dir changed while the kubelet dir was being swapped first: all
# directories are compared before any exchange, so this is undone too
rm -rf r.node r.kl
cp -a p.node r.node
cp -a p.kl r.kl
before=$(tree_sum r.kl)
strace -f -qq -o /dev/null -e trace=renameat -e inject=renameat:delay_exit=1500000:when=$at \
	kpki-kubeconfig $install >out 2>err &
run=$!
sleep 0.7
echo "an admin's file" >r.node/pki/extra.txt
set +e
wait $run
st=$?
set -e
[ $st -eq 1 ] || { cat err >&2; die "a swap of a changed cert dir exited $st"; }
expect_grep "directory 'r.node/pki': changed while it was being copied for the swap" err
[ "$(tree_sum r.kl)" = "$before" ] || die "an undone install changed the kubelet dir"
expect_status 0 kpki-kubeconfig $install
[ "$(cat r.node/pki/extra.txt)" = "an admin's file" ] || die "the admin's file was lost"
# killed after the kubelet dir was exchanged, before the cert dir was: the
# kubelet writes into its new dir and the cert dir changes; the rerun never
# undoes the exchange made (that would lose the kubelet's file), it goes
# on, and what changed in the cert dir is kept in the previous tree
rm -rf r.node r.kl
cp -a p.node r.node
cp -a p.kl r.kl
strace -f -qq -o x.trace -e trace=renameat2 kpki-kubeconfig $install >/dev/null 2>&1 ||
	die "an install under strace"
kx=$(grep -n RENAME_EXCHANGE x.trace | head -1 | cut -d: -f1)
[ -n "$kx" ] || die "no exchange in the trace"
rm -rf r.node r.kl
cp -a p.node r.node
cp -a p.kl r.kl
set +e
strace -f -qq -o /dev/null -e trace=renameat2 -e inject=renameat2:signal=KILL:when=$((kx + 1)) \
	kpki-kubeconfig $install >/dev/null 2>&1
set -e
[ -e r.node/pki/kpki-staging/kpki-install.intent ] || die "no intent file after the kill"
echo "rotated" >r.kl/pki/kubelet-client-2026.pem
echo "an admin's file" >r.node/pki/extra.txt
expect_status 0 kpki-kubeconfig $install
expect_grep "finished the interrupted install" err
expect_grep "warning: 'r.node/pki' changed after it was copied for the swap; what changed is only in the previous tree" err
[ "$(cat r.kl/pki/kubelet-client-2026.pem)" = rotated ] || die "the kubelet's file was lost"
set -- r.node/tmp/kpki-backup-*/pki/extra.txt
[ -f "$1" ] || die "the cert dir's change is not in the previous tree"
pairs_match r.kl/pki
pairs_match r.node/pki
no_leftovers
# killed with its intent file written, the directory then changed: the
# rerun gives the interrupted install up and makes a new one
rm -rf r.node r.kl
cp -a p.node r.node
cp -a p.kl r.kl
# the sync of the cert dir's staging directory that follows that rename
strace -f -qq -o f.trace -e trace=renameat,fsync kpki-kubeconfig $install >/dev/null 2>&1 ||
	die "an install under strace"
last=$(grep -n 'renameat(.*kpki-install\.intent' f.trace | tail -1 | cut -d: -f1)
sync_at=$(awk -v last="${last:-0}" '/fsync\(/ { n++; if (NR > last && !k) k = n }
	END { print k + 0 }' f.trace)
[ "$sync_at" -gt 0 ] || die "no sync after the intent file"
rm -rf r.node r.kl
cp -a p.node r.node
cp -a p.kl r.kl
set +e
strace -f -qq -o /dev/null -e trace=fsync -e inject=fsync:signal=KILL:when=$sync_at \
	kpki-kubeconfig $install >/dev/null 2>&1
set -e
[ -e r.node/pki/kpki-staging/kpki-install.intent ] || die "no intent file after the kill"
# a dry run says it would finish it, and changes nothing
before=$(tree_sum r.node)$(tree_sum r.kl)
expect_status 0 kpki-kubeconfig $install --dry-run
expect_grep "would finish the interrupted install recorded in 'r.node/pki/kpki-staging/kpki-install.intent'" err
[ "$(tree_sum r.node)$(tree_sum r.kl)" = "$before" ] || die "a dry run changed the tree"
echo "rotated" >r.kl/pki/kubelet-client-2026.pem
expect_status 0 kpki-kubeconfig $install
expect_grep "gave up the interrupted install recorded in 'r.node/pki/kpki-staging/kpki-install.intent', none of which had been carried out: directory 'r.kl/pki': changed while it was being copied" err
expect_grep "swapped 'r.kl/pki' whole" err
[ "$(cat r.kl/pki/kubelet-client-2026.pem)" = rotated ] || die "the rotated file was lost"
pairs_match r.kl/pki
pairs_match r.node/pki
verify_clean r.node/pki r.node
no_leftovers

# the rest needs mounts
mkdir mp m
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=4m,mode=0755 tmpfs m 2>/dev/null; then
	echo "skipped: a cert dir on another filesystem or a mount point: cannot mount a tmpfs"
	exit 0
fi
mounts=m

# the cert dir's parent on another filesystem than the kubeconfig dir: the
# previous tree stays beside the cert dir
cp -a p.node/pki m/pki
mkdir n
cp -a p.node/*.conf n/
cp -a p.kl n.kl
ino=$(stat -c %i m/pki)
expect_status 0 kpki-kubeconfig --signed rs.yaml --cert-dir m/pki --kubeconfig-dir n \
	--kubelet-dir n.kl/pki
expect_grep "kpki-kubeconfig: swapped 'm/pki' whole (each key with its certificate), keeping the previous tree beside it as '$(pwd -P)/m/pki.kpki-backup-" err
expect_grep "swapped 'n.kl/pki' whole (each key with its certificate), keeping the previous tree in the backup folder as 'kubelet-pki'" err
[ "$(stat -c %i m/pki)" != "$ino" ] || die "m/pki was not swapped"
set -- m/pki.kpki-backup-*
[ $# -eq 1 ] && [ -d "$1" ] || die "no single previous tree beside m/pki: $*"
expect_grep "beside it as '$(pwd -P)/$1'" err
diff -r $prev "$1" >&2 || die "'$1' is not the previous cert dir"
[ "$(tree_sum "$1")" = "$(tree_sum $prev)" ] || die "'$1': modes differ"
pairs_match "$1"
pairs_match m/pki
pairs_new p.node/pki m/pki
verify_clean m/pki n
set -- n/tmp/kpki-backup-*
[ $# -eq 1 ] && [ -f "$1/admin.conf" ] && [ -d "$1/kubelet-pki" ] || die "n: backup folder: $*"
[ ! -e "$1/pki" ] || die "n: the backup folder holds a pki as well"
no_leftovers

# a cert dir that is a mount point cannot be swapped: refused, nothing
# changed; --in-place replaces the files one after the other.
mkdir -p mp/pki
mount -t tmpfs -o size=4m,mode=0755 tmpfs mp/pki || die "mount mp/pki"
mounts="mp/pki m"
kpki-csr --config "$cfg" --key-type ecdsa-p256 --cert-dir mp/pki --kubeconfig-dir mp \
	--bundle mb.yaml 2>/dev/null || die "mp: kpki-csr"
kpki-sign --ca-dir ca --policy policy.yaml --bundle mb.yaml --out ms.yaml 2>/dev/null ||
	die "mp: sign"
mkdir -p mp/pki/etcd
cp ca/ca.crt ca/front-proxy-ca.crt mp/pki/
cp ca/etcd/ca.crt mp/pki/etcd/
expect_status 0 kpki-kubeconfig --signed ms.yaml --cert-dir mp/pki --kubeconfig-dir mp \
	--config "$cfg"
kpki-csr --renew --cert-dir mp/pki --kubeconfig-dir mp --bundle mr.yaml 2>/dev/null ||
	die "mp: kpki-csr --renew"
kpki-sign --ca-dir ca --policy policy.yaml --bundle mr.yaml --out mrs.yaml 2>/dev/null ||
	die "mp: sign r"
cp -a mp/pki mp.prev
install="--signed mrs.yaml --cert-dir mp/pki --kubeconfig-dir mp"
before=$(tree_sum mp)
ino=$(stat -c %i mp/pki)
expect_status 3 kpki-kubeconfig $install --dry-run
expect_grep "kpki-kubeconfig: refused: directory 'mp/pki': is a mount point, so it cannot be swapped whole to change each key together with its certificate; rerun with --in-place to replace them one after the other" err
expect_status 3 kpki-kubeconfig $install
expect_grep "kpki-kubeconfig: refused: directory 'mp/pki': is a mount point, so it cannot be swapped whole to change each key together with its certificate; rerun with --in-place to replace them one after the other" err
expect_no_grep "installed '" err
[ "$(tree_sum mp)" = "$before" ] || die "a refused install changed the tree"
expect_status 0 kpki-kubeconfig $install --in-place
expect_no_grep "swap" err
expect_grep "installed 'mp/pki/apiserver.crt' with its staged key" err
[ "$(stat -c %i mp/pki)" = "$ino" ] || die "--in-place replaced the mount point"
pairs_match mp/pki
pairs_new mp.prev mp/pki
verify_clean mp/pki mp
[ ! -e mp/pki/kpki-staging ] || die "staging left in the mount point"
set -- mp/tmp/kpki-backup-*
[ $# -eq 1 ] || die "mp: no single backup folder: $*"
for f in apiserver.crt apiserver.key etcd/peer.crt etcd/peer.key; do
	cmp -s "mp.prev/$f" "$1/pki/$f" || die "mp: the backup of $f is not the old file"
done
no_leftovers

# a kubelet dir that is a mount point: refused; with --in-place its staged
# serving key (in the cert dir, on another filesystem) is copied over, not
# renamed, and removed from the staging directory once in place
cp -a p.node x.node
mkdir -p x.kl/pki
mount -t tmpfs -o size=4m,mode=0700 tmpfs x.kl/pki || die "mount x.kl/pki"
mounts="x.kl/pki $mounts"
cp -a p.kl/pki/. x.kl/pki/
install="--signed rs.yaml --cert-dir x.node/pki --kubeconfig-dir x.node --kubelet-dir x.kl/pki"
before=$(tree_sum x.node)$(tree_sum x.kl)
expect_status 3 kpki-kubeconfig $install
expect_grep "refused: directory 'x.kl/pki': is a mount point" err
[ "$(tree_sum x.node)$(tree_sum x.kl)" = "$before" ] || die "a refused install changed the tree"
expect_status 0 kpki-kubeconfig $install --in-place
expect_grep "installed 'x.kl/pki/kubelet.crt' with its staged key" err
pairs_match x.kl/pki
pairs_new p.kl/pki x.kl/pki
pairs_match x.node/pki
verify_clean x.node/pki x.node
[ ! -e x.node/pki/kpki-staging ] || die "the staged kubelet key was left behind"
[ -z "$(find x.kl -name '*.kpki-new*')" ] || die "pending files left in the kubelet dir"
[ "$(stat -c %a x.kl/pki/kubelet.key)" = 600 ] || die "kubelet.key mode"
expect_status 0 kpki-kubeconfig $install --in-place
expect_no_grep "kpki-kubeconfig: installed '" err
expect_grep "already installed 'x.kl/pki/kubelet.crt'" err
no_leftovers

# a bind mount of the same filesystem is a mount point too: nothing is
# renamed across it
cp -a p.node b.node
cp -a p.kl b.kl
mkdir b.real
cp -a b.node/pki/. b.real/
mount --bind b.real b.node/pki || die "bind mount"
mounts="b.node/pki $mounts"
before=$(tree_sum b.node)
expect_status 3 kpki-kubeconfig --signed rs.yaml --cert-dir b.node/pki --kubeconfig-dir b.node \
	--kubelet-dir b.kl/pki
expect_grep "refused: directory 'b.node/pki': is a mount point" err
[ "$(tree_sum b.node)" = "$before" ] || die "a refused install changed the tree"
expect_status 0 kpki-kubeconfig --signed rs.yaml --cert-dir b.node/pki --kubeconfig-dir b.node \
	--kubelet-dir b.kl/pki --in-place
pairs_match b.node/pki
verify_clean b.node/pki b.node
