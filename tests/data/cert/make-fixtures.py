#!/usr/bin/env python3
"""Makes the key, certificate and CSR fixtures of tests/data/{key,cert,csr}.

Run from the repository root: python3 tests/data/cert/make-fixtures.py
Needs python3-cryptography and openssl. Keys are fresh on every run: the
tests assert only what this script fixes (names, serials, dates, key
identifiers, SANs); the SHA-256 fingerprints asserted in tests/check_cert.c
and tests/check_csr.c must be updated after a regeneration (the script
prints them).
"""
import datetime
import hashlib
import ipaddress
import os
import subprocess
import tempfile

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa, dsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ROOT = os.path.join("tests", "data")
PEM, DER = serialization.Encoding.PEM, serialization.Encoding.DER
NOENC = serialization.NoEncryption()
UTC = datetime.timezone.utc


def put(rel, data, mode=0o644):
    path = os.path.join(ROOT, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    os.chmod(path, mode)


def pkcs1(k, enc=PEM):
    return k.private_bytes(enc, serialization.PrivateFormat.TraditionalOpenSSL, NOENC)


def pkcs8(k, enc=PEM):
    return k.private_bytes(enc, serialization.PrivateFormat.PKCS8, NOENC)


def name(cn=None, orgs=()):
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, o) for o in orgs]
    if cn is not None:
        attrs.append(x509.NameAttribute(NameOID.COMMON_NAME, cn))
    return x509.Name(attrs)


def t(s):
    return datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def flip(data, off, bit=0x01):
    b = bytearray(data)
    b[off] ^= bit
    return bytes(b)


def der_to_pem(der, label):
    import base64
    b = base64.b64encode(der).decode()
    lines = [b[i:i + 64] for i in range(0, len(b), 64)]
    return ("-----BEGIN %s-----\n%s\n-----END %s-----\n" % (label, "\n".join(lines), label)).encode()


# ---- keys ------------------------------------------------------------------
rsa2048 = rsa.generate_private_key(65537, 2048)
rsa1024 = rsa.generate_private_key(65537, 1024)
p256 = ec.generate_private_key(ec.SECP256R1())
p384 = ec.generate_private_key(ec.SECP384R1())
k1 = ec.generate_private_key(ec.SECP256K1())
ed = ed25519.Ed25519PrivateKey.generate()
dsakey = dsa.generate_private_key(2048)

put("key/good/rsa2048.pem", pkcs1(rsa2048), 0o600)
put("key/good/rsa2048-pkcs8.pem", pkcs8(rsa2048), 0o600)
put("key/good/rsa2048.der", pkcs1(rsa2048, DER), 0o600)
put("key/good/rsa1024.pem", pkcs1(rsa1024), 0o600)
put("key/good/ec-p256.pem", pkcs1(p256), 0o600)
put("key/good/ec-p256-pkcs8.pem", pkcs8(p256), 0o600)
put("key/good/ec-p256-pkcs8.der", pkcs8(p256, DER), 0o600)
put("key/good/ec-p384.pem", pkcs1(p384), 0o600)
put("key/good/ed25519.pem", pkcs8(ed), 0o600)

put("key/bad/encrypted-pkcs8.pem", p256.private_bytes(PEM, serialization.PrivateFormat.PKCS8,
    serialization.BestAvailableEncryption(b"secret")))
put("key/bad/encrypted-pkcs8.der", p256.private_bytes(DER, serialization.PrivateFormat.PKCS8,
    serialization.BestAvailableEncryption(b"secret")))
legacy = subprocess.run(["openssl", "ec", "-aes128", "-passout", "pass:secret"],
                        input=pkcs1(p256), capture_output=True, check=True).stdout
put("key/bad/encrypted-legacy.pem", legacy)
put("key/bad/pubkey.pem", p256.public_key().public_bytes(PEM,
    serialization.PublicFormat.SubjectPublicKeyInfo))
