#!/usr/bin/python3
# csrcheck.py BUNDLE CASE [init] — checks a kpki-csr bundle against what kubeadm
# would put in each certificate, written out by hand below from kubeadm's
# rules (certlist.go, pki_helpers.go; docs/reference/kubeadm-pki.md), never
# from kpki's output. Parses each CSR with python3-cryptography and openssl:
# valid self-signature, a subject of O values then the CN and nothing else,
# no requested extension but subjectAltName, SANs equal as sets. With
# "init", the node is the one where kubeadm init ran, and has
# super-admin.conf (kubeadm makes it there alone).
import ipaddress
import subprocess
import sys

import yaml
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtensionOID, NameOID

PATHS = {
    "apiserver": ("cert-dir", "apiserver.crt"),
    "apiserver-kubelet-client": ("cert-dir", "apiserver-kubelet-client.crt"),
    "front-proxy-client": ("cert-dir", "front-proxy-client.crt"),
    "apiserver-etcd-client": ("cert-dir", "apiserver-etcd-client.crt"),
    "etcd-server": ("cert-dir", "etcd/server.crt"),
    "etcd-peer": ("cert-dir", "etcd/peer.crt"),
    "etcd-healthcheck-client": ("cert-dir", "etcd/healthcheck-client.crt"),
    "admin.conf": ("kubeconfig-dir", "admin.conf"),
    "super-admin.conf": ("kubeconfig-dir", "super-admin.conf"),
    "controller-manager.conf": ("kubeconfig-dir", "controller-manager.conf"),
    "scheduler.conf": ("kubeconfig-dir", "scheduler.conf"),
    "kubelet.conf": ("kubeconfig-dir", "kubelet.conf"),
    "kubelet": ("kubelet-dir", "kubelet.crt"),
}


def apiserver_dns(node, domain="cluster.local"):
    return {node, "kubernetes", "kubernetes.default", "kubernetes.default.svc",
            "kubernetes.default.svc." + domain}


def control_plane(node, api_dns, api_ip, etcd_ip, v122=False, etcd=True,
                  server_sans=((), ()), peer_sans=((), ())):
    """name -> (CN, O list, DNS set, IP set) for a control-plane node."""
    admins = "system:masters" if v122 else "kubeadm:cluster-admins"
    masters = ["system:masters"] if v122 else []
    want = {
        "apiserver": ("kube-apiserver", [], api_dns, api_ip),
        "apiserver-kubelet-client": ("kube-apiserver-kubelet-client", [admins], set(), set()),
        "front-proxy-client": ("front-proxy-client", [], set(), set()),
        "admin.conf": ("kubernetes-admin", [admins], set(), set()),
        "controller-manager.conf": ("system:kube-controller-manager", [], set(), set()),
        "scheduler.conf": ("system:kube-scheduler", [], set(), set()),
        "kubelet.conf": ("system:node:" + node, ["system:nodes"], set(), set()),
    }
    if etcd:
        base_dns = {node, "localhost"}
        base_ip = {etcd_ip, "127.0.0.1", "::1"}
        want["apiserver-etcd-client"] = ("kube-apiserver-etcd-client", masters, set(), set())
        want["etcd-server"] = (node, [], base_dns | set(server_sans[0]),
                               base_ip | set(server_sans[1]))
        want["etcd-peer"] = (node, [], base_dns | set(peer_sans[0]),
                             base_ip | set(peer_sans[1]))
        want["etcd-healthcheck-client"] = ("kube-etcd-healthcheck-client", masters,
                                           set(), set())
    return want


EXAMPLE_API_DNS = apiserver_dns("cp-1") | {"k8s.example.internal", "api.example.internal"}
EXAMPLE_API_IP = {"10.96.0.1", "10.0.0.10", "10.0.0.100"}

CASES = {
    # examples/kubeadm.yaml and tests/e2e/cluster.yaml (the same cluster)
    "example": (control_plane("cp-1", EXAMPLE_API_DNS, EXAMPLE_API_IP, "10.0.0.10"),
                "kubernetes", "cp-1", None),
    "example-v1.22": (control_plane("cp-1", EXAMPLE_API_DNS, EXAMPLE_API_IP, "10.0.0.10",
                                    v122=True), "kubernetes", "cp-1", None),
    # the example with certSANs [api2.example.internal, 10.0.0.100]
    "example-api2": (control_plane("cp-1", apiserver_dns("cp-1") |
                                   {"k8s.example.internal", "api2.example.internal"},
                                   EXAMPLE_API_IP, "10.0.0.10"), "kubernetes", "cp-1", None),
    # IPv6, an IP endpoint with a port, dnsDomain example.internal
    "v1beta2-ipv6": (control_plane("node-c", apiserver_dns("node-c", "example.internal"),
                                   {"fd00:10:96::1", "fd00::10", "fd00::100"}, "fd00::10"),
                     "kubernetes", "node-c", None),
    # dual stack: the VIP of the first (IPv4) subnet only; an IP endpoint
    "v1beta3-dualstack": (control_plane("node-b", apiserver_dns("node-b") | {"lb.example.com"},
                                        {"10.96.0.1", "10.0.0.10", "10.0.0.100"}, "10.0.0.10"),
                          "kubernetes", "node-b", None),
    "v1beta4-etcd-sans": (control_plane(
        "cp-1",
        apiserver_dns("cp-1", "corp.local") |
        {"k8s.example.com", "*.apps.example.com", "api.example.com"},
        {"10.100.0.1", "192.168.0.10", "10.0.0.5", "2001:db8::1"}, "192.168.0.10",
        server_sans=(["etcd.example.com"], ["10.1.1.1"]),
        peer_sans=(["peer.example.com"], ["fd00::9"])), "prod", "cp-1", "ecdsa-p256"),
    # external etcd; dual stack with IPv6 first: the VIP is IPv6
    "external-etcd": (control_plane("ext-1", apiserver_dns("ext-1"),
                                    {"fd00:10:96::1", "10.0.0.20"}, None, etcd=False),
                      "kubernetes", "ext-1", None),
    # a joining worker, its configuration carrying the cluster's (clusterName: lab)
    "worker": ({"kubelet.conf": ("system:node:worker-1", ["system:nodes"], set(), set())},
               "lab", "worker-1", None),
    "worker-serving": ({
        "kubelet.conf": ("system:node:worker-1", ["system:nodes"], set(), set()),
        "kubelet": ("system:node:worker-1", ["system:nodes"], {"worker-1"}, set()),
    }, "lab", "worker-1", None),
}


