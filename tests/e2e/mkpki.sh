#!/bin/sh
# mkpki.sh DIR — builds a kubeadm (v1.29 layout) PKI tree with openssl alone,
# independently of kpki, with fixed dates, for the end-to-end tests:
#   DIR/pki/...           certificates and keys as kubeadm lays them out
#   DIR/kubeconfig/*.conf kubeconfigs with embedded client certificates
# The cluster matches tests/e2e/cluster.yaml (node cp-1, 10.0.0.10, ...).
# Dates can be changed with END_<name>=YYYYMMDDHHMMSSZ in the environment,
# and all of them with MKPKI_START, MKPKI_LEAF_END and MKPKI_CA_END.
set -eu

# Sourced with MKPKI_LIB=1, only the functions are defined: mkpki_init DIR
# then ca/leaf/kubeconfig as below, for tests that re-make one file.
mkpki_init() {
	out=$1
	pki=$out/pki
	kc=$out/kubeconfig
	db=$out/.openssl
	mkdir -p "$pki/etcd" "$kc" "$db"
	mkpki_cnf
}
# openssl reads the whole configuration, ${ENV::...} included, every time
export CA_CN=x EKU=clientAuth SANS=DNS:x

START=${MKPKI_START:-20251231235500Z}
CA_END=${MKPKI_CA_END:-20351229235500Z}
LEAF_END=${MKPKI_LEAF_END:-20261231235500Z}