put("key/bad/garbage.txt", b"this is not a key\n")
put("key/bad/empty.pem", b"")
put("key/bad/no-end.pem", pkcs1(p256).split(b"-----END")[0])
body = pkcs1(p256).decode().splitlines()
put("key/bad/truncated-body.pem", ("\n".join(body[:2] + body[-1:]) + "\n").encode())
put("key/bad/truncated.der", pkcs1(rsa2048, DER)[:300])
put("key/bad/bad-base64.pem", b"-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI*==\n-----END EC PRIVATE KEY-----\n")
put("key/bad/label-mismatch.pem", pkcs1(p256).replace(b"EC PRIVATE KEY", b"RSA PRIVATE KEY"))
put("key/bad/dsa.pem", pkcs1(dsakey))
put("key/bad/openssh.pem", ed.private_bytes(PEM, serialization.PrivateFormat.OpenSSH, NOENC))
put("key/bad/secp256k1.pem", pkcs1(k1))
# the modulus starts at byte 11 of this PKCS#1 DER: flip one of its bits
rsa_der = pkcs1(rsa2048, DER)
put("key/bad/rsa-inconsistent.pem", der_to_pem(flip(rsa_der, 40), "RSA PRIVATE KEY"))

# ---- certificates ----------------------------------------------------------
ca_ski = bytes.fromhex("0102030405060708090a0b0c0d0e0f1011121314")
leaf_ski = bytes.fromhex("a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4")
ca = (x509.CertificateBuilder()
      .subject_name(name("kubernetes")).issuer_name(name("kubernetes"))
      .public_key(p256.public_key()).serial_number(0x01)
      .not_valid_before(t("2024-01-01T00:00:00Z")).not_valid_after(t("2034-01-01T00:00:00Z"))
      .add_extension(x509.KeyUsage(True, False, True, False, False, True, False, False, False), True)
      .add_extension(x509.BasicConstraints(True, None), True)
      .add_extension(x509.SubjectKeyIdentifier(ca_ski), False)
      .add_extension(x509.SubjectAlternativeName([x509.DNSName("kubernetes")]), False)
      .sign(p256, hashes.SHA256()))

leaf_key = p384
leaf = (x509.CertificateBuilder()
        .subject_name(name("kube-apiserver", ("org-a", "org-b")))
        .issuer_name(ca.subject)
        .public_key(leaf_key.public_key()).serial_number(0x0123456789abcdef)
        .not_valid_before(t("2025-01-02T03:04:05Z")).not_valid_after(t("2026-01-02T03:04:05Z"))
        .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH,
                                              ExtendedKeyUsageOID.CLIENT_AUTH]), False)
        .add_extension(x509.BasicConstraints(False, None), True)
        .add_extension(x509.SubjectKeyIdentifier(leaf_ski), False)
        .add_extension(x509.AuthorityKeyIdentifier(ca_ski, None, None), False)
        .add_extension(x509.SubjectAlternativeName([
            x509.DNSName("kubernetes"),
            x509.DNSName("kubernetes.default.svc.cluster.local"),
            x509.IPAddress(ipaddress.ip_address("10.96.0.1")),
            x509.IPAddress(ipaddress.ip_address("2001:db8:0:0:0:0:0:1")),
            x509.RFC822Name("admin@example.com"),
            x509.UniformResourceIdentifier("https://example.com/x"),
        ]), False)
        .sign(p256, hashes.SHA256()))

rsa_ca = (x509.CertificateBuilder()
          .subject_name(name("rsa-ca")).issuer_name(name("rsa-ca"))
          .public_key(rsa2048.public_key()).serial_number(0x7f)
          .not_valid_before(t("2024-01-01T00:00:00Z")).not_valid_after(t("2025-01-01T00:00:00Z"))
          .add_extension(x509.BasicConstraints(True, 2), True)
          .sign(rsa2048, hashes.SHA256()))

ed_cert = (x509.CertificateBuilder()
           .subject_name(name("ed")).issuer_name(name("ed"))
           .public_key(ed.public_key()).serial_number(5)
           .not_valid_before(t("2024-01-01T00:00:00Z")).not_valid_after(t("2025-01-01T00:00:00Z"))
           .sign(ed, None))

# a leaf that is not a CA, used as an issuer
notca_leaf = (x509.CertificateBuilder()
              .subject_name(name("victim")).issuer_name(leaf.subject)
              .public_key(rsa1024.public_key()).serial_number(9)
              .not_valid_before(t("2024-01-01T00:00:00Z")).not_valid_after(t("2025-01-01T00:00:00Z"))
              .sign(leaf_key, hashes.SHA256()))

k1_cert = (x509.CertificateBuilder()
           .subject_name(name("k1")).issuer_name(ca.subject)
           .public_key(k1.public_key()).serial_number(11)
           .not_valid_before(t("2024-01-01T00:00:00Z")).not_valid_after(t("2025-01-01T00:00:00Z"))
           .sign(p256, hashes.SHA256()))

