"""Catalog benchmarks: a plan computed in process (target < 5 ms) and the guide page served
(target < 50 ms), on the embedded default with the first batch loaded.

    make bench        # or: .venv/bin/python -m bench.catalog
"""

from __future__ import annotations

import threading
import urllib.request
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from bench.common import machine, report, timed, use_scratch_database


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


class ThreadingServer(WSGIServer):
    daemon_threads = True


def main() -> None:
    use_scratch_database()
    from django.test import Client

    from lianban.catalog import loader
    from lianban.catalog.planner import answer_combinations, make_plan
    from lianban.catalog.selectors import definition_of, published_definitions, published_version

    print(f"machine: {machine()}")
    loader.load(loader.read())
    definitions = published_definitions()
    restaurant = next(d for d in definitions if d.name.startswith("我要开饭店"))
    answers = next(iter(answer_combinations(restaurant)))
    report(
        "plan: 我要开饭店 (in process)",
        timed(lambda: make_plan(restaurant, answers), 5000),
        target_ms=5,
    )

    largest = max(definitions, key=lambda d: len(d.items))
    big_answers = list(answer_combinations(largest))[-1]
    report(
        f"plan: {largest.name} ({len(largest.items)} items)",
        timed(lambda: make_plan(largest, big_answers), 5000),
        target_ms=5,
    )

    combos = [(d, a) for d in definitions for a in answer_combinations(d)]
    index = iter(range(10**9))
    report(
        f"plan: every answer combination ({len(combos)})",
        timed(lambda: make_plan(*combos[next(index) % len(combos)]), len(combos) * 3),
        target_ms=5,
    )
    version = published_version(restaurant.code)
    report(
        "plan: definition lookup + plan (selectors)",
        timed(lambda: make_plan(definition_of(version), answers), 2000),
        target_ms=5,
    )

    query = "&".join(f"q-{k}={v}" for k, vs in answers.items() for v in vs)
    path = f"/guide/{restaurant.code}/?{query}"
    client = Client()
    assert client.get(path).status_code == 200
    report(
        "guide page: Django stack, in process", timed(lambda: client.get(path), 500), target_ms=50
    )
    report(
        "guide page: htmx partial, in process",
        timed(lambda: client.get(path, HTTP_HX_REQUEST="true"), 500),
        target_ms=50,
    )
    report("home page: in process", timed(lambda: client.get("/"), 300), target_ms=50)

    from django.core.wsgi import get_wsgi_application

    server = make_server(
        "127.0.0.1",
        0,
        get_wsgi_application(),
        server_class=ThreadingServer,
        handler_class=QuietHandler,
    )
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}{path}"

    def fetch() -> None:
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()

    report("guide page: over HTTP on loopback (wsgiref)", timed(fetch, 300), target_ms=50)
    server.shutdown()


if __name__ == "__main__":
    main()
