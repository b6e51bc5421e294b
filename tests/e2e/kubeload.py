#!/usr/bin/python3
"""kubeload.py CA-CRT [--call] KUBECONFIG... — loads each kubeconfig with the
python3 kubernetes client (kubernetes.config.load_kube_config) and checks
that the configuration it loaded is what the file says: the server URL, and
the CA, client certificate and key files holding the file's data (embedded,
or the files it names); the CA must be CA-CRT byte for byte. With --call,
also asks the server for /version through the client (VersionApi). Prints
"<file> ok <host> <git-version>" per file; any mismatch raises."""
import base64
import os
import sys

import yaml
from kubernetes import client, config

ca_crt = open(sys.argv[1], "rb").read()
files = sys.argv[2:]
call = False
if files and files[0] == "--call":
    call = True
    files = files[1:]
assert files, "no kubeconfig given"


def wanted(section, key, base):
    """the bytes the kubeconfig gives for key: embedded data or a file"""
    if key + "-data" in section:
        return base64.b64decode(section[key + "-data"])
    path = section[key]
    return open(os.path.join(base, path), "rb").read()


def content(path):
    assert path and os.path.isfile(path), path
    return open(path, "rb").read()


for f in files:
    cfg = client.Configuration()
    config.load_kube_config(config_file=f, client_configuration=cfg)
    doc = yaml.safe_load(open(f))
    base = os.path.dirname(os.path.abspath(f))
    ctx = next(c["context"] for c in doc["contexts"] if c["name"] == doc["current-context"])
    cluster = next(c["cluster"] for c in doc["clusters"] if c["name"] == ctx["cluster"])
    user = next(u["user"] for u in doc["users"] if u["name"] == ctx["user"])

    assert cfg.host == cluster["server"], (f, cfg.host, cluster["server"])
    assert cfg.verify_ssl, f
    assert content(cfg.ssl_ca_cert) == wanted(cluster, "certificate-authority", base), f
    assert content(cfg.ssl_ca_cert) == ca_crt, (f, "CA differs from the cert dir's ca.crt")
    assert content(cfg.cert_file) == wanted(user, "client-certificate", base), f
    assert content(cfg.key_file) == wanted(user, "client-key", base), f
    assert b"PRIVATE KEY" in content(cfg.key_file), f
    version = "-"
    if call:
        version = client.VersionApi(client.ApiClient(cfg)).get_code().git_version
    print(os.path.basename(f), "ok", cfg.host, version)