# a version 1 CA made by openssl, and a leaf it signs
with tempfile.TemporaryDirectory() as tmp:
    kf = os.path.join(tmp, "k.pem")
    with open(kf, "wb") as f:
        f.write(pkcs1(p256))
    v1req = subprocess.run(["openssl", "req", "-new", "-key", kf, "-subj", "/CN=v1-ca"],
                           capture_output=True, check=True).stdout
    v1_pem = subprocess.run(["openssl", "x509", "-req", "-signkey", kf, "-days", "3650",
                             "-set_serial", "3"], input=v1req, capture_output=True,
                            check=True).stdout
v1 = x509.load_pem_x509_certificate(v1_pem)
assert v1.version == x509.Version.v1
v1_leaf = (x509.CertificateBuilder()
           .subject_name(name("v1-leaf")).issuer_name(v1.subject)
           .public_key(ed.public_key()).serial_number(12)
           .not_valid_before(t("2024-01-01T00:00:00Z")).not_valid_after(t("2025-01-01T00:00:00Z"))
           .sign(p256, hashes.SHA256()))

def cpem(c):
    return c.public_bytes(PEM)


def cder(c):
    return c.public_bytes(DER)


put("cert/good/ca.pem", cpem(ca))
put("cert/good/leaf.pem", cpem(leaf))
put("cert/good/leaf.der", cder(leaf))
put("cert/good/leaf.key", pkcs1(leaf_key), 0o600)
put("cert/good/chain.pem", b"leaf first, then its CA\n" + cpem(leaf) + b"\nsome text\n" + cpem(ca) + b"trailer\n")
put("cert/good/chain3.pem", cpem(leaf) + cpem(ca) + cpem(rsa_ca))
put("cert/good/rsa-ca.pem", cpem(rsa_ca))
put("cert/good/ed25519.pem", cpem(ed_cert))
put("cert/good/v1-ca.pem", v1_pem)
put("cert/good/v1-leaf.pem", cpem(v1_leaf))
put("cert/good/secp256k1.pem", cpem(k1_cert))
put("cert/good/key-then-cert.pem", pkcs1(p256) + cpem(ca))

ld = cder(leaf)
put("cert/bad/tampered-sig.pem", der_to_pem(flip(ld, len(ld) - 3), "CERTIFICATE"))
put("cert/bad/issued-by-leaf.pem", cpem(notca_leaf))
# a CA whose key usage leaves out keyCertSign, self-signed
nosign_key = ec.generate_private_key(ec.SECP256R1())
nosign = (x509.CertificateBuilder()
          .subject_name(name("no-cert-sign")).issuer_name(name("no-cert-sign"))
          .public_key(nosign_key.public_key()).serial_number(15)
          .not_valid_before(t("2024-01-01T00:00:00Z")).not_valid_after(t("2025-01-01T00:00:00Z"))
          .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), True)
          .add_extension(x509.BasicConstraints(True, None), True)
          .sign(nosign_key, hashes.SHA256()))
put("cert/bad/ca-without-cert-sign.pem", cpem(nosign))
put("cert/bad/garbage.txt", b"\x00\x01 not a certificate\n")
put("cert/bad/empty.pem", b"")
put("cert/bad/key.pem", pkcs1(p256), 0o600)
put("cert/bad/truncated.der", ld[:len(ld) // 2])
put("cert/bad/truncated.pem", cpem(leaf)[:200])
put("cert/bad/trailing.der", ld + b"\x00\x00")
put("cert/bad/bad-base64.pem", cpem(leaf).replace(b"\n", b"\n!", 1))
put("cert/bad/bad-begin.pem", b"-----BEGIN CERTIFICATE\nMIIB\n-----END CERTIFICATE-----\n")
put("cert/bad/headers.pem", cpem(leaf).replace(b"-----\n", b"-----\nProc-Type: 4,ENCRYPTED\n\n", 1))
# the signature algorithm inside the TBSCertificate changed to SHA-384
i = ld.find(bytes.fromhex("06082a8648ce3d040302"))
put("cert/bad/sigalg-mismatch.der", ld[:i + 9] + b"\x03" + ld[i + 10:])
# CN "kube\0apiserver" in place of "kube-apiserver"
put("cert/bad/nul-cn.der", ld.replace(b"kube-apiserver", b"kube\x00apiserver"))
# the AKI's OID rewritten to the SKI's: two subjectKeyIdentifier extensions
put("cert/bad/dup-ext.der", ld.replace(bytes.fromhex("0603551d23"), bytes.fromhex("0603551d0e")))
# a URI SAN of 5 bytes retagged as an IP address SAN
odd = (x509.CertificateBuilder()
       .subject_name(name("odd")).issuer_name(ca.subject)
       .public_key(p256.public_key()).serial_number(13)
       .not_valid_before(t("2024-01-01T00:00:00Z")).not_valid_after(t("2025-01-01T00:00:00Z"))
       .add_extension(x509.SubjectAlternativeName([x509.UniformResourceIdentifier("abcde")]), False)
       .sign(p256, hashes.SHA256()))
put("cert/bad/ip-5-bytes.der", cder(odd).replace(b"\x86\x05abcde", b"\x87\x05abcde"))
many = (x509.CertificateBuilder()
        .subject_name(name("many")).issuer_name(ca.subject)
        .public_key(p256.public_key()).serial_number(14)
        .not_valid_before(t("2024-01-01T00:00:00Z")).not_valid_after(t("2025-01-01T00:00:00Z"))
        .add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("n%d.example" % i) for i in range(1100)]), False)
        .sign(p256, hashes.SHA256()))
