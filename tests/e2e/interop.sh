# interop.sh — sourced by the interoperability tests (t_interop_*.sh) after
# lib.sh: a CA, nodes cp-1..cp-3 whose PKI kpki makes and installs the way a
# user would, and background servers (loopback only) that are always
# stopped, whatever way the test ends.
PY=/usr/bin/python3
POLICY=$E2E/data/interop/policy.yaml
# kubectl keeps a cache under $HOME; keep it, and any KUBECONFIG, out of this
HOME=$PWD/home
export HOME
unset KUBECONFIG

# ---- background processes: each runs under timeout(1), so that it dies on
# its own even if this shell is killed outright; stop_all ends them on exit.
BG_PIDS=""
# bg_start LOG CMD... — runs CMD in the background, its output in LOG; its
# process id in BG_LAST
bg_start() {
	log=$1
	shift
	timeout -k 2 "${BG_LIFETIME:-55}" "$@" >"$log" 2>&1 &
	BG_PIDS="$BG_PIDS $!"
	# shellcheck disable=SC2034 # used by the tests
	BG_LAST=$!
}
# stop_all — TERM to every background process, then wait for them
stop_all() {
	for p in $BG_PIDS; do
		kill "$p" 2>/dev/null || true
	done
	for p in $BG_PIDS; do
		wait "$p" 2>/dev/null || true
	done
	BG_PIDS=""
}
trap 'stop_all' EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# free_ports N — N loopback TCP ports nobody listens on right now
free_ports() {
	$PY -c '
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

# wait_file FILE SECONDS PID — waits for FILE to appear while PID lives
wait_file() {
	end=$(($(date +%s) + $2))
	while [ ! -e "$1" ]; do
		kill -0 "$3" 2>/dev/null || return 1
		[ "$(date +%s)" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# ---- the PKI, made by kpki as on a real CA host and real nodes
# interop_ca — the kubeadm CAs in ./ca
interop_ca() {
	kpki-sign --init --ca-dir ca 2>ca.err || die "kpki-sign --init: $(cat ca.err)"
}

# cert_path PROFILE — a cert-dir profile's base path (kubeadm's layout)
cert_path() {
	case $1 in
	etcd-server) echo etcd/server ;;
	etcd-peer) echo etcd/peer ;;
	etcd-healthcheck-client) echo etcd/healthcheck-client ;;
	*) echo "$1" ;;
	esac
}
LEAVES="apiserver apiserver-kubelet-client front-proxy-client apiserver-etcd-client etcd-server
	etcd-peer etcd-healthcheck-client"

# kc_user FILE NODE — kubeadm's user (= client CN) of a kubeconfig file
kc_user() {
	case $1 in
	admin.conf) echo kubernetes-admin ;;
	super-admin.conf) echo kubernetes-super-admin ;;
	controller-manager.conf) echo system:kube-controller-manager ;;
	scheduler.conf) echo system:kube-scheduler ;;
	kubelet.conf) echo "system:node:$2" ;;
	esac
}

# interop_node NODE PORT [kpki-csr option...] — NODE's kubeadm configuration
# (advertising 127.0.0.1:PORT), its CSR bundle made by kpki-csr into
# NODE/pki, signed by kpki-sign under the interop policy, installed by
# kpki-kubeconfig into NODE/pki with the kubeconfigs in NODE/. The node has
# the CA certificates (not their keys) from the start, as in kubeadm's
# external-CA mode.
interop_node() {
	n=$1
	port=$2
	shift 2
	cat >"$n.yaml" <<-EOF
		apiVersion: kubeadm.k8s.io/v1beta4
		kind: InitConfiguration
		localAPIEndpoint:
		  advertiseAddress: 127.0.0.1
		  bindPort: $port
		nodeRegistration:
		  name: $n
		---
		apiVersion: kubeadm.k8s.io/v1beta4
		kind: ClusterConfiguration
		clusterName: kubernetes
		networking:
		  serviceSubnet: 10.96.0.0/12
		  dnsDomain: cluster.local
	EOF
	mkdir -p "$n/pki/etcd" "$n/kubelet"
	cp ca/ca.crt ca/front-proxy-ca.crt "$n/pki/"
	cp ca/etcd/ca.crt "$n/pki/etcd/"
	kpki-csr --config "$n.yaml" --cert-dir "$n/pki" --kubeconfig-dir "$n" \
		--bundle "$n.bundle" "$@" 2>"$n.csr.err" || die "kpki-csr $n: $(cat "$n.csr.err")"
	kpki-sign --ca-dir ca --policy "$POLICY" --bundle "$n.bundle" --out "$n.signed" \
		2>"$n.sign.err" || die "kpki-sign $n: $(cat "$n.sign.err")"
	install_node "$n"
}

