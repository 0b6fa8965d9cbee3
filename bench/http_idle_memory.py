#!/usr/bin/env python3
"""Resident memory per idle keep-alive HTTP connection, side by side.

For each server (rounds interleaved): start it, wait for its port, make one
warm-up request on one connection, read its RSS (/proc/PID/statm), open N
keep-alive connections and send one GET on each, read every response, wait
for the RSS to settle, read it again; (after - before) / N is the memory one
idle keep-alive connection costs (socket buffers are kernel memory and not in
the RSS). Then close them all and stop the server.

usage: bench/http_idle_memory.py [--n 10000] [--runs 3] NAME=COMMAND ...
  COMMAND may contain {port}; e.g.
    lucid='build/release/bench/lucid_http_hello {port} 2 300'
    hyper='/work/shared/peers/tokio/target/release/hyper_hello {port} 2 300'
Needs RLIMIT_NOFILE above N (+ a few) for this script and for the servers;
the soft limit is raised to the hard one here (the servers inherit it).
"""
import argparse
import os
import resource
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import time

REQUEST = b"GET / HTTP/1.1\r\nHost: bench\r\n\r\n"
PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_bytes(pid):
    with open(f"/proc/{pid}/statm") as f:
        return int(f.read().split()[1]) * PAGE


def wait_port(port, proc):
    for _ in range(200):
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"server did not listen on {port}")


def read_response(s):
    """Reads one response with a content-length body; returns its bytes."""
    buf = b""
    while True:
        head_end = buf.find(b"\r\n\r\n")
        if head_end >= 0:
            length = 0
            for line in buf[:head_end].split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            if len(buf) >= head_end + 4 + length:
                return buf
        chunk = s.recv(4096)
        if not chunk:
            raise RuntimeError("connection closed before a whole response")
        buf += chunk


def settle(pid):
    """The RSS once it stops changing (max ~2 s)."""
    last = rss_bytes(pid)
    for _ in range(20):
        time.sleep(0.1)
        now = rss_bytes(pid)
        if now == last:
            return now
        last = now
    return last


def measure(cmd_tmpl, port, n, batch=500):
    cmd = shlex.split(cmd_tmpl.replace("{port}", str(port)))
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    conns = []
    try:
        wait_port(port, proc)
        warm = socket.create_connection(("127.0.0.1", port))
        warm.sendall(REQUEST)
        read_response(warm)
        warm.close()
        before = settle(proc.pid)
        # In batches, so that the accept backlog never overflows.
        for start in range(0, n, batch):
            group = []
            for _ in range(min(batch, n - start)):
                s = socket.create_connection(("127.0.0.1", port))
                s.sendall(REQUEST)
                group.append(s)
            for s in group:
                read_response(s)
            conns.extend(group)
        after = settle(proc.pid)
        return before, after
    finally:
        for s in conns:
            s.close()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--port", type=int, default=18180)
    ap.add_argument("servers", nargs="+", metavar="NAME=COMMAND")
    args = ap.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < args.n + 64:
        sys.exit(f"RLIMIT_NOFILE hard limit {hard} is below n + 64 = {args.n + 64}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    servers = [s.split("=", 1) for s in args.servers]
    per_conn = {name: [] for name, _ in servers}
    for r in range(args.runs):
        for i, (name, cmd) in enumerate(servers):
            before, after = measure(cmd, args.port + i, args.n)
            b = (after - before) / args.n
            per_conn[name].append(b)
            print(f"round {r + 1} {name}: RSS {before / 1024:.0f} KiB -> {after / 1024:.0f} KiB, "
                  f"{b:.0f} bytes per idle connection", file=sys.stderr)
    print(f"| server | bytes per idle keep-alive connection (median of {args.runs}, "
          f"N={args.n}) | min | max |")
    print("|---|---|---|---|")
    for name, _ in servers:
        v = per_conn[name]
        print(f"| {name} | {statistics.median(v):.0f} | {min(v):.0f} | {max(v):.0f} |")


if __name__ == "__main__":
    main()
