#!/usr/bin/env python3
"""Regenerates the fixtures of tests/data/bundle.

Run from the repository root: python3 tests/data/bundle/gen.py
Needs openssl and python3-cryptography. Keys are fresh on every run (and
thrown away: no key is kept), so the CSRs and the fingerprint files change
with each run; the tests read the expected fingerprints from the
*.fingerprint files, which this script computes from kpki-bundle(5)'s
canonical text on its own, without kpki.

With --signed-only, only the signed-bundle fixtures (good/signed/,
good/signed-*.yaml, bad/signed-*.yaml, bad/certs/) are made again, for the
CSRs already in good/csr/: the CSR bundles and their fingerprints stay.
The certificates have fixed serials and validity, so the tests can name
them; their signatures change with each run.
"""
import base64
import datetime
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

HERE = os.path.dirname(os.path.abspath(__file__))
GOOD = os.path.join(HERE, "good")
BAD = os.path.join(HERE, "bad")
CSRS = os.path.join(GOOD, "csr")

CREATED = "2026-03-04T05:06:07Z"
HEADER = ("# A kpki CSR bundle (kpki-bundle(5)). It holds certificate requests\n"
          "# only: the private keys stay on the node.\n")
SIGNED_HEADER = ("# A signed kpki bundle (kpki-bundle(5)): certificate requests, their\n"
                 "# certificates and the CA certificates. It holds no private key.\n")

# name, location, path, subject, SAN
REQUESTS = [
    ("apiserver", "cert-dir", "apiserver.crt", "/CN=kube-apiserver",
     "DNS:cp-1,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,"
     "DNS:kubernetes.default.svc.cluster.local,IP:10.96.0.1,IP:192.0.2.10"),
    ("etcd-server", "cert-dir", "etcd/server.crt", "/CN=cp-1",
     "DNS:cp-1,DNS:localhost,IP:192.0.2.10,IP:127.0.0.1,IP:0:0:0:0:0:0:0:1"),
    ("admin.conf", "kubeconfig-dir", "admin.conf",
     "/O=kubeadm:cluster-admins/CN=kubernetes-admin", None),
    ("kubelet", "kubelet-dir", "kubelet.crt", "/O=system:nodes/CN=system:node:cp-1",
     "DNS:cp-1,IP:192.0.2.10"),
]


def run(*args, **kw):
    return subprocess.run(args, check=True, capture_output=True, **kw).stdout


def make_csr(tmp, subj, san, algo="ec"):
    key = os.path.join(tmp, "k.pem")
    if algo == "ec":
        run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-out", key)
    else:
        run("openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
            "-out", key)
    args = ["openssl", "req", "-new", "-key", key, "-subj", subj]
    if san:
        args += ["-addext", "subjectAltName=" + san]
    pem = run(*args).decode()
    os.unlink(key)
    return pem


def der_of(pem):
    body = "".join(l for l in pem.splitlines() if not l.startswith("-----"))
    return base64.b64decode(body)


def pem_of(der, width=64, label="CERTIFICATE REQUEST"):
    b = base64.b64encode(der).decode()
    lines = [b[i:i + width] for i in range(0, len(b), width)]
    return "-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(lines), label)


def indent(text, n=6):
    return "".join(" " * n + l + "\n" for l in text.splitlines())


def bundle(entries, profiles="kubeadm-v1.29", cluster="kubernetes", node="cp-1",
           created=CREATED, certs=None, cas=None):
    """The writer's form, byte for byte (kpki-bundle(5), FILE FORMAT).
    certs: entry name -> certificate DER; cas: CA certificate DERs."""
    out = SIGNED_HEADER if (certs or cas) else HEADER
    out += "kpki-bundle: v1\nprofiles: %s\ncluster: %s\nnode: %s\ncreated: \"%s\"\n" % (
        profiles, cluster, node if node else '""', created)
    out += "entries:\n"
    for name, loc, path, der in entries:
        out += "  - name: %s\n    location: %s\n    path: %s\n    csr: |\n" % (name, loc, path)
        out += indent(pem_of(der))
        if certs and name in certs:
            out += "    certificate: |\n" + indent(pem_of(certs[name], label="CERTIFICATE"))
    if cas:
        out += "ca-certificates:\n"
        for der in cas:
            out += "  - |\n" + indent(pem_of(der, label="CERTIFICATE"), 4)
    return out


