"""A web process made ready before it takes its first request.

Django loads lazily: a new process imports every view and API schema on its first request,
compiles each template the first time it is rendered, and compiles a bundle's definition the
first time an application of it is read. That is half a second and more for the first page of
each kind, paid by whoever comes first after every start or restart of each web process (every
deploy, on every machine). :func:`warm_up`, called from ``lianban.wsgi``, does it at start
instead, before the server hands the process a request."""

from __future__ import annotations

import logging
import time
from pathlib import Path

from django.db import DatabaseError, connections

log = logging.getLogger("lianban.warmup")

PACKAGE = Path(__file__).resolve().parent.parent  # src/lianban


def warm_up() -> dict[str, int]:
    """Import the URLs and views, compile the platform's templates and the definitions in
    force. Never fails a start: the database may still be down (the process then compiles
    what it needs on demand, as without this). Returns what was made ready, by kind."""
    start = time.perf_counter()
    done = {"urls": _urls(), "templates": _templates()}
    try:
        done["definitions"] = _definitions()
    except DatabaseError as exc:
        log.warning("warm-up without the catalog (database not reachable): %s", exc)
        done["definitions"] = 0
    finally:
        # A process forked after this (gunicorn --preload) must not share the connection.
        connections.close_all()
    log.info("warmed up in %.0f ms: %s", (time.perf_counter() - start) * 1000, done)
    return done


def _urls() -> int:
    """Every URL pattern, each included module imported (its views, the API's schemas) and
    its reverse map filled, as ``reverse`` and ``{% url %}`` would on first use."""
    from django.urls import URLResolver, get_resolver

    def walk(resolver: URLResolver) -> int:
        resolver.reverse_dict  # noqa: B018  (filled on first access)
        count = 0
        for pattern in resolver.url_patterns:
            count += walk(pattern) if isinstance(pattern, URLResolver) else 1
        return count

    return walk(get_resolver())


def _templates() -> int:
    """Every template of the platform's own folders, compiled into the cached loader."""
    from django.template import TemplateSyntaxError, engines

    engine = engines["django"]
    count = 0
    for folder in PACKAGE.glob("**/templates"):
        for path in sorted(folder.rglob("*.html")):
            name = path.relative_to(folder).as_posix()
            try:
                engine.get_template(name)
            except TemplateSyntaxError:
                log.exception("template %s does not compile", name)
                continue
            count += 1
    return count


def _definitions() -> int:
    from lianban.catalog.selectors import definition_of, published_versions

    versions = list(published_versions())
    for version in versions:
        definition_of(version)
    return len(versions)
