# A full disk at every point of an install, and a read-only PKI directory:
# refused with a clear message, and the tree is exactly as it was. Needs
# root to mount a small tmpfs; skipped otherwise.
. "$KPKI_E2E/lib.sh"
top=$E2E/../..
cfg=$top/examples/kubeadm.yaml
pol=$top/examples/policy.yaml

mkdir m
if [ "$(id -u)" != 0 ] || ! mount -t tmpfs -o size=4m tmpfs m 2>/dev/null; then
	echo "skipped: cannot mount a tmpfs"
	exit 0
fi
trap 'umount m 2>/dev/null || umount -l m 2>/dev/null || true' EXIT

kpki-sign --init --ca-dir ca 2>/dev/null || die "init"
kpki-csr --config "$cfg" --cert-dir m/node/pki --kubeconfig-dir m/node --bundle b.yaml \
	2>/dev/null || die "kpki-csr"
kpki-sign --ca-dir ca --policy "$pol" --bundle b.yaml --out s.yaml 2>/dev/null || die "sign"
mkdir -p m/node/pki/etcd
cp ca/ca.crt ca/front-proxy-ca.crt m/node/pki/
cp ca/etcd/ca.crt m/node/pki/etcd/
kpki-kubeconfig --signed s.yaml --cert-dir m/node/pki --kubeconfig-dir m/node --config "$cfg" \
	2>/dev/null || die "first install"
kpki-csr --renew --cert-dir m/node/pki --kubeconfig-dir m/node --bundle r.yaml 2>/dev/null ||
	die "kpki-csr --renew"
kpki-sign --ca-dir ca --policy "$pol" --bundle r.yaml --out rs.yaml 2>/dev/null || die "sign r"
install="--signed rs.yaml --cert-dir m/node/pki --kubeconfig-dir m/node"

# read-only: refused by the plan (a dry run sees it too), nothing is written
before=$(tree_sum m/node)
mount -o remount,ro m || die "remount ro"
expect_status 3 kpki-kubeconfig $install --dry-run
expect_grep "refused: the backup folder's directory: directory 'm/node': cannot create in it: Read-only file system" err
expect_status 3 kpki-kubeconfig $install
expect_grep "Read-only file system" err
mount -o remount,rw m || die "remount rw"
[ "$(tree_sum m/node)" = "$before" ] || die "read-only: the tree changed"

# a full disk after 0, 4, 8, ... KiB of the install: each attempt fails and
# leaves the tree as it was, until there is room enough
room=0
while :; do
	dd if=/dev/zero of=m/fill bs=4k 2>/dev/null || true # fill it up
	if [ $room -gt 0 ]; then
		sz=$(stat -c %s m/fill)
		truncate -s $((sz - room * 1024)) m/fill
	fi
	before=$(tree_sum m/node)
	set +e
	kpki-kubeconfig $install >out 2>err
	st=$?
	set -e
	rm -f m/fill
	[ $st -eq 0 ] && break
	[ $st -eq 1 ] || { cat err >&2; die "room $room KiB: exit $st"; }
	grep -q "No space left on device" err || { cat err >&2; die "room $room KiB: message"; }
	[ "$(tree_sum m/node)" = "$before" ] || die "room $room KiB: the tree changed"
	room=$((room + 4))
	[ $room -lt 1024 ] || die "never succeeded"
done
echo "succeeded with $room KiB free"
[ $room -ge 12 ] || die "the install needed suspiciously little room"
[ ! -e m/node/pki/kpki-staging ] || die "staging left"
expect_status 0 kpki-inspect --verify --config "$cfg" --cert-dir m/node/pki --kubeconfig-dir m/node
