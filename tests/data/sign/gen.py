#!/usr/bin/python3
"""gen.py - makes the fixtures of check_sign (run from this directory).

CAs are made with openssl as an operator would (ca/: RSA ca, ECDSA P-384
etcd/ca, ECDSA P-256 front-proxy-ca; ca-ed25519/: an Ed25519 ca). CSRs are
made with python3-cryptography, independently of libpki: good/ holds one
request for each kubeadm-v1.29 profile of the example cluster (node cp-1)
with its expected subject key identifier (RFC 5280 4.2.1.2 method 1) in
<name>.ski; bad/ holds the hostile requests.
"""
import datetime
import ipaddress
import os
import subprocess
import sys

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


def der_len(n):
    if n < 0x80:
        return bytes([n])
    b = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(b)]) + b


def tlv(tag, body):
    return bytes([tag]) + der_len(len(body)) + body


def raw_subject_csr(key, rdns):
    """A CSR whose subject is given as (OID DER, string tag, bytes) triples:
    python3-cryptography refuses a NUL in a name, so the CertificationRequestInfo
    is built by hand and signed with the key."""
    name = tlv(0x30, b"".join(
        tlv(0x31, tlv(0x30, oid + tlv(tag, val))) for oid, tag, val in rdns))
    spki = key.public_key().public_bytes(serialization.Encoding.DER,
                                         serialization.PublicFormat.SubjectPublicKeyInfo)
    info = tlv(0x30, tlv(0x02, b"\x00") + name + spki + tlv(0xa0, b""))
    sig = key.sign(info, ec.ECDSA(hashes.SHA256()))
    alg = tlv(0x30, bytes.fromhex("06082a8648ce3d040302"))  # ecdsa-with-SHA256
    return tlv(0x30, info + alg + tlv(0x03, b"\x00" + sig))


OID_CN = bytes.fromhex("0603550403")


def more_bad():
    """The review's fixtures: a NUL in the CN (DER by hand), a BMPString CN,
    an IPv4-mapped IPv6 SAN."""
    k = p256()
    for fname, tag, val in [("nul-cn.der", 0x0c, b"kube-apiserver\x00.evil"),
                            ("bmp-cn.der", 0x1e, "kube-apiserver".encode("utf-16-be"))]:
        with open(os.path.join(HERE, "bad", fname), "wb") as f:
            f.write(raw_subject_csr(k, [(OID_CN, tag, val)]))
    write("bad/ipv4-mapped.csr", csr(k, name("kube-apiserver"),
                                     ip("10.0.0.10", "::ffff:10.0.0.5")))


def worker():
    """kubelet.conf and kubelet for the worker node worker-1."""
    write("good/kubelet.conf-worker-1.csr",
          csr(p256(), name("system:node:worker-1", ["system:nodes"])))
    write("good/kubelet-worker-1.csr",
          csr(p256(), name("system:node:worker-1", ["system:nodes"]), dns("worker-1")))
    write("good/admin.conf-worker-1.csr",
          csr(p256(), name("kubernetes-admin", ["kubeadm:cluster-admins"])))


def chain():
    """ca-chain/: front-proxy-ca as an intermediate (2026-01-10 to 2036-01-01)
    under a root valid for 30 days only (2026-01-01 to 2026-01-31), the
    chain in front-proxy-ca.crt after the CA, as --import-ca writes it."""
    os.makedirs(os.path.join(HERE, "ca-chain"), exist_ok=True)
    rk, ik = p256(), p256()
    d = datetime.datetime
    root_name = name("Example Root CA", ["Example Org"])
    root = (x509.CertificateBuilder().subject_name(root_name).issuer_name(root_name)
            .public_key(rk.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(d(2026, 1, 1)).not_valid_after(d(2026, 1, 31))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True,
                                         False, False), True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(rk.public_key()),
                           False)
            .sign(rk, hashes.SHA256()))
    inter = (x509.CertificateBuilder().subject_name(name("front-proxy-ca"))
             .issuer_name(root_name).public_key(ik.public_key())
             .serial_number(x509.random_serial_number())
             .not_valid_before(d(2026, 1, 10)).not_valid_after(d(2036, 1, 1))
             .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
             .add_extension(x509.KeyUsage(True, False, True, False, False, True, False,
                                          False, False), True)
             .add_extension(x509.SubjectKeyIdentifier.from_public_key(ik.public_key()),
                            False)
             .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
                 rk.public_key()), False)
             .sign(rk, hashes.SHA256()))
    with open(os.path.join(HERE, "ca-chain", "front-proxy-ca.crt"), "wb") as f:
        f.write(inter.public_bytes(serialization.Encoding.PEM) +
                root.public_bytes(serialization.Encoding.PEM))
    with open(os.path.join(HERE, "ca-chain", "front-proxy-ca.key"), "wb") as f:
        f.write(ik.private_bytes(serialization.Encoding.PEM,
                                 serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption()))
    os.chmod(os.path.join(HERE, "ca-chain", "front-proxy-ca.key"), 0o600)


PARTS = {"cas": cas, "good": good, "bad": bad, "more-bad": more_bad, "worker": worker,
         "chain": chain}

if __name__ == "__main__":
    # no argument: everything; else the named parts ("gen.py chain")
    for part in sys.argv[1:] or list(PARTS):
        PARTS[part]()
