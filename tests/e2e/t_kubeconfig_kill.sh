# kill -9 at every state-changing call of an install (a renewal with new
# keys, so the cert dir and the kubelet dir are swapped whole): each pair
# and each kubeconfig is
# then wholly old or wholly new, never mixed; a backup under its final name
# is whole; and the same command run again finishes the job, even after
# its own run was killed half way (killinstall.py).
. "$KPKI_E2E/lib.sh"
top=$E2E/../..
cfg=$top/examples/kubeadm.yaml
pol=$top/examples/policy.yaml
command -v strace >/dev/null || die "strace is needed (scripts/deps.sh test)"
# LeakSanitizer cannot run under ptrace (the sanitizer build, make asan)
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
export ASAN_OPTIONS
# hundreds of installs, each syncing every file it writes: on a tmpfs when
# there is one (the calls are the same; only the disk's wait is gone)
if [ -d /dev/shm ] && [ -w /dev/shm ] && w=$(mktemp -d /dev/shm/kpki-kill.XXXXXX); then
	trap 'rm -rf "$w"' EXIT
	cd "$w"
fi

# a node with the kubelet serving certificate too (a test-local policy
# allows it), so that a renewal swaps both the cert dir and the kubelet dir
sed 's/^  - kubelet\.conf$/&\n  - kubelet/' "$pol" >policy.yaml
grep -qx '  - kubelet' policy.yaml || die "policy.yaml: no kubelet"
all=super-admin.conf,apiserver,apiserver-kubelet-client,front-proxy-client
all=$all,apiserver-etcd-client,etcd-server,etcd-peer,etcd-healthcheck-client
all=$all,admin.conf,controller-manager.conf,scheduler.conf,kubelet.conf,kubelet
kpki-sign --init --ca-dir ca 2>/dev/null || die "init"
kpki-csr --config "$cfg" --only $all --cert-dir node/pki --kubeconfig-dir node \
	--kubelet-dir node/kubelet --bundle b.yaml 2>/dev/null || die "kpki-csr"
kpki-sign --ca-dir ca --policy policy.yaml --bundle b.yaml --out s.yaml 2>/dev/null ||
	die "sign"
mkdir -p node/pki/etcd
cp ca/ca.crt ca/front-proxy-ca.crt node/pki/
cp ca/etcd/ca.crt node/pki/etcd/
kpki-kubeconfig --signed s.yaml --cert-dir node/pki --kubeconfig-dir node \
	--kubelet-dir node/kubelet --config "$cfg" 2>/dev/null || die "first install"
echo "a rotated client pair" >node/kubelet/kubelet-client-2025.pem
ln -s kubelet-client-2025.pem node/kubelet/kubelet-client-current.pem
kpki-csr --renew --only $all --cert-dir node/pki --kubeconfig-dir node \
	--kubelet-dir node/kubelet --bundle r.yaml 2>/dev/null || die "kpki-csr --renew"
kpki-sign --ca-dir ca --policy policy.yaml --bundle r.yaml --out rs.yaml 2>/dev/null ||
	die "sign r"
mv node pristine

/usr/bin/python3 "$E2E/killinstall.py" fsync write fchmod mkdirat symlinkat unlinkat \
	renameat renameat2 || die "kills"

# an interrupted install leaves its intent file; a rerun with another
# kubeconfig dir (a copy) carries out nothing
cp -a pristine node
strace -f -qq -o ren.trace -e trace=renameat2 kpki-kubeconfig --signed rs.yaml \
	--cert-dir node/pki --kubeconfig-dir node --kubelet-dir node/kubelet >/dev/null 2>&1 ||
	die "an install under strace"
xchg=$(grep -n RENAME_EXCHANGE ren.trace | tail -1 | cut -d: -f1)
[ -n "$xchg" ] || die "no RENAME_EXCHANGE in a renewal"
rm -rf node
cp -a pristine node
set +e
strace -f -qq -o /dev/null -e trace=renameat2 -e inject=renameat2:signal=KILL:when=$((xchg + 1)) \
	kpki-kubeconfig --signed rs.yaml --cert-dir node/pki --kubeconfig-dir node \
	--kubelet-dir node/kubelet >/dev/null 2>&1
set -e
[ -e node/pki/kpki-staging/kpki-install.intent ] || die "no intent file after a kill mid-swap"
cp -a node elsewhere
before=$(tree_sum node)
expect_status 1 kpki-kubeconfig --signed rs.yaml --cert-dir node/pki --kubeconfig-dir elsewhere \
	--kubelet-dir node/kubelet
expect_grep "is not the kubeconfig-dir the interrupted install used" err
[ "$(tree_sum node)" = "$before" ] || die "a wrong-dir rerun changed the tree"
expect_status 0 kpki-kubeconfig --signed rs.yaml --cert-dir node/pki --kubeconfig-dir node \
	--kubelet-dir node/kubelet
expect_grep "finished the interrupted install recorded in" err
expect_status 0 kpki-inspect --verify --config "$cfg" --cert-dir node/pki --kubeconfig-dir node

# an intent file of another bundle is not carried out
rm -rf node
cp -a pristine node
printf 'kpki-install-intent v3\nid %064d\nrename staging apiserver.key cert-dir apiserver.key\n' 0 \
	>node/pki/kpki-staging/kpki-install.intent
before=$(tree_sum node)
expect_status 1 kpki-kubeconfig --signed rs.yaml --cert-dir node/pki --kubeconfig-dir node
expect_grep "an install of another signed bundle was interrupted" err
[ "$(tree_sum node)" = "$before" ] || die "a foreign intent file was acted on"
