#!/usr/bin/env python3
"""Regenerates the fixtures of tests/data/report and tests/data/kubeconfig.

Run from the repository root: python3 tests/data/report/gen.py
Needs python3-cryptography. Keys are fresh on every run, so after a
regeneration the fingerprints asserted in tests/check_report.c change
(the dates, names and layout do not). The report tests use now =
2090-01-01T00:00:00Z; every date is far in the future so they never rot.
"""
import base64
import datetime as dt
import ipaddress
import os
import shutil

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
REPORT = os.path.join(ROOT, "report")
KC = os.path.join(ROOT, "kubeconfig")

UTC = dt.timezone.utc
NOT_BEFORE = dt.datetime(2089, 1, 1, tzinfo=UTC)


def t(s):
    return dt.datetime.strptime(s, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


def ecdsa():
    return ec.generate_private_key(ec.SECP256R1())


def name(cn, orgs=()):
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def cert(subject, key, issuer, issuer_key, not_after, ca=False, eku=(), dns=(), ips=(),
         serial=None, not_before=NOT_BEFORE):
    b = (x509.CertificateBuilder()
         .subject_name(subject)
         .issuer_name(issuer)
         .public_key(key.public_key())
         .serial_number(serial or x509.random_serial_number())
         .not_valid_before(not_before)
         .not_valid_after(not_after))
    b = b.add_extension(x509.KeyUsage(True, False, True, False, False, ca, False, False, False),
                        critical=True)
    if eku:
        b = b.add_extension(x509.ExtendedKeyUsage(list(eku)), critical=False)
    b = b.add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    sans = [x509.DNSName(d) for d in dns] + [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    if sans:
        b = b.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    algo = None if isinstance(issuer_key, ed25519.Ed25519PrivateKey) else hashes.SHA256()
    return b.sign(issuer_key, algo)


def pem_cert(c):
    return c.public_bytes(serialization.Encoding.PEM)


def pem_key(k):
    fmt = serialization.PrivateFormat.TraditionalOpenSSL
    if isinstance(k, ed25519.Ed25519PrivateKey):
        fmt = serialization.PrivateFormat.PKCS8
    return k.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption())


def write(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())
    os.chmod(path, mode)


def b64(data):
    return base64.b64encode(data).decode()


def kubeconfig(cluster, user, server, ca_pem, cert_pem, key_pem, extra=""):
    ctx = f"{user}@{cluster}"
    return f"""apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: {b64(ca_pem)}
    server: {server}
  name: {cluster}
contexts:
- context:
    cluster: {cluster}
    user: {user}
  name: {ctx}
current-context: {ctx}
kind: Config
preferences: {{}}
users:
- name: {user}
  user:
    client-certificate-data: {b64(cert_pem)}
    client-key-data: {b64(key_pem)}
{extra}"""


def report_tree():
    base = os.path.join(REPORT, "good")
    shutil.rmtree(base, ignore_errors=True)
    pki = os.path.join(base, "pki")
    kcd = os.path.join(base, "kc")
    end_ca = t("2099-12-28 23:36:00")
    cas = {}
    for nm, path, cn, end in (("ca", "ca", "kubernetes", end_ca),
                              ("etcd-ca", "etcd/ca", "etcd-ca", t("2099-06-30 10:00:00")),
                              ("front-proxy-ca", "front-proxy-ca", "front-proxy-ca", end_ca)):
        k = ecdsa()
        c = cert(name(cn), k, name(cn), k, end, ca=True, dns=(cn,))
        cas[nm] = (c, k)
        write(os.path.join(pki, path + ".crt"), pem_cert(c))
        write(os.path.join(pki, path + ".key"), pem_key(k), 0o600)
    srv, cli = ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH
    leaves = (
        ("apiserver", "ca", "kube-apiserver", (), (srv,), "2090-06-30 12:00:00"),
        ("apiserver-kubelet-client", "ca", "kube-apiserver-kubelet-client",
         ("kubeadm:cluster-admins",), (cli,), "2090-01-01 00:12:00"),
        ("front-proxy-client", "front-proxy-ca", "front-proxy-client", (), (cli,),
         "2090-12-31 23:36:00"),
        ("apiserver-etcd-client", "etcd-ca", "kube-apiserver-etcd-client", (), (cli,),
         "2090-01-01 05:00:00"),
        ("etcd/server", "etcd-ca", "node1", (), (srv, cli), "2090-12-31 23:36:00"),
        ("etcd/peer", "etcd-ca", "node1", (), (srv, cli), "2092-03-01 00:00:00"),
        ("etcd/healthcheck-client", "etcd-ca", "kube-etcd-healthcheck-client", (), (cli,),
         "2089-12-31 23:00:00"),
    )
    for path, ca, cn, orgs, eku, end in leaves:
        cac, cak = cas[ca]
        k = ecdsa()
        c = cert(name(cn, orgs), k, cac.subject, cak, t(end), eku=eku)
        write(os.path.join(pki, path + ".crt"), pem_cert(c))
    cac, cak = cas["ca"]
    kcs = (
        ("admin.conf", "kubernetes-admin", ("kubeadm:cluster-admins",), "2090-12-31 23:36:00",
         "https://cp.example:6443"),
        ("super-admin.conf", "kubernetes-super-admin", ("system:masters",),
         "2090-12-31 23:36:00", "https://cp.example:6443"),
        ("controller-manager.conf", "system:kube-controller-manager", (),
         "2090-01-01 00:00:45", "https://192.0.2.10:6443"),
        ("scheduler.conf", "system:kube-scheduler", (), "2090-12-31 23:36:00",
         "https://192.0.2.10:6443"),
        ("kubelet.conf", "system:node:node1", ("system:nodes",), "2090-12-31 23:36:00",
         "https://cp.example:6443"),
    )
    for fname, cn, orgs, end, server in kcs:
        k = ecdsa()
        c = cert(name(cn, orgs), k, cac.subject, cak, t(end), eku=(cli,))
        write(os.path.join(kcd, fname), kubeconfig("kubernetes", cn, server, pem_cert(cac),
                                                   pem_cert(c), pem_key(k)), 0o600)
    # kubelet.conf after TLS bootstrap: the certificate in a file beside it
    k = ecdsa()
    c = cert(name("system:node:node1", ("system:nodes",)), k, cac.subject, cak,
             t("2090-03-01 00:00:00"), eku=(cli,))
    write(os.path.join(base, "kubelet-ref", "kubelet-client-current.pem"),
          pem_cert(c) + pem_key(k), 0o600)
    write(os.path.join(base, "kubelet-ref", "kubelet.conf"), f"""apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: {b64(pem_cert(cac))}
    server: https://cp.example:6443
  name: default-cluster
contexts:
- context:
    cluster: default-cluster
    namespace: default
    user: default-auth
  name: default-context
current-context: default-context
kind: Config
preferences: {{}}
users:
- name: default-auth
  user:
    client-certificate: kubelet-client-current.pem
    client-key: kubelet-client-current.pem
""", 0o600)
    return cas


def dump_fixtures(cas):
    good = os.path.join(REPORT, "good", "dump")
    bad = os.path.join(REPORT, "bad", "dump")
    cac, cak = cas["ca"]
    rk = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    c = cert(name("kube-apiserver"), rk, cac.subject, cak, t("2090-06-30 12:00:00"),
             eku=(ExtendedKeyUsageOID.SERVER_AUTH,),
             dns=("kubernetes", "kubernetes.default"), ips=("10.96.0.1", "2001:db8::1"),
             serial=0x1a2b3c4d5e6f)
    write(os.path.join(good, "apiserver.crt"), pem_cert(c))
    write(os.path.join(good, "apiserver.der"), c.public_bytes(serialization.Encoding.DER))
    write(os.path.join(good, "rsa.key"), pem_key(rk), 0o600)
    write(os.path.join(good, "chain.pem"), pem_cert(c) + pem_cert(cac))
    ek = ecdsa()
    write(os.path.join(good, "ec.key"), pem_key(ek), 0o600)
    edk = ed25519.Ed25519PrivateKey.generate()
    write(os.path.join(good, "ed25519.key"), pem_key(edk), 0o600)
    csr = (x509.CertificateSigningRequestBuilder()
           .subject_name(name("system:node:node1", ("system:nodes",)))
           .add_extension(x509.SubjectAlternativeName([x509.DNSName("node1")]), critical=False)
           .sign(ek, hashes.SHA256()))
    write(os.path.join(good, "node1.csr"), csr.public_bytes(serialization.Encoding.PEM))
    write(os.path.join(good, "node1.csr.der"), csr.public_bytes(serialization.Encoding.DER))
    # a hostile subject: an ANSI escape sequence in the CN
    evil = cert(name("evil\x1b[31mred"), ek, cac.subject, cak, t("2090-06-30 12:00:00"),
                eku=(ExtendedKeyUsageOID.CLIENT_AUTH,))
    write(os.path.join(good, "evil-cn.crt"), pem_cert(evil))
    write(os.path.join(bad, "garbage.bin"), bytes(range(0, 256)) * 2)
    write(os.path.join(bad, "empty"), b"")
    write(os.path.join(bad, "notes.txt"), "just some notes\nnothing to see\n")
    write(os.path.join(bad, "bundle.yaml"), "kpki-bundle: 1\nentries: []\n")
    pem = pem_cert(c)
    write(os.path.join(bad, "truncated.crt"), pem[: len(pem) // 2])
    write(os.path.join(bad, "encrypted.key"), ek.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret")), 0o600)


def kubeconfig_fixtures(cas):
    good = os.path.join(KC, "good")
    bad = os.path.join(KC, "bad")
    shutil.rmtree(KC, ignore_errors=True)
    cac, cak = cas["ca"]
    k = ecdsa()
    c = cert(name("kubernetes-admin", ("kubeadm:cluster-admins",)), k, cac.subject, cak,
             t("2090-12-31 23:36:00"), eku=(ExtendedKeyUsageOID.CLIENT_AUTH,))
    ca_pem, cert_pem, key_pem = pem_cert(cac), pem_cert(c), pem_key(k)
    admin = kubeconfig("kubernetes", "kubernetes-admin", "https://cp.example:6443",
                       ca_pem, cert_pem, key_pem)
    write(os.path.join(good, "admin.conf"), admin, 0o600)
    write(os.path.join(good, "admin-key.pem"), key_pem, 0o600)
    write(os.path.join(good, "admin-cert.pem"), cert_pem)
    write(os.path.join(good, "admin-ca.pem"), ca_pem)
    # several entries, the current ones last, unknown keys everywhere
    write(os.path.join(good, "multi.conf"), f"""apiVersion: v1
kind: Config
preferences:
  colors: true
extensions:
- name: x
  extension: {{a: 1}}
clusters:
- name: other
  cluster:
    server: https://other.example
    insecure-skip-tls-verify: true
- name: prod
  cluster:
    server: https://prod.example:443
    certificate-authority: /etc/ssl/prod-ca.crt
    tls-server-name: prod
contexts:
- name: other
  context: {{cluster: other, user: other}}
- name: prod-admin
  context:
    cluster: prod
    user: admin
    namespace: kube-system
current-context: prod-admin
users:
- name: other
  user:
    token: abc
- name: admin
  user:
    client-certificate: certs/admin.crt
    client-key: certs/admin.key
    client-certificate-data: |
{chr(10).join('      ' + l for l in [b64(cert_pem)[i:i + 76] for i in range(0, len(b64(cert_pem)), 76)])}
""")
    # kubeadm certs generate-csr: server and names, only the key
    write(os.path.join(good, "partial.conf"), f"""apiVersion: v1
clusters:
- cluster:
    server: https://cp.example:6443
  name: kubernetes
contexts:
- context:
    cluster: kubernetes
    user: kubernetes-admin
  name: kubernetes-admin@kubernetes
current-context: kubernetes-admin@kubernetes
kind: Config
users:
- name: kubernetes-admin
  user:
    client-key-data: {b64(key_pem)}
""", 0o600)

    def mutate(fname, old, new, count=1):
        assert old in admin, old
        write(os.path.join(bad, fname), admin.replace(old, new, count))

    mutate("bad-b64-cert.conf", "client-certificate-data: " + b64(cert_pem)[:8],
           "client-certificate-data: " + b64(cert_pem)[:4] + "!!!!")
    mutate("bad-b64-key.conf", "client-key-data: " + b64(key_pem),
           "client-key-data: " + b64(key_pem)[:-1])
    mutate("bad-b64-ca.conf", "certificate-authority-data: " + b64(ca_pem)[:8],
           "certificate-authority-data: " + b64(ca_pem)[:4] + "a=bc")
    mutate("no-current-context.conf", "current-context: kubernetes-admin@kubernetes\n", "")
    mutate("empty-current-context.conf", "current-context: kubernetes-admin@kubernetes",
           "current-context: \"\"")
    mutate("missing-context.conf", "current-context: kubernetes-admin@kubernetes",
           "current-context: nobody@kubernetes")
    mutate("dangling-cluster.conf", "    cluster: kubernetes\n", "    cluster: elsewhere\n")
    mutate("dangling-user.conf", "    user: kubernetes-admin\n", "    user: someone\n")
    mutate("context-no-user.conf", "    user: kubernetes-admin\n", "")
    mutate("wrong-kind.conf", "kind: Config", "kind: Pod")
    mutate("wrong-api.conf", "apiVersion: v1", "apiVersion: v2")
    mutate("duplicate-user.conf", "users:\n", "users:\n- name: kubernetes-admin\n  user: {}\n")
    mutate("users-not-list.conf", "users:\n- name: kubernetes-admin\n  user:\n",
           "users:\n  kubernetes-admin:\n")
    mutate("control-char.conf", "server: https://cp.example:6443",
           "server: \"https://cp.example:6443\\e[31m\"")
    mutate("two-docs.conf", "kind: Config", "kind: Config\n---\nkind: Config")
    write(os.path.join(bad, "truncated.conf"), admin[: len(admin) // 3])
    write(os.path.join(bad, "unterminated.conf"), admin.replace(
        "current-context: kubernetes-admin@kubernetes\n", "current-context: \"kubernetes-admin\n"))
    write(os.path.join(bad, "not-mapping.conf"), "- a\n- b\n")
    write(os.path.join(bad, "empty.conf"), "")
    write(os.path.join(bad, "alias-bomb.conf"),
          'a: &a ["x","x","x","x","x","x","x","x","x"]\n'
          'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n'
          'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n'
          'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n'
          'current-context: x\n')
    write(os.path.join(bad, "deep.conf"), "current-context: x\nusers: " + "[" * 100 + "]" * 100 + "\n")


# What `kubeadm certs check-expiration` prints for the good tree at NOW,
# written out with plain padding (Go's tabwriter: widest cell + 3, at least
# 10) so that the C tabwriter is checked against an independent layout.
NOW = t("2090-01-01 00:00:00")
ROWS = (  # name, NotAfter, CA
    ("admin.conf", "2090-12-31 23:36:00", "ca"),
    ("apiserver", "2090-06-30 12:00:00", "ca"),
    ("apiserver-etcd-client", "2090-01-01 05:00:00", "etcd-ca"),
    ("apiserver-kubelet-client", "2090-01-01 00:12:00", "ca"),
    ("controller-manager.conf", "2090-01-01 00:00:45", "ca"),
    ("etcd-healthcheck-client", "2089-12-31 23:00:00", "etcd-ca"),
    ("etcd-peer", "2092-03-01 00:00:00", "etcd-ca"),
    ("etcd-server", "2090-12-31 23:36:00", "etcd-ca"),
    ("front-proxy-client", "2090-12-31 23:36:00", "front-proxy-ca"),
    ("scheduler.conf", "2090-12-31 23:36:00", "ca"),
    ("super-admin.conf", "2090-12-31 23:36:00", "ca"),
)
CAS = (("ca", "2099-12-28 23:36:00"), ("etcd-ca", "2099-06-30 10:00:00"),
       ("front-proxy-ca", "2099-12-28 23:36:00"))


def short(s):
    if s < -1:
        return "<invalid>"
    if s < 0:
        return "0s"
    if s < 60:
        return f"{s}s"
    if s // 60 < 60:
        return f"{s // 60}m"
    h = s // 3600
    if h < 24:
        return f"{h}h"
    if h < 24 * 365:
        return f"{h // 24}d"
    return f"{h // 24 // 365}y"


def table(lines):
    """lines: lists of cells; the last cell of each is not a column."""
    ncol = max(len(l) for l in lines) - 1
    w = [max(10, max(len(l[i]) for l in lines) + 3) for i in range(ncol)]
    return "".join("".join(c.ljust(w[i]) for i, c in enumerate(l[:-1])) + l[-1] + "\n"
                   for l in lines)


def expected():
    import json
    out = os.path.join(REPORT, "good", "expected")
    os.makedirs(out, exist_ok=True)
    certs, cas = [], []
    for nm, end, ca in ROWS:
        na = t(end)
        certs.append({"name": nm, "expirationDate": na.strftime("%Y-%m-%dT%H:%M:%SZ"),
                      "residualTime": int((na - NOW).total_seconds()),
                      "externallyManaged": False, "caName": ca, "missing": False})
    for nm, end in CAS:
        na = t(end)
        cas.append({"name": nm, "expirationDate": na.strftime("%Y-%m-%dT%H:%M:%SZ"),
                    "residualTime": int((na - NOW).total_seconds()),
                    "externallyManaged": False, "missing": False})

    def date(c):
        return dt.datetime.strptime(c["expirationDate"], "%Y-%m-%dT%H:%M:%SZ").strftime(
            "%b %d, %Y %H:%M UTC")
    t1 = [["CERTIFICATE", "EXPIRES", "RESIDUAL TIME", "CERTIFICATE AUTHORITY",
           "EXTERNALLY MANAGED"]]
    t1 += [[c["name"], date(c), short(c["residualTime"]), c["caName"], "no".ljust(8)]
           for c in certs]
    t2 = [["CERTIFICATE AUTHORITY", "EXPIRES", "RESIDUAL TIME", "EXTERNALLY MANAGED"]]
    t2 += [[c["name"], date(c), short(c["residualTime"]), "no".ljust(8)] for c in cas]
    write(os.path.join(out, "report.txt"), table(t1) + "\n" + table(t2))
    doc = {"kind": "CertificateExpirationInfo",
           "apiVersion": "output.kubeadm.k8s.io/v1alpha3",
           "certificates": certs, "certificateAuthorities": cas}
    write(os.path.join(out, "report.json"), json.dumps(doc, indent=4) + "\n")
    y = ["apiVersion: output.kubeadm.k8s.io/v1alpha3"]
    for key, rows in (("certificateAuthorities", cas), ("certificates", certs)):
        y.append(key + ":")
        for r in rows:
            lead = "- "
            for k in sorted(r):
                v = r[k]
                if k == "expirationDate":
                    v = '"' + v + '"'
                elif isinstance(v, bool):
                    v = "true" if v else "false"
                y.append(f"{lead}{k}: {v}")
                lead = "  "
    y.append("kind: CertificateExpirationInfo")
    write(os.path.join(out, "report.yaml"), "\n".join(y) + "\n")


def main():
    import sys
    if sys.argv[1:] == ["expected"]:
        expected()
        return
    cas = report_tree()
    dump_fixtures(cas)
    kubeconfig_fixtures(cas)
    expected()


if __name__ == "__main__":
    main()
