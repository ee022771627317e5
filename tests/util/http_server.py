#!/usr/bin/env python3
"""Tiny local stand-in for the Hugging Face hub, for tests of `emofuse models fetch`.

Serves ROOT/<repo>/<file> at /<repo>/resolve/main/<file> on 127.0.0.1 (stdlib only, any
python3). Prints "PORT <n>" on stdout once listening. Behaves like huggingface.co where the
client cares:
  * small files: 200 with ETag = git blob id (sha1 of b"blob <size>\\0" + content);
  * "LFS" files (*.safetensors, or larger than --lfs-min bytes): 302 to /cdn/<repo>/<file>
    (absolute URL) carrying X-Linked-Etag = sha256 and X-Linked-Size; the CDN answers with
    an MD5 ETag like S3 does, which a client must not mistake for a content hash;
  * --alias OLD=NEW: /OLD/resolve/... answers 307 with a RELATIVE Location to NEW (as the
    hub does for renamed repos such as bert-base-uncased -> google-bert/bert-base-uncased);
  * HEAD and GET, "Range: bytes=A-" and "bytes=A-B" (206, Content-Range), 416 past the end;
  * 404 for anything else.
Fault injection:
  --drop-after N    GET bodies of files larger than N stop after N bytes (connection closed
                    although Content-Length promised more) ...
  --drop-times K    ... for the first K such GETs of each file (default 1)
  --corrupt FILE    serve FILE with one byte flipped, while advertising the true hashes
  --status-5xx K    answer the first K GETs of each file with 503
Every request is appended to --log (method, path, Range header, status).

usage: http_server.py --root DIR [--port 0] [--log FILE] [options above]
"""
import argparse
import hashlib
import http.server
import os
import sys
import threading

ARGS = None
LOCK = threading.Lock()
COUNTS = {}  # (kind, file path) -> number of GETs seen


def count(kind, path):
    with LOCK:
        COUNTS[(kind, path)] = COUNTS.get((kind, path), 0) + 1
        return COUNTS[(kind, path)]


def log(line):
    if ARGS.log:
        with LOCK, open(ARGS.log, "a") as f:
            f.write(line + "\n")


def is_lfs(path, size):
    return path.endswith(".safetensors") or size > ARGS.lfs_min


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.0"  # one request per connection: a drop is a clean close

    def log_message(self, fmt, *a):  # keep stderr quiet; the --log file has the record
        pass

    def do_HEAD(self):
        self.handle_any(head=True)

    def do_GET(self):
        self.handle_any(head=False)

    def reply(self, status, headers, body=b"", head=False, note=""):
        log(f"{self.command} {self.path} range={self.headers.get('Range', '-')} -> {status}{note}")
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        if not any(k == "Content-Length" for k, _ in headers):
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not head and body:
            self.wfile.write(body)

    def handle_any(self, head):
        parts = self.path.split("?")[0].split("/")
        host = f"http://127.0.0.1:{self.server.server_address[1]}"
        # /cdn/<repo...>/<file>
        if len(parts) >= 4 and parts[1] == "cdn":
            return self.serve_file("/".join(parts[2:]), head, cdn=True)
        # /<repo...>/resolve/main/<file>
        if "resolve" in parts:
            i = parts.index("resolve")
            repo = "/".join(parts[1:i])
            rest = parts[i + 1:]
            if len(rest) == 2 and rest[0] == "main" and repo:
                for alias in ARGS.alias:
                    old, new = alias.split("=", 1)
                    if repo == old:
                        loc = f"/{new}/resolve/main/{rest[1]}"
                        return self.reply(307, [("Location", loc)], head=head)
                rel = f"{repo}/{rest[1]}"
                full = os.path.join(ARGS.root, rel)
                if os.path.isfile(full):
                    size = os.path.getsize(full)
                    if is_lfs(rel, size):
                        sha = hashlib.sha256(open(full, "rb").read()).hexdigest()
                        return self.reply(302, [("Location", f"{host}/cdn/{rel}"),
                                                ("X-Linked-Etag", f'"{sha}"'),
                                                ("X-Linked-Size", str(size)),
                                                ("ETag", f'W/"{sha[:20]}-not-a-hash"')], head=head)
                    return self.serve_file(rel, head, cdn=False)
        self.reply(404, [("Content-Type", "text/plain")], b"Entry not found\n", head=head)

    def serve_file(self, rel, head, cdn):
        full = os.path.join(ARGS.root, rel)
        if ".." in rel.split("/") or not os.path.isfile(full):
            return self.reply(404, [], b"Entry not found\n", head=head)
        data = open(full, "rb").read()
        if cdn:
            etag = hashlib.md5(data).hexdigest()
        else:
            etag = hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()
        if ARGS.corrupt and rel.endswith("/" + ARGS.corrupt) and data:
            mid = len(data) // 2
            data = data[:mid] + bytes([data[mid] ^ 0xFF]) + data[mid + 1:]
        if not head and ARGS.status_5xx and count("5xx", rel) <= ARGS.status_5xx:
            return self.reply(503, [], b"try again\n")
        size = len(data)
        start, end, status = 0, size - 1, 200
        rng = self.headers.get("Range")
        headers = [("ETag", f'"{etag}"'), ("Accept-Ranges", "bytes")]
        if rng and rng.startswith("bytes="):
            a, _, b = rng[6:].partition("-")
            start = int(a) if a else 0
            end = min(int(b), size - 1) if b else size - 1
            if start >= size:
                return self.reply(416, [("Content-Range", f"bytes */{size}")], head=head)
            status = 206
            headers.append(("Content-Range", f"bytes {start}-{end}/{size}"))
        body = data[start:end + 1]
        headers.append(("Content-Length", str(len(body))))
        if head:
            return self.reply(status, headers, head=True)
        if ARGS.drop_after is not None and len(body) > ARGS.drop_after and count("drop", rel) <= ARGS.drop_times:
            # promise everything, send a part, hang up
            log(f"GET {self.path} range={rng or '-'} -> {status} DROPPED after {ARGS.drop_after} bytes")
            self.send_response(status)
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(body[:ARGS.drop_after])
            self.wfile.flush()
            self.close_connection = True
            return
        self.reply(status, headers, body)


def main():
    global ARGS
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--root", required=True)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--log")
    p.add_argument("--lfs-min", type=int, default=10 * 1024 * 1024)
    p.add_argument("--alias", action="append", default=[])
    p.add_argument("--drop-after", type=int)
    p.add_argument("--drop-times", type=int, default=1)
    p.add_argument("--corrupt")
    p.add_argument("--status-5xx", type=int, default=0)
    ARGS = p.parse_args()
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", ARGS.port), Handler)
    srv.daemon_threads = True
    print(f"PORT {srv.server_address[1]}", flush=True)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    sys.exit(0)


if __name__ == "__main__":
    main()
