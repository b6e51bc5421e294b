#!/usr/bin/env python3
"""Makes the ledger fixtures from kpki-ledger(5) alone (not from libpki):
good/journal.jsonl and the index.txt `openssl ca` would keep for it,
good/torn.jsonl (a journal whose last write was torn), good/index-short.txt
(an index.txt a crash left one record behind, with a revocation openssl ca
made), good/index-outside.txt (lines openssl ca changed and added), and
bad/*.jsonl: a hostile line 2 between two good lines."""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))

RECS = [
    dict(serial="5a1b2c3d4e5f60718293a4b5c6d7e8f9", ca="ca", profile="apiserver",
         subject="CN=kube-apiserver",
         sans=["DNS:cp1", "DNS:kubernetes", "DNS:kubernetes.default", "IP:10.96.0.1",
               "IP:192.0.2.10"],
         notBefore="2026-03-04T05:01:07Z", notAfter="2027-03-04T05:06:07Z",
         sha256="ab" * 32, issued="2026-03-04T05:06:07Z", bundle="SHA256:" + "cd" * 32),
    dict(serial="1f00000000000000000000000000abcd", ca="etcd-ca", profile="etcd-server",
         subject="CN=cp1", sans=["DNS:cp1", "DNS:localhost", "IP:127.0.0.1", "IP:::1"],
         notBefore="2026-03-04T05:01:07Z", notAfter="2027-03-04T05:06:07Z",
         sha256="01" * 32, issued="2026-03-04T05:06:08Z", bundle=""),
    dict(serial="7fffffffffffffffffffffffffffffff", ca="ca", profile="admin",
         subject="CN=kubernetes-admin,O=kubeadm:cluster-admins", sans=[],
         notBefore="2026-03-04T05:01:07Z", notAfter="2050-01-01T00:00:00Z",
         sha256="ef" * 32, issued="2026-03-04T05:06:09Z", bundle="SHA256:" + "cd" * 32),
    dict(serial="abc", ca="ca", profile="kubelet-client",
         subject="CN=n\u0153ud\\,1,O=syst\u00e8me", sans=[],
         notBefore="2026-03-04T05:01:07Z", notAfter="2049-12-31T23:59:59Z",
         sha256="0f" * 32, issued="2026-03-04T05:06:10Z", bundle=""),
]
ORDER = ["serial", "ca", "profile", "subject", "sans", "notBefore", "notAfter", "sha256",
         "issued", "bundle"]


def line(rec):
    return json.dumps({k: rec[k] for k in ORDER}, ensure_ascii=False,
                      separators=(",", ":")) + "\n"


def oneline(dn):
    # RFC 4514, last RDN first -> openssl's /first/.../last, \xHH outside ASCII
    rdns, cur, esc = [], "", False
    for ch in dn:
        if esc:
            cur += ch
            esc = False
        elif ch == "\\":
            esc = True
        elif ch == ",":
            rdns.append(cur)
            cur = ""
        else:
            cur += ch
    rdns.append(cur)
    out = ""
    for rdn in reversed(rdns):
        out += "/"
        for b in rdn.encode():
            out += chr(b) if 0x20 <= b < 0x7f else "\\x%02X" % b
    return out


def expiry(t):
    y, mo, d, h, mi, s = t[0:4], t[5:7], t[8:10], t[11:13], t[14:16], t[17:19]
    if 1950 <= int(y) <= 2049:
        y = y[2:]
    return y + mo + d + h + mi + s + "Z"


def index_line(rec):
    ser = rec["serial"].upper()
    if len(ser) % 2:
        ser = "0" + ser
    return "V\t%s\t\t%s\tunknown\t%s\n" % (expiry(rec["notAfter"]), ser, oneline(rec["subject"]))


def write(rel, text):
    with open(os.path.join(HERE, rel), "wb") as f:
        f.write(text.encode() if isinstance(text, str) else text)


journal = "".join(line(r) for r in RECS)
write("good/journal.jsonl", journal)
write("good/index.txt", "".join(index_line(r) for r in RECS))
# one record behind, torn, and its first record revoked by `openssl ca`
short = index_line(RECS[0]).replace("V\t", "R\t", 1).replace("\t\t", "\t260401000000Z\t", 1)
write("good/index-short.txt", short + index_line(RECS[1])[:17])
write("good/index-short-expected.txt", short + "".join(index_line(r) for r in RECS[1:]))
# lines openssl ca changed (a revocation with its reason, an expiry by
# -updatedb) and one it added for a certificate kpki never issued, two
# records missing: kpki keeps every line and adds the two after them
revoked = index_line(RECS[0]).replace("V\t", "R\t", 1).replace(
    "\t\t", "\t260401000000Z,keyCompromise\t", 1)
outside = "V\t300101000000Z\t\tDEAD\tdead.pem\t/CN=made-by-openssl-ca\n"
expired = index_line(RECS[2]).replace("V\t", "E\t", 1)
write("good/index-outside.txt", revoked + outside + expired)
write("good/index-outside-expected.txt",
      revoked + outside + expired + index_line(RECS[1]) + index_line(RECS[3]))
# two whole records, then a third cut inside its sha256
third = line(RECS[2])
write("good/torn.jsonl", line(RECS[0]) + line(RECS[1]) + third[:third.index("sha256") + 20])
# the last line whole but not JSON: torn as well (a power loss leaves zeros)
write("good/torn-zeros.jsonl", (line(RECS[0]) + "\0" * 40 + "\n").encode())

