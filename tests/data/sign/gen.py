#!/usr/bin/python3
"""gen.py - makes the fixtures of check_sign (run from this directory).

CAs are made with openssl as an operator would (ca/: RSA ca, ECDSA P-384
etcd/ca, ECDSA P-256 front-proxy-ca; ca-ed25519/: an Ed25519 ca). CSRs are
made with python3-cryptography, independently of libpki: good/ holds one
request for each kubeadm-v1.29 profile of the example cluster (node cp-1)
with its expected subject key identifier (RFC 5280 4.2.1.2 method 1) in
<name>.ski; bad/ holds the hostile requests.
"""
import ipaddress
import os
import subprocess

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed25519, rsa
from cryptography.x509.oid import NameOID

HERE = os.path.dirname(os.path.abspath(__file__))


def run(*args):
    subprocess.run(args, check=True, cwd=HERE, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_ca(path, cn, keyargs):
    os.makedirs(os.path.dirname(os.path.join(HERE, path)) or HERE, exist_ok=True)
    run("openssl", "genpkey", *keyargs, "-out", path + ".key")
    run("openssl", "req", "-x509", "-new", "-key", path + ".key", "-out", path + ".crt",
        "-days", "3650", "-subj", "/CN=" + cn,
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign",
        "-addext", "subjectKeyIdentifier=hash",
        "-addext", "subjectAltName=DNS:" + cn)


RSA = ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]
P256 = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]
P384 = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"]


def cas():
    os.makedirs(os.path.join(HERE, "ca", "etcd"), exist_ok=True)
    os.makedirs(os.path.join(HERE, "ca-ed25519"), exist_ok=True)
    make_ca("ca/ca", "kubernetes", RSA)
    make_ca("ca/etcd/ca", "etcd-ca", P384)
    make_ca("ca/front-proxy-ca", "front-proxy-ca", P256)
    make_ca("ca-ed25519/ca", "kubernetes", ["-algorithm", "ED25519"])


def name(cn, orgs=(), extra=()):
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    attrs += list(extra)
    if cn is not None:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name([x509.RelativeDistinguishedName([a]) for a in attrs])


def csr(key, subject, sans=(), exts=(), digest=hashes.SHA256()):
    b = x509.CertificateSigningRequestBuilder().subject_name(subject)
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName(list(sans)), critical=False)
    for e, crit in exts:
        b = b.add_extension(e, critical=crit)
    if isinstance(key, ed25519.Ed25519PrivateKey):
        digest = None
    return b.sign(key, digest)


def write(path, req, der=False):
    with open(os.path.join(HERE, path), "wb") as f:
        f.write(req.public_bytes(serialization.Encoding.DER if der else
                                 serialization.Encoding.PEM))


def ski(req):
    # method 1: SHA-1 of the subjectPublicKey BIT STRING value; the library
    # is not used here, the key identifier comes from cryptography's own
    return x509.SubjectKeyIdentifier.from_public_key(req.public_key()).digest.hex()


def dns(*v):
    return [x509.DNSName(s) for s in v]


def ip(*v):
    return [x509.IPAddress(ipaddress.ip_address(s)) for s in v]


rsa2048 = lambda: rsa.generate_private_key(65537, 2048)
p256 = lambda: ec.generate_private_key(ec.SECP256R1())
p384 = lambda: ec.generate_private_key(ec.SECP384R1())

APISERVER_SANS = dns("api.example.internal", "cp-1", "k8s.example.internal", "kubernetes",
                     "kubernetes.default", "kubernetes.default.svc",
                     "kubernetes.default.svc.cluster.local") + \
    ip("10.96.0.1", "10.0.0.10", "10.0.0.100")
ETCD_SANS = dns("cp-1", "localhost") + ip("10.0.0.10", "127.0.0.1", "::1")

GOOD = {
    # profile: (key, CN, O, SANs, digest)
    "apiserver": (rsa2048, "kube-apiserver", [], APISERVER_SANS, hashes.SHA256()),
    "apiserver-kubelet-client": (rsa2048, "kube-apiserver-kubelet-client",
                                 ["kubeadm:cluster-admins"], [], hashes.SHA256()),
    "front-proxy-client": (p256, "front-proxy-client", [], [], hashes.SHA256()),
    "apiserver-etcd-client": (p384, "kube-apiserver-etcd-client", [], [], hashes.SHA384()),
    "etcd-server": (p256, "cp-1", [], ETCD_SANS, hashes.SHA256()),
    "etcd-peer": (p384, "cp-1", [], ETCD_SANS, hashes.SHA384()),
    "etcd-healthcheck-client": (rsa2048, "kube-etcd-healthcheck-client", [], [],
                                hashes.SHA256()),
    "admin.conf": (rsa2048, "kubernetes-admin", ["kubeadm:cluster-admins"], [],
                   hashes.SHA256()),
    "super-admin.conf": (p256, "kubernetes-super-admin", ["system:masters"], [],
                         hashes.SHA256()),
    "controller-manager.conf": (rsa2048, "system:kube-controller-manager", [], [],
                                hashes.SHA256()),
    "scheduler.conf": (rsa2048, "system:kube-scheduler", [], [], hashes.SHA256()),
    "kubelet.conf": (p256, "system:node:cp-1", ["system:nodes"], [], hashes.SHA256()),
    "kubelet": (rsa2048, "system:node:cp-1", ["system:nodes"],
                dns("cp-1") + ip("10.0.0.10"), hashes.SHA256()),
}