# install_node NODE — NODE.signed installed by kpki-kubeconfig into NODE/pki
# and NODE/*.conf (the kubelet's certificates in NODE/kubelet), the servers
# taken from NODE.yaml as kubeadm would; more options in $INSTALL_OPTS
INSTALL_OPTS=""
install_node() {
	# shellcheck disable=SC2086
	kpki-kubeconfig --signed "$1.signed" --cert-dir "$1/pki" --kubeconfig-dir "$1" \
		--kubelet-dir "$1/kubelet" --config "$1.yaml" $INSTALL_OPTS 2>"$1.install.err" ||
		die "kpki-kubeconfig $1: $(cat "$1.install.err")"
}

# every profile of the set, super-admin.conf too (kpki-csr --only)
ALL_PROFILES=apiserver,apiserver-kubelet-client,front-proxy-client,apiserver-etcd-client
ALL_PROFILES=$ALL_PROFILES,etcd-server,etcd-peer,etcd-healthcheck-client,admin.conf
ALL_PROFILES=$ALL_PROFILES,super-admin.conf,controller-manager.conf,scheduler.conf,kubelet.conf

# kc_field KUBECONFIG FIELD — the first "FIELD: value" of a kubeconfig
kc_field() {
	sed -n "s/^ *$2: *//p" "$1" | head -1 | sed "s/^[\"']\(.*\)[\"']\$/\1/"
}

# kc_data KUBECONFIG FIELD — the bytes of FIELD (certificate-authority,
# client-certificate, client-key): embedded as FIELD-data, or the file named
kc_data() {
	v=$(kc_field "$1" "$2-data")
	if [ -n "$v" ]; then
		echo "$v" | base64 -d
	else
		v=$(kc_field "$1" "$2")
		[ -n "$v" ] || die "$1 has no $2"
		case $v in /*) cat "$v" ;; *) cat "$(dirname "$1")/$v" ;; esac
	fi
}

# verify_pki NODE — every installed certificate chains to its CA in
# NODE/pki with the purpose its profile demands (and a client certificate
# is no server certificate) and matches its key; every kubeconfig carries
# the cert dir's ca.crt and a client certificate that verifies as a client
# and matches its key; certificates are 0644, keys and kubeconfigs 0600.
verify_pki() {
	d=$1/pki
	for p in $LEAVES; do
		crt=$d/$(cert_path "$p").crt
		key=$d/$(cert_path "$p").key
		case $p in
		front-proxy-client) ca=$d/front-proxy-ca.crt ;;
		apiserver-etcd-client | etcd-*) ca=$d/etcd/ca.crt ;;
		*) ca=$d/ca.crt ;;
		esac
		case $p in
		apiserver) purposes=sslserver ;;
		etcd-server | etcd-peer) purposes="sslserver sslclient" ;;
		*) purposes=sslclient ;;
		esac
		[ -f "$crt" ] || die "$1: $p.crt is not installed"
		[ -f "$key" ] || die "$1: $p.key is not installed"
		[ "$(stat -c %a "$crt")" = 644 ] || die "$crt: mode $(stat -c %a "$crt")"
		[ "$(stat -c %a "$key")" = 600 ] || die "$key: mode $(stat -c %a "$key")"
		for pu in $purposes; do
			openssl verify -CAfile "$ca" -purpose "$pu" "$crt" >/dev/null ||
				die "$1: $p does not verify for $pu"
		done
		if [ "$purposes" = sslclient ] &&
			openssl verify -CAfile "$ca" -purpose sslserver "$crt" >/dev/null 2>&1; then
			die "$1: $p verifies as a server"
		fi
		[ "$(openssl x509 -in "$crt" -noout -pubkey)" = "$(openssl pkey -in "$key" -pubout)" ] ||
			die "$1: $p does not match its key"
	done
	nkc=0
	for f in "$1"/*.conf; do
		[ "$(stat -c %a "$f")" = 600 ] || die "$f: mode $(stat -c %a "$f")"
		kc_data "$f" certificate-authority >kc.ca
		cmp -s kc.ca "$d/ca.crt" || die "$f: its CA is not $d/ca.crt"
		kc_data "$f" client-certificate >kc.crt
		kc_data "$f" client-key >kc.key
		openssl verify -CAfile "$d/ca.crt" -purpose sslclient kc.crt >/dev/null ||
			die "$f: the client certificate does not verify for sslclient"
		[ "$(openssl x509 -in kc.crt -noout -pubkey)" = "$(openssl pkey -in kc.key -pubout)" ] ||
			die "$f: the client certificate does not match its key"
		nkc=$((nkc + 1))
	done
	rm -f kc.ca kc.crt kc.key
	[ "$nkc" -ge 4 ] || die "$1: only $nkc kubeconfigs"
}
