#!/usr/bin/env python3
"""A stand-in console server for lucid-console's tests: serves the events of
a recording (docs/console-protocol.md) as GET /api/v1/events (Server-Sent
Events, one event every 0.2 s, then keeps the stream open) and the recording's
first snapshot as GET /api/v1/snapshot. With --token T every request must
carry "Authorization: Bearer T" (else 401 as the protocol says).

Usage: fake_console_server.py RECORDING PORTFILE [--token T] [--port N]
Listens on 127.0.0.1, port N or an ephemeral one, written to PORTFILE once
listening.
"""
import argparse
import http.server
import json
import socketserver
import sys
import time

ap = argparse.ArgumentParser()
ap.add_argument("recording")
ap.add_argument("portfile")
ap.add_argument("--token")
ap.add_argument("--port", type=int, default=0)
args = ap.parse_args()
recording, portfile, token = args.recording, args.portfile, args.token

events = []
with open(recording, encoding="utf-8") as f:
    for line in f:
        line = line.strip()
        try:
            e = json.loads(line)
        except ValueError:
            continue  # the partial last line
        if e.get("type") != "header":
            events.append(line)


class handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def deny(self):
        body = b'{"error": "missing or wrong token", "status": 401}'
        self.send_response(401)
        self.send_header("content-type", "application/json")
        self.send_header("www-authenticate", "Bearer")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if token is not None and self.headers.get("authorization") != "Bearer " + token:
            return self.deny()
        if self.path.startswith("/api/v1/events"):
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("transfer-encoding", "chunked")
            self.end_headers()
            try:
                for e in events:
                    j = json.loads(e)
                    chunk = f"event: {j['type']}\nid: {j.get('seq', 0)}\ndata: {e}\n\n".encode()
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    self.wfile.flush()
                    time.sleep(0.2)
                while True:
                    self.wfile.write(b"3\r\n:\n\n\r\n")  # a comment keeps the stream open
                    self.wfile.flush()
                    time.sleep(1)
            except (BrokenPipeError, ConnectionResetError):
                return
        elif self.path == "/api/v1/snapshot":
            body = events[0].encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        else:
            body = b'{"error": "not found", "status": 404}'
            self.send_response(404)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)


class server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


s = server(("127.0.0.1", args.port), handler)
with open(portfile + ".tmp", "w") as f:
    f.write(str(s.server_address[1]))
import os
os.rename(portfile + ".tmp", portfile)
s.serve_forever()