def fingerprint(entries, profiles="kubeadm-v1.29", cluster="kubernetes", node="cp-1",
                created=CREATED):
    """kpki-bundle(5), FINGERPRINT."""
    text = "kpki-bundle v1\nprofiles %s\ncluster %s\nnode %s\ncreated %s\nentries %d\n" % (
        profiles, cluster, node, created, len(entries))
    for name, loc, path, der in sorted(entries, key=lambda e: e[0].encode()):
        text += "name %s\nlocation %s\npath %s\ncsr %s\n" % (
            name, loc, path, base64.b64encode(der).decode())
    return "SHA256:" + hashlib.sha256(text.encode()).hexdigest() + "\n"


def write(path, text, mode="w"):
    with open(path, mode) as f:
        f.write(text)


def main():
    if sys.argv[1:] == ["--signed-only"]:
        signed()
        return
    for d in (GOOD, BAD):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    os.makedirs(CSRS)
    tmp = tempfile.mkdtemp()
    try:
        ders = {}
        for name, _, _, subj, san in REQUESTS:
            pem = make_csr(tmp, subj, san)
            write(os.path.join(CSRS, name + ".pem"), pem)
            ders[name] = der_of(pem)
        # a second apiserver request (another key, RSA), for "a CSR changed"
        pem = make_csr(tmp, "/CN=kube-apiserver", REQUESTS[0][4], algo="rsa")
        write(os.path.join(CSRS, "apiserver-2.pem"), pem)
        # a worker's kubelet.conf
        pem = make_csr(tmp, "/O=system:nodes/CN=system:node:worker-7", None)
        write(os.path.join(CSRS, "kubelet.conf.pem"), pem)
        kubelet_conf = der_of(pem)
        # a private key, only to be refused inside a bundle
        key_pem = run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                      "ec_paramgen_curve:P-256").decode()
        # a certificate, only to be refused in the csr field
        cert_pem = run("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                       "ec_paramgen_curve:P-256", "-nodes", "-keyout", os.path.join(tmp, "ck"),
                       "-subj", "/CN=not-a-request", "-days", "1").decode()
    finally:
        shutil.rmtree(tmp)

    entries = [(n, l, p, ders[n]) for n, l, p, _, _ in REQUESTS]
    cp1 = bundle(entries)
    write(os.path.join(GOOD, "cp1.yaml"), cp1)
    fp = fingerprint(entries)
    write(os.path.join(GOOD, "cp1.fingerprint"), fp)

    # the same content, other forms: all must give cp1's fingerprint
    # keys and entries reordered, other quoting, comments, flow style
    e = list(reversed(entries))
    alt = "# reordered\ncreated: %s\nentries:\n" % CREATED
    for name, loc, path, der in e:
        alt += "- csr: \"%s\"\n  path: '%s'\n  location: %s\n  name: \"%s\"\n" % (
            pem_of(der).replace("\n", "\\n"), path, loc, name)
    alt += "node: 'cp-1'\ncluster: \"kubernetes\"\nprofiles: kubeadm-v1.29\nkpki-bundle: \"v1\"\n"
    write(os.path.join(GOOD, "cp1-reordered.yaml"), alt)
    write(os.path.join(GOOD, "cp1-crlf.yaml"), cp1.replace("\n", "\r\n"), "w")
    # PEM wrapped at 76 columns, the old label, CRLF inside the PEM only
    alt = HEADER
    alt += "kpki-bundle: v1\nprofiles: kubeadm-v1.29\ncluster: kubernetes\nnode: cp-1\n"
    alt += "created: %s\nentries:\n" % CREATED
    for name, loc, path, der in entries:
        alt += "  - name: %s\n    location: %s\n    path: %s\n    csr: |\n" % (name, loc, path)
        alt += indent(pem_of(der, 76, "NEW CERTIFICATE REQUEST" if name == "admin.conf"
                             else "CERTIFICATE REQUEST"))
    write(os.path.join(GOOD, "cp1-rewrapped.yaml"), alt)

    # a worker, the older profile set, no node name
    w = [("kubelet.conf", "kubeconfig-dir", "kubelet.conf", kubelet_conf)]
    write(os.path.join(GOOD, "worker-v1.22.yaml"), bundle(w, profiles="kubeadm-v1.22", node=""))
    write(os.path.join(GOOD, "worker-v1.22.fingerprint"),
          fingerprint(w, profiles="kubeadm-v1.22", node=""))

    # ---- hostile bundles: cp1 with one thing wrong
    one = [entries[0]]
    base = bundle(one)
    api_pem = indent(pem_of(ders["apiserver"]))

    def bad(name, text):
        write(os.path.join(BAD, name), text)

    bad("path-traversal.yaml", base.replace("path: apiserver.crt", "path: ../../etc/shadow"))
    bad("path-absolute.yaml",
        base.replace("path: apiserver.crt", "path: /etc/kubernetes/pki/apiserver.crt"))
    bad("path-ctrl.yaml", base.replace("path: apiserver.crt", 'path: "apiserver\\e.crt"'))
    bad("path-nul.yaml", base.replace("path: apiserver.crt", 'path: "apiserver.crt\\0"'))
    bad("path-other.yaml", base.replace("path: apiserver.crt", "path: etcd/server.crt"))
    bad("unknown-profile.yaml", base.replace("name: apiserver", "name: evil"))
    bad("ca-profile.yaml", base.replace("name: apiserver", "name: ca")
        .replace("path: apiserver.crt", "path: ca.crt"))
    bad("wrong-location.yaml", base.replace("location: cert-dir", "location: kubeconfig-dir"))
    bad("bad-location.yaml", base.replace("location: cert-dir", "location: /etc"))
    bad("two-csrs.yaml", base + indent(pem_of(ders["etcd-server"])))
    bad("private-key.yaml", base.replace(api_pem, indent(key_pem)))
    bad("private-key-comment.yaml", base + "# " + key_pem.replace("\n", "\n# ") + "\n")
    bad("certificate.yaml", base.replace(api_pem, indent(cert_pem)))
    bad("text-around.yaml", base.replace(api_pem, indent("subject=CN = kube-apiserver\n") + api_pem))
    bad("bad-base64.yaml", base.replace(api_pem, api_pem[:200] + "!!!!" + api_pem[204:]))
    bad("no-pem.yaml", base.replace(api_pem, indent("not a request\n")))
    bad("truncated-pem.yaml", base[:len(base) - 200])
    bad("truncated-yaml.yaml", base[:len(HEADER) + 60])
    bad("truncated-flow.yaml", "kpki-bundle: v1\nentries: [{name: apiserver, csr: \"")
    bad("alias-bomb.yaml", "kpki-bundle: v1\na: &a [x, x, x, x, x, x, x, x, x]\n"
        "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b]\n"
        "entries: [*c]\n")
    bad("deep.yaml", "kpki-bundle: v1\nentries: " + "[" * 100 + "]" * 100 + "\n")
    bad("bad-created.yaml", base.replace(CREATED, "2026-02-30T05:06:07Z"))
    bad("created-offset.yaml", base.replace(CREATED, "2026-03-04T07:06:07+02:00"))
    bad("created-date.yaml", base.replace('"%s"' % CREATED, "2026-03-04"))
    bad("unknown-key.yaml", base.replace("cluster:", "signer: evil\ncluster:"))
    bad("unknown-entry-key.yaml", base.replace("    path: apiserver.crt",
                                               "    path: apiserver.crt\n    usages: [ca]"))
    bad("missing-cluster.yaml", base.replace("cluster: kubernetes\n", ""))
    bad("missing-csr.yaml", base.replace("    csr: |\n" + api_pem, ""))
    bad("missing-version.yaml", base.replace("kpki-bundle: v1\n", ""))
    bad("version-2.yaml", base.replace("kpki-bundle: v1", "kpki-bundle: v2"))
    bad("version-int.yaml", base.replace("kpki-bundle: v1", "kpki-bundle: 1"))
    bad("duplicate.yaml", bundle([entries[0], entries[1], entries[0]]))
    bad("signed-entry.yaml", base + "    certificate: |\n" + indent(cert_pem))
    bad("ca-certificates.yaml", base + "ca-certificates: |\n" + indent(cert_pem, 2))
    bad("profiles-path.yaml", base.replace("profiles: kubeadm-v1.29",
                                           "profiles: ../../tmp/evil.yaml"))
    bad("profiles-yaml.yaml", base.replace("profiles: kubeadm-v1.29", "profiles: evil.yaml"))
    bad("unknown-set.yaml", base.replace("kubeadm-v1.29", "kubeadm-v9.99"))
    bad("bad-node.yaml", base.replace("node: cp-1", "node: Node_1"))
    bad("empty-entries.yaml", base[:base.index("entries:")] + "entries: []\n")
    bad("entries-map.yaml", base[:base.index("entries:")] + "entries: {a: b}\n")
    bad("two-docs.yaml", base + "---\n" + base)
    bad("list.yaml", "- kpki-bundle: v1\n")
    bad("empty.yaml", "")
    signed()