def fail(msg):
    print("csrcheck: " + msg, file=sys.stderr)
    sys.exit(1)


def check_key(name, csr, want_type):
    key = csr.public_key()
    if want_type is None:
        return
    if want_type == "ecdsa-p256":
        ok = isinstance(key, ec.EllipticCurvePublicKey) and key.curve.name == "secp256r1"
    elif want_type.startswith("rsa"):
        ok = isinstance(key, rsa.RSAPublicKey) and key.key_size == int(want_type[3:])
    else:
        ok = False
    if not ok:
        fail(f"{name}: key is not {want_type}")


def check_entry(name, pem, want, key_type):
    csr = x509.load_pem_x509_csr(pem.encode())
    if not csr.is_signature_valid:
        fail(f"{name}: the self-signature does not verify")
    r = subprocess.run(["openssl", "req", "-noout", "-verify"], input=pem.encode(),
                       capture_output=True)
    if r.returncode != 0:
        fail(f"{name}: openssl req -verify: {r.stderr.decode()}")
    cn, orgs, dns, ips = want
    attrs = [a for rdn in csr.subject.rdns for a in rdn]
    kinds = [a.oid for a in attrs]
    if any(k not in (NameOID.COMMON_NAME, NameOID.ORGANIZATION_NAME) for k in kinds):
        fail(f"{name}: subject has attributes other than CN and O: {csr.subject}")
    if kinds != [NameOID.ORGANIZATION_NAME] * len(orgs) + [NameOID.COMMON_NAME]:
        fail(f"{name}: subject is not the O values then the CN: {csr.subject}")
    if attrs[-1].value != cn:
        fail(f"{name}: CN {attrs[-1].value!r}, expected {cn!r}")
    got_o = sorted(a.value for a in attrs[:-1])
    if got_o != sorted(orgs):
        fail(f"{name}: O {got_o}, expected {sorted(orgs)}")
    oids = [e.oid for e in csr.extensions]
    if oids not in ([], [ExtensionOID.SUBJECT_ALTERNATIVE_NAME]):
        fail(f"{name}: requests extensions other than subjectAltName: {oids}")
    got_dns, got_ip = set(), set()
    if oids:
        san = csr.extensions.get_extension_for_oid(ExtensionOID.SUBJECT_ALTERNATIVE_NAME).value
        if len(san) != len(san.get_values_for_type(x509.DNSName)) + \
                len(san.get_values_for_type(x509.IPAddress)):
            fail(f"{name}: SANs other than DNS names and IP addresses")
        got_dns = set(san.get_values_for_type(x509.DNSName))
        got_ip = set(san.get_values_for_type(x509.IPAddress))
        if not got_dns and not got_ip:
            fail(f"{name}: an empty subjectAltName")
    if got_dns != dns:
        fail(f"{name}: DNS SANs {sorted(got_dns)}, expected {sorted(dns)}")
    want_ip = {ipaddress.ip_address(i) for i in ips}
    if got_ip != want_ip:
        fail(f"{name}: IP SANs {sorted(map(str, got_ip))}, expected {sorted(ips)}")
    check_key(name, csr, key_type)


def main():
    if len(sys.argv) not in (3, 4) or sys.argv[2] not in CASES or \
            sys.argv[3:] not in ([], ["init"]):
        fail("usage: csrcheck.py BUNDLE CASE [init]")
    with open(sys.argv[1], encoding="utf-8") as f:
        text = f.read()
    if "PRIVATE KEY" in text:
        fail("the bundle holds a private key")
    doc = yaml.safe_load(text)
    want, cluster, node, key_type = CASES[sys.argv[2]]
    if sys.argv[3:] == ["init"] and doc.get("profiles") != "kubeadm-v1.22":
        want = dict(want)
        want["super-admin.conf"] = ("kubernetes-super-admin", ["system:masters"], set(), set())
    if doc.get("cluster") != cluster or doc.get("node") != node:
        fail(f"cluster/node {doc.get('cluster')}/{doc.get('node')}, expected {cluster}/{node}")
    entries = doc.get("entries") or []
    names = [e["name"] for e in entries]
    if sorted(names) != sorted(want):
        fail(f"entries {sorted(names)}, expected {sorted(want)}")
    for e in entries:
        if (e["location"], e["path"]) != PATHS[e["name"]]:
            fail(f"{e['name']}: target {e['location']}/{e['path']}")
        check_entry(e["name"], e["csr"], want[e["name"]], key_type)
    print(f"csrcheck: {sys.argv[2]}: {len(entries)} requests as kubeadm would issue them")


main()