mkpki_cnf() {
cat >"$db/openssl.cnf" <<CNF
[ ca ]
default_ca = ca_default
[ ca_default ]
database = $db/index.txt
new_certs_dir = $db
serial = $db/serial
default_md = sha256
policy = policy_any
unique_subject = no
copy_extensions = none
preserve = yes
email_in_dn = no
[ policy_any ]
organizationName = optional
commonName = supplied
[ req ]
distinguished_name = dn
[ dn ]
[ ca_ext ]
basicConstraints = critical, CA:TRUE
keyUsage = critical, digitalSignature, keyEncipherment, keyCertSign
subjectKeyIdentifier = hash
subjectAltName = DNS:\${ENV::CA_CN}
[ leaf_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = \${ENV::EKU}
authorityKeyIdentifier = keyid
subjectKeyIdentifier = none
subjectAltName = \${ENV::SANS}
[ leaf_nosan_ext ]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, keyEncipherment
extendedKeyUsage = \${ENV::EKU}
authorityKeyIdentifier = keyid
subjectKeyIdentifier = none
CNF
}

newkey() { # newkey FILE rsa|rsa1024|ec
	if [ "${2#rsa}" != "$2" ]; then
		openssl genrsa -traditional -out "$1" "${2#rsa}" 2>/dev/null
	else
		openssl ecparam -genkey -name prime256v1 -noout -out "$1"
	fi
	chmod 600 "$1"
}

# ca BASE CN ENDDATE
ca() {
	rm -f "$db/index.txt" && touch "$db/index.txt"
	openssl rand -hex 8 >"$db/serial"
	newkey "$pki/$1.key" "${KEYTYPE_CA:-rsa2048}"
	openssl req -new -key "$pki/$1.key" -subj "/CN=$2" -out "$db/req.csr" \
		-config "$db/openssl.cnf"
	CA_CN=$2 openssl ca -batch -selfsign -config "$db/openssl.cnf" \
		-keyfile "$pki/$1.key" -in "$db/req.csr" -out "$pki/$1.crt" -notext \
		-startdate "$START" -enddate "$3" -extensions ca_ext 2>/dev/null
	chmod 644 "$pki/$1.crt"
}

# leaf OUTBASE CABASE SUBJ EKU SANS ENDDATE [keytype]
leaf() {
	rm -f "$db/index.txt" && touch "$db/index.txt"
	openssl rand -hex 8 >"$db/serial"
	newkey "$1.key" "${7:-ec}"
	openssl req -new -key "$1.key" -subj "$3" -out "$db/req.csr" -config "$db/openssl.cnf"
	ext=leaf_ext
	[ -n "$5" ] || ext=leaf_nosan_ext
	EKU=$4 SANS=${5:-none} CA_CN=x openssl ca -batch -config "$db/openssl.cnf" \
		-cert "$pki/$2.crt" -keyfile "$pki/$2.key" -in "$db/req.csr" \
		-out "$1.crt" -notext -startdate "$START" -enddate "$6" \
		-extensions "$ext" 2>/dev/null
	chmod 644 "$1.crt"
}

b64() { base64 -w0 "$1"; }

# kubeconfig FILE USER-CN ORG SERVER ENDDATE
kubeconfig() {
	subj="/CN=$2"
	[ -z "$3" ] || subj="/O=$3/CN=$2"
	leaf "$db/kc" ca "$subj" clientAuth "" "$5"
	umask 077
	cat >"$kc/$1" <<KC
apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: $(b64 "$pki/ca.crt")
    server: $4
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: $2
  name: $2@kubernetes
current-context: $2@kubernetes
kind: Config
preferences: {}
users:
- name: $2
  user:
    client-certificate-data: $(b64 "$db/kc.crt")
    client-key-data: $(b64 "$db/kc.key")
KC
	umask 022
}

CPE=https://k8s.example.internal:6443
LOCAL=https://10.0.0.10:6443
[ "${MKPKI_LIB:-0}" = 1 ] && return 0
mkpki_init "$1"

ca ca kubernetes "${END_ca:-$CA_END}"
ca front-proxy-ca front-proxy-ca "${END_front_proxy_ca:-$CA_END}"
ca etcd/ca etcd-ca "${END_etcd_ca:-$CA_END}"

leaf "$pki/apiserver" ca "/CN=kube-apiserver" serverAuth \
	"DNS:cp-1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local,DNS:k8s.example.internal,DNS:api.example.internal,IP:10.96.0.1,IP:10.0.0.10,IP:10.0.0.100" \
	"${END_apiserver:-$LEAF_END}" rsa2048
leaf "$pki/apiserver-kubelet-client" ca "/O=kubeadm:cluster-admins/CN=kube-apiserver-kubelet-client" \
	clientAuth "" "${END_apiserver_kubelet_client:-$LEAF_END}"
leaf "$pki/front-proxy-client" front-proxy-ca "/CN=front-proxy-client" clientAuth "" \
	"${END_front_proxy_client:-$LEAF_END}"
leaf "$pki/apiserver-etcd-client" etcd/ca "/CN=kube-apiserver-etcd-client" clientAuth "" \
	"${END_apiserver_etcd_client:-$LEAF_END}"
leaf "$pki/etcd/server" etcd/ca "/CN=cp-1" serverAuth,clientAuth \
	"DNS:cp-1,DNS:localhost,IP:10.0.0.10,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1" \
	"${END_etcd_server:-$LEAF_END}"
leaf "$pki/etcd/peer" etcd/ca "/CN=cp-1" serverAuth,clientAuth \
	"DNS:cp-1,DNS:localhost,IP:10.0.0.10,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1" \
	"${END_etcd_peer:-$LEAF_END}"
leaf "$pki/etcd/healthcheck-client" etcd/ca "/CN=kube-etcd-healthcheck-client" clientAuth "" \
	"${END_etcd_healthcheck_client:-$LEAF_END}"

kubeconfig admin.conf kubernetes-admin kubeadm:cluster-admins "$CPE" "${END_admin:-$LEAF_END}"
kubeconfig super-admin.conf kubernetes-super-admin system:masters "$CPE" \
	"${END_super_admin:-$LEAF_END}"
kubeconfig controller-manager.conf system:kube-controller-manager "" "$LOCAL" \
	"${END_controller_manager:-$LEAF_END}"
kubeconfig scheduler.conf system:kube-scheduler "" "$LOCAL" "${END_scheduler:-$LEAF_END}"
kubeconfig kubelet.conf system:node:cp-1 system:nodes "$CPE" "${END_kubelet:-$LEAF_END}"

rm -rf "$db"