GOOD = line(RECS[0])
G2 = line(RECS[1])


def rec_with(**kw):
    r = dict(RECS[1])
    r.update(kw)
    return r


def raw(s):
    return s


BAD = {
    "not-json": ("hello\n", "not a JSON object"),
    "array": ("[1,2]\n", "not a JSON object"),
    "nul-raw": (G2.replace("cp1", "c\0p1", 1), "control character in a string"),
    "nul-escaped": (G2.replace("cp1", "c\\u0000p1", 1), "NUL, a control character"),
    "ctrl-escaped": (G2.replace("CN=cp1", "CN=\\u001b[31mcp1", 1), "NUL, a control character"),
    "c1-control": (G2.replace("CN=cp1", "CN=\\u0085cp1", 1), "NUL, a control character"),
    "tab-escaped": (G2.replace("etcd-ca", "etcd\\tca", 1), "NUL, a control character"),
    "bad-utf8": (G2.replace("cp1", "c\udcffp1", 1).encode("utf-8", "surrogateescape"),
                 "invalid UTF-8"),
    "lone-surrogate": (G2.replace("cp1", "c\\ud800p1", 1), "lone surrogate"),
    "bad-escape": (G2.replace("cp1", "c\\xp1", 1), "unknown escape"),
    "bad-u-escape": (G2.replace("cp1", "c\\u12p1", 1), "malformed \\u escape"),
    "huge-number": (G2.replace('"serial":"1f00000000000000000000000000abcd"',
                               '"serial":1' + "9" * 400 + "e99999", 1),
                    "'serial': a string was expected"),
    "number-time": (G2.replace('"2027-03-04T05:06:07Z"', "1e308", 1),
                    "'notAfter': a string was expected"),
    "null": (G2.replace('"bundle":""', '"bundle":null', 1), "'bundle': a string was expected"),
    "nested": (G2.replace('"ca":"etcd-ca"', '"ca":{"a":"b"}', 1), "'ca': a string was expected"),
    "unknown-key": (G2.replace('"bundle":""', '"bundle":"","extra":"x"', 1),
                    "unknown member 'extra'"),
    "dup-key": (G2.replace('"ca":"etcd-ca"', '"ca":"etcd-ca","ca":"ca"', 1),
                "'ca' appears twice"),
    "missing-key": (G2.replace(',"bundle":""', "", 1), "'bundle' is missing"),
    "empty-object": ("{}\n", "a member name was expected"),
    "serial-upper": (G2.replace("abcd", "ABCD", 1), "'serial': not 1 to 40"),
    "serial-long": (G2.replace('"serial":"', '"serial":"' + "1" * 41, 1), "'serial': not 1 to 40"),
    "serial-empty": (line(rec_with(serial="")), "'serial': not 1 to 40"),
    "serial-sign": (line(rec_with(serial="-1f")), "'serial': not 1 to 40"),
    "sha-short": (line(rec_with(sha256="01" * 31)), "'sha256': not 64"),
    "time-feb30": (line(rec_with(notAfter="2027-02-30T00:00:00Z")), "'notAfter': not an RFC 3339"),
    "time-leap": (line(rec_with(notAfter="2016-12-31T23:59:60Z")), "'notAfter': not an RFC 3339"),
    "time-offset": (line(rec_with(issued="2026-03-04T05:06:08+01:00")), "'issued': not an RFC 3339"),
    "time-fraction": (line(rec_with(notBefore="2026-03-04T05:01:07.5Z")),
                      "'notBefore': not an RFC 3339"),
    "time-1900": (line(rec_with(notBefore="1900-01-01T00:00:00Z")), "'notBefore': not an RFC 3339"),
    "empty-subject": (line(rec_with(subject="")), "'subject': empty"),
    "sans-string": (G2.replace('"sans":[', '"sans":"DNS:x","x":[', 1), "'sans': not an array"),
    "sans-number": (G2.replace('"sans":[', '"sans":[1,', 1), "'sans': not an array"),
    "sans-empty-name": (G2.replace('"sans":[', '"sans":["",', 1), "'sans': an empty name"),
    "sans-unclosed": (G2.replace('"IP:::1"]', '"IP:::1"', 1), "'sans': ',' or ']'"),
    "sans-too-many": (G2.replace('"sans":[', '"sans":[' + '"DNS:a",' * 1025, 1),
                      "'sans': more than 1024"),
    "trailing-text": (G2.replace("}\n", "} x\n"), "text after the object"),
    "two-objects": (G2.replace("}\n", "}{}\n"), "text after the object"),
    "missing-colon": (G2.replace('"ca":', '"ca" ', 1), "':' was expected"),
    "missing-comma": (G2.replace(',"profile"', ' "profile"', 1), "',' or '}' was expected"),
    "unterminated": (G2.replace('"bundle":""}', '"bundle":"}', 1), "unterminated string"),
    "empty-line": ("\n", "empty line"),
}

for name, (bad, why) in BAD.items():
    body = bad.encode("utf-8", "surrogateescape") if isinstance(bad, str) else bad
    write("bad/%s.jsonl" % name, GOOD.encode() + body + line(RECS[2]).encode())
    write("bad/%s.why" % name, why + "\n")