put("cert/bad/many-sans.pem", cpem(many))

# ---- CSRs --------------------------------------------------------------------
csr = (x509.CertificateSigningRequestBuilder()
       .subject_name(name("system:node:worker-1", ("system:nodes",)))
       .add_extension(x509.SubjectAlternativeName([
           x509.DNSName("worker-1"), x509.IPAddress(ipaddress.ip_address("192.168.1.10"))]), False)
       .add_extension(x509.KeyUsage(True, False, True, False, False, False, False, False, False), True)
       .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), False)
       .add_extension(x509.BasicConstraints(False, None), True)
       .sign(p256, hashes.SHA256()))
csr_rsa = (x509.CertificateSigningRequestBuilder()
           .subject_name(name("rsa-client")).sign(rsa2048, hashes.SHA256()))
csr_ed = (x509.CertificateSigningRequestBuilder()
          .subject_name(name("ed-client")).sign(ed, None))
csr_k1 = (x509.CertificateSigningRequestBuilder()
          .subject_name(name("k1-client")).sign(k1, hashes.SHA256()))
csr_rsa1024 = (x509.CertificateSigningRequestBuilder()
               .subject_name(name("weak")).sign(rsa1024, hashes.SHA256()))

put("csr/good/node.pem", csr.public_bytes(PEM))
put("csr/good/node.key", pkcs1(p256), 0o600)
put("csr/good/rsa.der", csr_rsa.public_bytes(DER))
put("csr/good/new-label.pem", csr_rsa.public_bytes(PEM).replace(b"CERTIFICATE REQUEST", b"NEW CERTIFICATE REQUEST"))
put("csr/good/ed25519.pem", csr_ed.public_bytes(PEM))
put("csr/good/secp256k1.pem", csr_k1.public_bytes(PEM))
put("csr/good/rsa1024.pem", csr_rsa1024.public_bytes(PEM))

cd = csr.public_bytes(DER)
put("csr/bad/tampered-sig.pem", der_to_pem(flip(cd, len(cd) - 3), "CERTIFICATE REQUEST"))
put("csr/bad/tampered-subject.pem", der_to_pem(cd.replace(b"worker-1", b"worker-2", 1), "CERTIFICATE REQUEST"))
put("csr/bad/cert.pem", cpem(leaf))
put("csr/bad/key.pem", pkcs1(p256), 0o600)
put("csr/bad/garbage.txt", b"GET / HTTP/1.0\r\n\r\n")
put("csr/bad/empty.pem", b"")
put("csr/bad/truncated.der", cd[:len(cd) - 10])
put("csr/bad/truncated.pem", csr.public_bytes(PEM)[:150])
put("csr/bad/trailing.der", cd + b"\x30\x00")
put("csr/bad/bad-base64.pem", csr.public_bytes(PEM).replace(b"\n", b"\n%%", 1))
put("csr/bad/cert.der", ld)

for rel in ("cert/good/leaf.der", "cert/good/ca.pem", "csr/good/node.pem"):
    with open(os.path.join(ROOT, rel), "rb") as f:
        data = f.read()
    if rel.endswith(".pem"):
        data = (x509.load_pem_x509_certificate(data).public_bytes(DER) if "cert/" in rel
                else x509.load_pem_x509_csr(data).public_bytes(DER))
    print(rel, hashlib.sha256(data).hexdigest())