# ---- signed bundles (kpki-sign's answer) ---------------------------------

UTC = datetime.timezone.utc
NOT_BEFORE = datetime.datetime(2026, 3, 4, 5, 1, 7, tzinfo=UTC)
NOT_AFTER = datetime.datetime(2027, 3, 4, 5, 6, 7, tzinfo=UTC)
CA_NOT_AFTER = datetime.datetime(2036, 3, 1, 5, 6, 7, tzinfo=UTC)
SERIAL0 = 0x7b2d1c4e5f6071820000  # entry i gets SERIAL0 + i + 1

# entry name -> (CA, extended key usages), as kubeadm issues them
ISSUED = {
    "apiserver": ("kubernetes", [ExtendedKeyUsageOID.SERVER_AUTH]),
    "etcd-server": ("etcd-ca", [ExtendedKeyUsageOID.SERVER_AUTH,
                                ExtendedKeyUsageOID.CLIENT_AUTH]),
    "admin.conf": ("kubernetes", [ExtendedKeyUsageOID.CLIENT_AUTH]),
    "kubelet": ("kubernetes", [ExtendedKeyUsageOID.SERVER_AUTH]),
}


def make_ca(cn):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(NOT_BEFORE).not_valid_after(CA_NOT_AFTER)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(x509.KeyUsage(True, False, True, False, False, True, False, False,
                                         False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                           critical=False)
            .sign(key, hashes.SHA256()))
    return key, cert


