"""A small registry server for the tests, on 127.0.0.1: it verifies the platform's signature
and answers from a dict, or misbehaves on purpose (slow answers, 500s) for chosen subjects."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from lianban.sharing.registries.http import verify


class RegistryServer:
    def __init__(self, secret: str, records: dict[tuple[str, str], dict[str, Any]]) -> None:
        self.secret = secret
        self.records = records
        self.slow: set[str] = set()  # subjects answered after `delay` seconds
        self.delay = 1.0
        self.failing: dict[str, int] = {}  # subject → how many 500s before answering
        self.requests: list[dict[str, Any]] = []

    def handle(self, handler: BaseHTTPRequestHandler) -> tuple[int, dict[str, Any]]:
        body = handler.rfile.read(int(handler.headers.get("Content-Length", 0)))
        ok = verify(self.secret, "POST", handler.path, handler.headers, body, now=time.time())
        payload = json.loads(body or b"{}")
        self.requests.append({"path": handler.path, "signed": ok, **payload})
        if not ok:
            return 401, {"error": "bad signature"}
        subject = payload.get("subject", "")
        if subject in self.slow:
            time.sleep(self.delay)
        if self.failing.get(subject, 0) > 0:
            self.failing[subject] -= 1
            return 500, {"error": "internal"}
        record = self.records.get((payload.get("item", ""), subject))
        if record is None:
            return 404, {"error": "not found"}
        return 200, {"record": record}


@contextmanager
def running(server: RegistryServer) -> Iterator[str]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            status, payload = server.handle(self)
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a timeout test)

        def log_message(self, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/api/v1"
    finally:
        httpd.shutdown()
        httpd.server_close()
