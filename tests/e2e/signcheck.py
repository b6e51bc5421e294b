#!/usr/bin/python3
"""signcheck.py SIGNED-BUNDLE OUTDIR — splits a signed bundle into PEM files
(OUTDIR/<entry>.crt, OUTDIR/ca-N.crt) and checks every certificate's usages
against kubeadm's, written out here by hand from the reference (not from
kpki's templates): key usage digitalSignature+keyEncipherment (critical),
the extended key usages below, CA:FALSE (critical), no SANs on clients."""
import os
import sys

import yaml
from cryptography import x509
from cryptography.x509.oid import ExtendedKeyUsageOID as E

SERVER, CLIENT = E.SERVER_AUTH, E.CLIENT_AUTH
WANT = {
    "apiserver": ({SERVER}, True),
    "apiserver-kubelet-client": ({CLIENT}, False),
    "front-proxy-client": ({CLIENT}, False),
    "apiserver-etcd-client": ({CLIENT}, False),
    "etcd-server": ({SERVER, CLIENT}, True),
    "etcd-peer": ({SERVER, CLIENT}, True),
    "etcd-healthcheck-client": ({CLIENT}, False),
    "admin.conf": ({CLIENT}, False),
    "super-admin.conf": ({CLIENT}, False),
    "controller-manager.conf": ({CLIENT}, False),
    "scheduler.conf": ({CLIENT}, False),
    "kubelet.conf": ({CLIENT}, False),
}

doc = yaml.safe_load(open(sys.argv[1]))
out = sys.argv[2]
os.makedirs(out, exist_ok=True)
for i, pem in enumerate(doc["ca-certificates"]):
    open(os.path.join(out, "ca-%d.crt" % i), "w").write(pem)
for e in doc["entries"]:
    name = e["name"]
    pem = e["certificate"]
    open(os.path.join(out, name + ".crt"), "w").write(pem)
    c = x509.load_pem_x509_certificate(pem.encode())
    ku = c.extensions.get_extension_for_class(x509.KeyUsage)
    assert ku.critical, name
    v = ku.value
    assert v.digital_signature and v.key_encipherment, name
    assert not (v.key_cert_sign or v.crl_sign or v.content_commitment or v.data_encipherment
                or v.key_agreement), name
    eku = set(c.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value)
    want_eku, has_sans = WANT[name]
    assert eku == want_eku, (name, eku)
    bc = c.extensions.get_extension_for_class(x509.BasicConstraints)
    assert bc.critical and not bc.value.ca, name
    try:
        c.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        assert has_sans, name + " carries SANs"
    except x509.ExtensionNotFound:
        assert not has_sans, name + " lacks SANs"
    c.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    c.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier)
    assert c.serial_number > 0 and c.serial_number.bit_length() >= 64, name
    print(name, "ok")