def issue(ca, csr_der, serial, ekus, is_ca=False):
    """A certificate for the CSR's key and subject, as kpki-sign makes one."""
    ca_key, ca_cert = ca
    csr = x509.load_der_x509_csr(csr_der)
    b = (x509.CertificateBuilder().subject_name(csr.subject).issuer_name(ca_cert.subject)
         .public_key(csr.public_key()).serial_number(serial)
         .not_valid_before(NOT_BEFORE).not_valid_after(NOT_AFTER)
         .add_extension(x509.KeyUsage(True, False, True, False, False, is_ca, False, False,
                                      False), critical=True)
         .add_extension(x509.ExtendedKeyUsage(ekus), critical=False)
         .add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)
         .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(
             ca_key.public_key()), critical=False))
    try:
        san = csr.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        b = b.add_extension(san.value, critical=False)
    except x509.ExtensionNotFound:
        pass
    return b.sign(ca_key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def der_of_cert(cert):
    return cert.public_bytes(serialization.Encoding.DER)


def signed():
    sdir = os.path.join(GOOD, "signed")
    cdir = os.path.join(BAD, "certs")
    for d in (sdir, cdir):
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    with open(os.path.join(GOOD, "cp1.fingerprint")) as f:
        cp1_fp = f.read()

    ders = {}
    for name, _, _, _, _ in REQUESTS + [("apiserver-2",) + REQUESTS[0][1:]]:
        with open(os.path.join(CSRS, name + ".pem")) as f:
            ders[name] = der_of(f.read())
    entries = [(n, l, p, ders[n]) for n, l, p, _, _ in REQUESTS]
    # the CSR bundle is the same: the signed one keeps its fingerprint
    if fingerprint(entries) != cp1_fp:
        sys.exit("gen.py: good/csr/ does not match cp1.fingerprint")

    cas = {"kubernetes": make_ca("kubernetes"), "etcd-ca": make_ca("etcd-ca")}
    ca_ders = [der_of_cert(cas["kubernetes"][1]), der_of_cert(cas["etcd-ca"][1])]
    certs = {}
    for i, (name, _, _, der) in enumerate(entries):
        ca, ekus = ISSUED[name]
        certs[name] = issue(cas[ca], der, SERIAL0 + i + 1, ekus)

    def pem_file(path, der):
        write(path, pem_of(der, label="CERTIFICATE"))

    for name, der in certs.items():
        pem_file(os.path.join(sdir, name + ".crt"), der)
    pem_file(os.path.join(sdir, "ca.crt"), ca_ders[0])
    pem_file(os.path.join(sdir, "etcd-ca.crt"), ca_ders[1])
    # good, for the apiserver-2 request: another key than apiserver's
    pem_file(os.path.join(sdir, "apiserver-2.crt"),
             issue(cas["kubernetes"], ders["apiserver-2"], SERIAL0 + 9,
                   ISSUED["apiserver"][1]))

    cp1 = bundle(entries, certs=certs, cas=ca_ders)
    write(os.path.join(GOOD, "signed-cp1.yaml"), cp1)
    write(os.path.join(GOOD, "signed-cp1.fingerprint"), cp1_fp)
    # another form of the same: flow style, reordered, the CAs reversed
    alt = "{ca-certificates: [%s],\n" % ", ".join(
        '"%s"' % pem_of(d, label="CERTIFICATE").replace("\n", "\\n") for d in reversed(ca_ders))
    alt += " entries: [\n"
    for name, loc, path, der in reversed(entries):
        alt += '  {certificate: "%s", csr: "%s", path: %s, location: %s, name: %s},\n' % (
            pem_of(certs[name], label="CERTIFICATE").replace("\n", "\\n"),
            pem_of(der).replace("\n", "\\n"), path, loc, name)
    alt += " ],\n created: %s, node: cp-1, cluster: kubernetes, profiles: kubeadm-v1.29,\n" \
        " kpki-bundle: v1}\n" % CREATED
    write(os.path.join(GOOD, "signed-cp1-flow.yaml"), alt)

    # ---- hostile signed bundles: signed-cp1 with one thing wrong
    def bad(name, text):
        assert text != cp1, name
        write(os.path.join(BAD, name), text)

    def cert_pem(der, n=6):
        return indent(pem_of(der, label="CERTIFICATE"), n)

    api_cert = cert_pem(certs["apiserver"])
    kube_ca = cert_pem(ca_ders[0], 4)
    evil = make_ca("evil-ca")
    twin = make_ca("kubernetes")  # another CA of the same name
    key_pem = run("openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                  "ec_paramgen_curve:P-256").decode()

    other_key = issue(cas["kubernetes"], ders["apiserver-2"], SERIAL0 + 9, ISSUED["apiserver"][1])
    from_evil = issue(evil, ders["apiserver"], SERIAL0 + 1, ISSUED["apiserver"][1])
    from_twin = issue(twin, ders["apiserver"], SERIAL0 + 1, ISSUED["apiserver"][1])
    as_ca = issue(cas["kubernetes"], ders["apiserver"], SERIAL0 + 1, ISSUED["apiserver"][1],
                  is_ca=True)
    pem_file(os.path.join(cdir, "evil-ca.crt"), der_of_cert(evil[1]))
    pem_file(os.path.join(cdir, "apiserver-evil.crt"), from_evil)
    pem_file(os.path.join(cdir, "apiserver-twin.crt"), from_twin)
    pem_file(os.path.join(cdir, "apiserver-ca.crt"), as_ca)

    bad("signed-wrong-key.yaml", cp1.replace(api_cert, cert_pem(other_key)))
    bad("signed-unlisted-ca.yaml", cp1.replace(api_cert, cert_pem(from_evil)))
    bad("signed-same-name-ca.yaml", cp1.replace(api_cert, cert_pem(from_twin)))
    bad("signed-entry-is-ca.yaml", cp1.replace(api_cert, cert_pem(as_ca)))
    bad("signed-csr-as-cert.yaml", cp1.replace(api_cert, indent(pem_of(ders["apiserver"]))))
    bad("signed-two-certs.yaml", cp1.replace(api_cert, api_cert + cert_pem(ca_ders[0])))
    bad("signed-private-key.yaml", cp1.replace(api_cert, indent(key_pem)))
    bad("signed-cert-bad-base64.yaml", cp1.replace(api_cert, api_cert[:200] + "!!!!" +
                                                   api_cert[204:]))
    bad("signed-cert-text-after.yaml", cp1.replace(api_cert, api_cert + indent("signed\n")))
    etcd_cert = "    certificate: |\n" + cert_pem(certs["etcd-server"])
    bad("signed-missing-cert.yaml", cp1.replace(etcd_cert, ""))
    bad("signed-only-cas.yaml", bundle(entries, cas=ca_ders))
    bad("signed-no-cas.yaml", cp1[:cp1.index("ca-certificates:")])
    bad("signed-empty-cas.yaml", cp1[:cp1.index("ca-certificates:")] + "ca-certificates: []\n")
    bad("signed-cas-string.yaml", cp1[:cp1.index("ca-certificates:")] + "ca-certificates: |\n" +
        kube_ca)
    bad("signed-non-ca.yaml", cp1 + "  - |\n" + cert_pem(certs["kubelet"], 4))
    bad("signed-duplicate-ca.yaml", cp1 + "  - |\n" + kube_ca)
    bad("signed-ca-two-blocks.yaml", cp1.replace(kube_ca, kube_ca + cert_pem(ca_ders[1], 4)))
    bad("signed-ca-missing.yaml", cp1.replace("  - |\n" + cert_pem(ca_ders[1], 4), ""))
    bad("signed-ca-csr.yaml", cp1.replace(kube_ca, indent(pem_of(ders["apiserver"]), 4)))
    bad("signed-too-many-cas.yaml", cp1 + "".join(
        "  - |\n" + cert_pem(der_of_cert(make_ca("ca-%d" % i)[1]), 4) for i in range(15)))
    bad("signed-truncated.yaml", cp1[:len(cp1) - 300])


if __name__ == "__main__":
    main()
