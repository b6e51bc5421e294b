# etcd accepts kpki's certificates: a three-member cluster on 127.0.0.1 with
# mutual TLS on client and peer URLs forms with the etcd server and peer
# certificates kpki issued and installed for cp-1..cp-3, and etcdctl works
# with the healthcheck-client and apiserver-etcd-client certificates. The
# same check fails when one member's peer certificate lacks the client-auth
# usage. The cluster grows as kubeadm grows a stacked etcd, one member
# joining at a time: had all three been started at once with a static
# --initial-cluster, such a member would still get in (etcd 3.4 carries raft
# both ways over connections the other members dial), and only its own
# outgoing peer connections would be refused; a joining member must first
# ask the others for the membership as a peer client, and cannot.
. "$KPKI_E2E/lib.sh"
. "$E2E/interop.sh"
for t in etcd etcdctl; do
	command -v $t >/dev/null || die "$t is needed (scripts/deps.sh test)"
done
ETCDCTL_API=3
export ETCDCTL_API

interop_ca
for n in cp-1 cp-2 cp-3; do
	interop_node "$n" 6443
	verify_pki "$n"
done

# member_start RUN I DIR STATE CLUSTER CPORT PPORT — member cp-I with the
# etcd certificates of cert dir DIR, data and log in RUN/
member_start() {
	bg_start "$1/cp-$2.log" etcd --name "cp-$2" --data-dir "$1/cp-$2.data" \
		--listen-client-urls "https://127.0.0.1:$6" \
		--advertise-client-urls "https://127.0.0.1:$6" \
		--listen-peer-urls "https://127.0.0.1:$7" \
		--initial-advertise-peer-urls "https://127.0.0.1:$7" \
		--initial-cluster "$5" --initial-cluster-state "$4" --initial-cluster-token "kpki-$1" \
		--client-cert-auth --trusted-ca-file "$3/etcd/ca.crt" \
		--cert-file "$3/etcd/server.crt" --key-file "$3/etcd/server.key" \
		--peer-client-cert-auth --peer-trusted-ca-file "$3/etcd/ca.crt" \
		--peer-cert-file "$3/etcd/peer.crt" --peer-key-file "$3/etcd/peer.key"
	PIDS="$PIDS $BG_LAST"
}

# cluster_grow RUN DIR1 DIR2 DIR3 — the cluster grown as kubeadm grows a
# stacked etcd: cp-1 starts a new cluster, then cp-2 and cp-3 join one by
# one (etcdctl member add, then the member starts with the cluster state
# "existing"; it first fetches the membership from the others' peer URLs
# as a peer client). Sets ENDPOINTS to the three client URLs; fails if a
# step does, but the last member is only started (the caller checks it).
cluster_grow() {
	run=$1
	mkdir -p "$run"
	ports=$(free_ports 6) # client ports 1-3, peer ports 4-6
	PIDS=""
	ENDPOINTS=""
	i=1
	for d in "$2" "$3" "$4"; do
		cport=$(echo "$ports" | cut -d' ' -f$i)
		pport=$(echo "$ports" | cut -d' ' -f$((i + 3)))
		if [ "$i" -eq 1 ]; then
			state=new
			initial="cp-1=https://127.0.0.1:$pport"
		else
			# (etcd adds a member only once every member has been connected
			# for 5 s; kubeadm retries, and so does this)
			end=$(($(date +%s) + 12))
			until ctl etcd/healthcheck-client member add "cp-$i" \
				--peer-urls="https://127.0.0.1:$pport" >add.out 2>&1; do
				if ! grep -q "unhealthy cluster" add.out || [ "$(date +%s)" -ge "$end" ]; then
					die "$run: member add cp-$i: $(cat add.out)"
				fi
				sleep 0.5
			done
			state=existing
			initial=$(sed -n 's/^ETCD_INITIAL_CLUSTER="\(.*\)"$/\1/p' add.out)
			[ -n "$initial" ] || die "member add printed no ETCD_INITIAL_CLUSTER: $(cat add.out)"
		fi
		member_start "$run" "$i" "$d" "$state" "$initial" "$cport" "$pport"
		ENDPOINTS="${ENDPOINTS:+$ENDPOINTS,}https://127.0.0.1:$cport"
		case $i in
		1) healthy 10 || die "$run: cp-1 alone did not become healthy: $(cat health.out)" ;;
		2) healthy 15 || die "$run: cp-2 did not join: $(cat health.out)" ;;
		esac
		i=$((i + 1))
	done
}

# ctl CERT ARGS... — etcdctl against all three members as cp-1's CERT
ctl() {
	c=$1
	shift
	etcdctl --endpoints="${EPS:-$ENDPOINTS}" --cacert=cp-1/pki/etcd/ca.crt \
		--cert="cp-1/pki/$c.crt" --key="cp-1/pki/$c.key" \
		--dial-timeout=2s --command-timeout=3s "$@"
}

