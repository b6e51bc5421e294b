#!/usr/bin/python3
"""tlsserver.py CERT KEY CLIENT-CA ADDR PORT LOG — a stand-in for the API
server, for the interoperability tests: serves CERT/KEY over TLS on ADDR:PORT
(loopback; PORT 0 picks one), demands a client certificate that chains to
CLIENT-CA, answers GET /version (and /version/) with a small JSON, and
appends to LOG one JSON line per request with the path and the client
certificate's CN and O ({"path", "cn", "o"}), and one per failed handshake
({"error"}). Writes the port to LOG.ready once it listens."""
import http.server
import json
import ssl
import sys

cert, key, client_ca, addr, port, log = sys.argv[1:7]

VERSION = {
    "major": "1",
    "minor": "29",
    "gitVersion": "v1.29.0-kpki-interop",
    "gitCommit": "0000000000000000000000000000000000000000",
    "gitTreeState": "clean",
    "buildDate": "2026-01-01T00:00:00Z",
    "goVersion": "go1.21.0",
    "compiler": "gc",
    "platform": "linux/amd64",
}


def record(entry):
    with open(log, "a") as f:
        f.write(json.dumps(entry) + "\n")


def names(rdns, oid):
    return [v for rdn in rdns for (k, v) in rdn if k == oid]


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        subject = self.connection.getpeercert().get("subject", ())
        record({"path": self.path.split("?")[0], "cn": names(subject, "commonName"),
                "o": names(subject, "organizationName")})
        if self.path.split("?")[0] in ("/version", "/version/"):
            body = json.dumps(VERSION, separators=(",", ":")).encode()
            self.send_response(200)
        else:
            body = b'{"kind":"Status","status":"Failure","code":404}'
            self.send_response(404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("tlsserver: " + (fmt % args) + "\n")


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True

    def get_request(self):
        sock, peer = self.socket.accept()
        sock.settimeout(10)
        try:
            return ctx.wrap_socket(sock, server_side=True), peer
        except (ssl.SSLError, OSError) as e:
            record({"error": str(e)})
            sock.close()
            raise


ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
ctx.load_verify_locations(client_ca)
ctx.verify_mode = ssl.CERT_REQUIRED
srv = Server((addr, int(port)), Handler)
open(log + ".ready", "w").write(str(srv.server_address[1]) + "\n")
srv.serve_forever()
