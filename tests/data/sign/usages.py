#!/usr/bin/python3
"""usages.py CERT CA EKU[,EKU] SANS - what python3-cryptography reads in an
issued certificate, checked against the profile, independently of libpki.

EKU names: server, client. SANS: "none" or "some". Exit 0 when the
certificate is exactly as the profile says; 1 with the reason otherwise.
"""
import sys

from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID, ExtensionOID


def fail(msg):
    print("usages.py: %s: %s" % (sys.argv[1], msg))
    sys.exit(1)


def main():
    cert = x509.load_pem_x509_certificate(open(sys.argv[1], "rb").read())
    ca = x509.load_pem_x509_certificate(open(sys.argv[2], "rb").read())
    want_eku = {"server": ExtendedKeyUsageOID.SERVER_AUTH,
                "client": ExtendedKeyUsageOID.CLIENT_AUTH}
    eku_want = {want_eku[n] for n in sys.argv[3].split(",")}

    if cert.version != x509.Version.v3:
        fail("not version 3")
    if cert.serial_number <= 0:
        fail("serial not positive")
    ku = cert.extensions.get_extension_for_class(x509.KeyUsage)
    if not ku.critical:
        fail("keyUsage not critical")
    v = ku.value
    if not (v.digital_signature and v.key_encipherment) or v.content_commitment or \
            v.data_encipherment or v.key_agreement or v.key_cert_sign or v.crl_sign:
        fail("keyUsage is not digitalSignature, keyEncipherment")
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    if set(eku.value) != eku_want or len(list(eku.value)) != len(eku_want):
        fail("extKeyUsage %s, not %s" % (list(eku.value), eku_want))
    bc = cert.extensions.get_extension_for_class(x509.BasicConstraints)
    if not bc.critical or bc.value.ca or bc.value.path_length is not None:
        fail("basicConstraints is not critical CA:FALSE")
    ski = cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    if ski.value.digest != x509.SubjectKeyIdentifier.from_public_key(
            cert.public_key()).digest:
        fail("subjectKeyIdentifier is not SHA-1 of the key (RFC 5280 4.2.1.2 method 1)")
    aki = cert.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    ca_ski = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    if aki.value.key_identifier != ca_ski.value.digest:
        fail("authorityKeyIdentifier is not the CA's subjectKeyIdentifier")
    if cert.issuer != ca.subject:
        fail("issuer is not the CA's subject")
    want = {ExtensionOID.KEY_USAGE, ExtensionOID.EXTENDED_KEY_USAGE,
            ExtensionOID.BASIC_CONSTRAINTS, ExtensionOID.SUBJECT_KEY_IDENTIFIER,
            ExtensionOID.AUTHORITY_KEY_IDENTIFIER}
    if sys.argv[4] == "some":
        want.add(ExtensionOID.SUBJECT_ALTERNATIVE_NAME)
    got = {e.oid for e in cert.extensions}
    if got != want:
        fail("extensions %s, not %s" % (sorted(o.dotted_string for o in got),
                                        sorted(o.dotted_string for o in want)))
    if cert.not_valid_after > ca.not_valid_after:
        fail("valid past its CA")


main()
