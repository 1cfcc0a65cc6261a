#!/usr/bin/env python3
"""HTTP server for the download tests (stdlib only).

Usage: http_test_server.py ROOT
Serves the files in ROOT on 127.0.0.1 at a free port and prints that port as its first
stdout line. Before printing, it writes two archives into ROOT:
  archive.tar.gz  contains archive/inner.txt and archive/sub/data.bin
  evil.tar.gz     contains ../escaped.txt (must be rejected by the extractor)
Special routes:
  /truncated/NAME  announces the full Content-Length of ROOT/NAME, sends half, then closes.
It exits when its stdin reaches EOF, so it never outlives the test process that started it.
"""
import http.server
import io
import os
import sys
import tarfile
import threading


def add_member(tar, name, data):
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def write_archives(root):
    with tarfile.open(os.path.join(root, "archive.tar.gz"), "w:gz") as tar:
        add_member(tar, "archive/inner.txt", b"hello from the archive\n")
        add_member(tar, "archive/sub/data.bin", bytes(range(256)) * 64)
    with tarfile.open(os.path.join(root, "evil.tar.gz"), "w:gz") as tar:
        add_member(tar, "../escaped.txt", b"should never be written\n")


def make_handler(root):
    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, directory=root, **kwargs)

        def do_GET(self):
            if self.path.startswith("/truncated/"):
                self.send_truncated(self.path[len("/truncated/"):])
            else:
                super().do_GET()

        def send_truncated(self, name):
            path = os.path.join(root, os.path.basename(name))
            if not os.path.isfile(path):
                self.send_error(404)
                return
            with open(path, "rb") as f:
                data = f.read()
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.wfile.flush()
            self.close_connection = True

        def log_message(self, format, *args):
            pass  # keep the test output clean

    return Handler


def main():
    root = os.path.abspath(sys.argv[1])
    write_archives(root)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), make_handler(root))
    server.daemon_threads = True
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # returns at EOF: the parent closed the pipe or died
    server.shutdown()


if __name__ == "__main__":
    main()