def good():
    os.makedirs(os.path.join(HERE, "good"), exist_ok=True)
    for prof, (kf, cn, orgs, sans, dg) in GOOD.items():
        req = csr(kf(), name(cn, orgs), sans, digest=dg)
        write("good/%s.csr" % prof, req)
        with open(os.path.join(HERE, "good", prof + ".ski"), "w") as f:
            f.write(ski(req) + "\n")
    # Ed25519 key for the Ed25519-CA test profile set
    write("good/ed25519.csr", csr(ed25519.Ed25519PrivateKey.generate(),
                                  name("front-proxy-client")))


def bad():
    os.makedirs(os.path.join(HERE, "bad"), exist_ok=True)
    k = rsa2048()
    # tampered: the last octet of the signature flipped
    der = bytearray(csr(k, name("front-proxy-client")).public_bytes(
        serialization.Encoding.DER))
    der[-1] ^= 0x01
    with open(os.path.join(HERE, "bad", "tampered.der"), "wb") as f:
        f.write(der)
    with open(os.path.join(HERE, "bad", "truncated.der"), "wb") as f:
        f.write(der[:len(der) // 2])
    write("bad/other-cn.csr", csr(k, name("kube-apiserver")))
    write("bad/masters.csr", csr(k, name("kubernetes-admin",
                                         ["kubeadm:cluster-admins", "system:masters"])))
    write("bad/missing-o.csr", csr(k, name("system:node:cp-1")))
    write("bad/twice-o.csr", csr(k, name("system:node:cp-1",
                                         ["system:nodes", "system:nodes"])))
    write("bad/other-node-cn.csr", csr(k, name("system:node:cp-2", ["system:nodes"])))
    write("bad/san-outside.csr", csr(k, name("kube-apiserver"),
                                     dns("kubernetes", "evil.example.com")))
    write("bad/ip-outside.csr", csr(k, name("kube-apiserver"), ip("10.0.0.10", "192.0.2.1")))
    write("bad/email-san.csr", csr(k, name("kube-apiserver"),
                                   [x509.RFC822Name("root@example.internal")]))
    write("bad/uri-san.csr", csr(k, name("kube-apiserver"),
                                 [x509.UniformResourceIdentifier("spiffe://example/ns/x")]))
    write("bad/othername-san.csr", csr(k, name("kube-apiserver"), [x509.OtherName(
        x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3"), b"\x0c\x03a@b")]))
    write("bad/wildcard.csr", csr(k, name("kube-apiserver"), dns("*.example.internal")))
    write("bad/nul-san.csr", csr(k, name("kube-apiserver"),
                                 dns("cp-1\x00.evil.example.com")))
    write("bad/ctrl-subject.csr", csr(k, name("kube-apiserver\x1b[2J")))
    write("bad/extra-attrs.csr", csr(k, name("front-proxy-client", extra=[
        x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
        x509.NameAttribute(NameOID.ORGANIZATIONAL_UNIT_NAME, "ops")])))
    write("bad/two-cn.csr", csr(k, x509.Name([
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COMMON_NAME,
                                                           "front-proxy-client")]),
        x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COMMON_NAME,
                                                           "front-proxy-client")])])))
    write("bad/client-san.csr", csr(k, name("kubernetes-admin", ["kubeadm:cluster-admins"]),
                                    dns("kubernetes")))
    write("bad/node-not-allowed.csr", csr(k, name("cp-9"), dns("cp-9", "localhost")))
    write("bad/rsa1024.csr", csr(rsa.generate_private_key(65537, 1024),
                                 name("front-proxy-client")))
    write("bad/dsa.csr", csr(dsa.generate_private_key(2048), name("front-proxy-client")))
    write("bad/secp256k1.csr", csr(ec.generate_private_key(ec.SECP256K1()),
                                   name("front-proxy-client")))
    write("bad/p521.csr", csr(ec.generate_private_key(ec.SECP521R1()),
                              name("front-proxy-client"), digest=hashes.SHA512()))
    write("bad/ed25519.csr", csr(ed25519.Ed25519PrivateKey.generate(),
                                 name("front-proxy-client")))
    write("bad/ca-true.csr", csr(k, name("front-proxy-client"), exts=[
        (x509.BasicConstraints(ca=True, path_length=None), True),
        (x509.KeyUsage(True, False, False, False, False, True, True, False, False), True),
        (x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.CODE_SIGNING]), False)]))
    write("bad/sans-10000.csr", csr(k, name("kube-apiserver"), dns(*(["x"] * 10000))))


if __name__ == "__main__":
    cas()
    good()
    bad()