# healthy SECONDS — waits up to SECONDS for all three members to report
# healthy; fails at once if a member exits
healthy() {
	end=$(($(date +%s) + $1))
	while :; do
		ctl etcd/healthcheck-client endpoint health >health.out 2>&1 && return 0
		for p in $PIDS; do
			kill -0 "$p" 2>/dev/null || {
				echo "an etcd member exited" >>health.out
				return 1
			}
		done
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.5
	done
}

# ---- the cluster forms with kpki's certificates
cluster_grow good cp-1/pki cp-2/pki cp-3/pki
healthy 20 || {
	cat health.out good/*.log >&2
	die "the etcd cluster did not become healthy within 20 s"
}
[ "$(grep -c 'is healthy' health.out)" -eq 3 ] || die "not three healthy members: $(cat health.out)"
ctl etcd/healthcheck-client member list >members.out 2>&1 || die "member list: $(cat members.out)"
[ "$(grep -c started members.out)" -eq 3 ] || die "not three started members: $(cat members.out)"
for n in cp-1 cp-2 cp-3; do expect_grep ", $n, https://127.0.0.1:" members.out; done

# put/get with the apiserver's etcd client certificate and the healthcheck one
ctl apiserver-etcd-client put /registry/kpki interop-1 >out 2>&1 || die "put: $(cat out)"
[ "$(ctl apiserver-etcd-client get /registry/kpki --print-value-only 2>&1)" = interop-1 ] ||
	die "get as apiserver-etcd-client"
ctl etcd/healthcheck-client put /kpki/health interop-2 >out 2>&1 || die "put: $(cat out)"
[ "$(ctl etcd/healthcheck-client get /kpki/health --print-value-only 2>&1)" = interop-2 ] ||
	die "get as healthcheck-client"
[ "$(ctl etcd/healthcheck-client get /registry/kpki --print-value-only 2>&1)" = interop-1 ] ||
	die "the other client's key is not seen"
# each member serves it (reads through each endpoint alone)
for ep in $(echo "$ENDPOINTS" | tr , ' '); do
	EPS=$ep
	v=$(ctl apiserver-etcd-client get /registry/kpki --print-value-only 2>&1)
	[ "$v" = interop-1 ] || die "$ep: $v"
done
EPS=""

# no member refused another's certificate
if grep "failed to verify" good/*.log >&2; then
	die "a member refused a certificate"
fi

# client TLS is really demanded: no client certificate, or one from the
# cluster CA instead of the etcd CA, is refused
one=${ENDPOINTS%%,*}
expect_status 1 etcdctl --endpoints="$one" --cacert=cp-1/pki/etcd/ca.crt \
	--dial-timeout=2s --command-timeout=3s get /registry/kpki
kc_data cp-1/admin.conf client-certificate >admin.crt
kc_data cp-1/admin.conf client-key >admin.key
expect_status 1 etcdctl --endpoints="$one" --cacert=cp-1/pki/etcd/ca.crt --cert=admin.crt \
	--key=admin.key --dial-timeout=2s --command-timeout=3s get /registry/kpki
stop_all

# ---- the same check fails when cp-3's peer certificate lacks clientAuth:
# same key, subject, SANs and CA, serverAuth only, made with openssl
mkdir -p bad && cp -r cp-3/pki bad/
cat >bad.ext <<'EOF'
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:cp-3, DNS:localhost, IP:127.0.0.1, IP:::1
authorityKeyIdentifier = keyid
EOF
openssl req -new -key bad/pki/etcd/peer.key -subj /CN=cp-3 -out bad.csr 2>/dev/null
openssl x509 -req -in bad.csr -CA ca/etcd/ca.crt -CAkey ca/etcd/ca.key -set_serial 0x4b50b1 \
	-days 30 -extfile bad.ext -out bad/pki/etcd/peer.crt 2>/dev/null || die "openssl x509 -req"
openssl verify -CAfile ca/etcd/ca.crt -purpose sslserver bad/pki/etcd/peer.crt >/dev/null ||
	die "the bad peer certificate should still be a good server certificate"
if openssl verify -CAfile ca/etcd/ca.crt -purpose sslclient bad/pki/etcd/peer.crt >/dev/null 2>&1; then
	die "the bad peer certificate verifies as a client"
fi
cluster_grow badrun cp-1/pki cp-2/pki bad/pki
if healthy 12; then
	cat health.out >&2
	die "the cluster became healthy with a peer certificate lacking clientAuth"
fi
stop_all
# ... and for the reason meant: cp-3 is refused as a peer client
grep -q "incompatible key usage" badrun/cp-1.log badrun/cp-2.log || {
	cat badrun/*.log >&2
	die "no member refused cp-3's peer certificate for its key usage"
}
