# The expiration report of an openssl-made PKI tree matches, line for line,
# what `kubeadm certs check-expiration` prints for it (expected/*).
. "$KPKI_E2E/lib.sh"

END_apiserver_etcd_client=20270601000000Z \
	END_controller_manager=20260101004500Z \
	END_etcd_peer=20260101053000Z \
	END_front_proxy_client=20251201000000Z \
	END_scheduler=20260101000030Z \
	END_etcd_ca=20300101000000Z \
	sh "$E2E/mkpki.sh" t
rm t/kubeconfig/super-admin.conf   # normal on a second control-plane node
rm t/pki/front-proxy-ca.key        # external CA mode for the front proxy

export KPKI_NOW=$NOW_2026
dirs="--cert-dir t/pki --kubeconfig-dir t/kubeconfig"

expect_status 0 kpki-inspect $dirs
same_file "$E2E/expected/report.txt" out
[ ! -s err ] || die "unexpected stderr: $(cat err)"

expect_status 0 kpki-inspect $dirs -o json
same_file "$E2E/expected/report.json" out
expect_status 0 kpki-inspect $dirs --output=yaml
same_file "$E2E/expected/report.yaml" out

expect_status 0 kpki-inspect $dirs -o json
/usr/bin/python3 -c '
import json, sys
d = json.load(open("out"))
assert d["kind"] == "CertificateExpirationInfo", d["kind"]
names = [c["name"] for c in d["certificates"]]
assert names == sorted(names) and len(names) == 11, names
fp = [c for c in d["certificates"] if c["name"] == "front-proxy-client"][0]
assert fp["externallyManaged"] is True and fp["residualTime"] < 0, fp
sa = [c for c in d["certificates"] if c["name"] == "super-admin.conf"][0]
assert sa["missing"] is True and sa["expirationDate"] is None and "caName" not in sa, sa
' || die "json content"

# an install kpki-kubeconfig did not finish: a warning on standard error;
# standard output stays kubeadm's, byte for byte, and the exit status its own
mkdir -m 700 t/pki/kpki-staging
printf 'kpki-install-intent v3\n' >t/pki/kpki-staging/kpki-install.intent
expect_status 0 kpki-inspect $dirs
same_file "$E2E/expected/report.txt" out
expect_grep "kpki-inspect: warning: an install was interrupted: 't/pki/kpki-staging/kpki-install.intent' is there: rerun the same kpki-kubeconfig command to finish it" err
[ "$(wc -l <err)" -eq 1 ] || die "one warning expected: $(cat err)"
expect_status 0 kpki-inspect $dirs -o json
same_file "$E2E/expected/report.json" out
expect_grep "kpki-inspect: warning: an install was interrupted" err
expect_status 3 kpki-inspect $dirs --warn-within 1d
same_file "$E2E/expected/report.txt" out
expect_grep "kpki-inspect: warning: an install was interrupted" err
# a link in its place is a warning too, and never followed
rm t/pki/kpki-staging/kpki-install.intent
ln -s ../ca.crt t/pki/kpki-staging/kpki-install.intent
expect_status 0 kpki-inspect $dirs
same_file "$E2E/expected/report.txt" out
expect_grep "kpki-inspect: warning: 't/pki/kpki-staging/kpki-install.intent' is a symbolic link where kpki-kubeconfig keeps its install intent: it cannot install until this is removed" err
rm -r t/pki/kpki-staging
expect_status 0 kpki-inspect $dirs
[ ! -s err ] || die "unexpected stderr: $(cat err)"

# --all adds kubelet.conf, which kubeadm leaves out
expect_status 0 kpki-inspect $dirs --all
expect_grep "kubelet.conf                 Dec 31, 2026 23:55 UTC   364d            ca                      no" out

# --warn-within: an expired certificate trips any threshold
expect_status 3 kpki-inspect $dirs --warn-within 1d
same_file "$E2E/expected/report.txt" out

# a whole fresh tree: 364 days left
sh "$E2E/mkpki.sh" fresh
fresh="--cert-dir fresh/pki --kubeconfig-dir fresh/kubeconfig"
expect_status 0 kpki-inspect $fresh --warn-within 30d
expect_status 0 kpki-inspect $fresh --warn-within 364d
expect_status 3 kpki-inspect $fresh --warn-within 365d
expect_status 3 kpki-inspect $fresh --warn-within 1y
expect_status 2 kpki-inspect $fresh --warn-within 30x
expect_grep "kpki-inspect: --warn-within" err

# external etcd in the configuration: the etcd rows go, as with kubeadm
cat >ext.yaml <<'YAML'
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
etcd:
  external:
    endpoints: ["https://10.0.0.50:2379"]
YAML
expect_status 0 kpki-inspect $fresh --config ext.yaml
expect_no_grep "etcd" out
expect_grep "front-proxy-client" out

# missing directories: every row MISSING, still exit 0 as kubeadm does
expect_status 0 kpki-inspect --cert-dir nowhere --kubeconfig-dir nowhere
[ "$(grep -c '^!MISSING!' out)" -eq 14 ] || die "expected 14 missing rows"

# a present but corrupt file is an error naming it, as with kubeadm: no
# report that would pass it off as missing
cp fresh/pki/apiserver.crt apiserver.crt.good
echo garbage >fresh/pki/apiserver.crt
expect_status 1 kpki-inspect $fresh
expect_grep "fresh/pki/apiserver.crt" err
[ ! -s out ] || die "a report was printed over a corrupt file"
cp apiserver.crt.good fresh/pki/apiserver.crt

# certificates reached through a symlink are read, as kubeadm reads them
mv fresh/pki/apiserver.crt fresh/apiserver.crt.real
ln -s ../apiserver.crt.real fresh/pki/apiserver.crt
expect_status 0 kpki-inspect $fresh
expect_grep "apiserver                  " out
expect_no_grep "MISSING! apiserver" out

# a monitoring check pointed at the wrong place does not stay green
expect_status 1 kpki-inspect --cert-dir nowhere --kubeconfig-dir nowhere --warn-within 30d
expect_grep "no certificate" err
