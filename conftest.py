"""Suite-wide test settings."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Generator
from typing import Any

import pytest

IN_CI = os.environ.get("CI", "").lower() == "true"

# Test modules import lianban.wsgi (the API's fuzzing, at collection): its warm-up would read
# the catalog before pytest-django has made the test database. The warm-up has tests of its
# own, and the gunicorn servers the suite starts turn it on as production has it.
os.environ.setdefault("LIANBAN_WARM_UP", "false")

# The ``shared_database`` fixture of the tests that run worker processes.
pytest_plugins = ["lianban.tests.workers"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings: Any, tmp_path: Any) -> None:
    # Uploaded materials and generated documents of a test stay in that test's folder.
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    # The cache counts API calls per client id, and ids are reused from test to test.
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_version_names() -> None:
    # The process keeps each version's name by id; SQLite gives a rolled-back test's ids to
    # the next test's rows, which may be versions of another bundle.
    from lianban.catalog import selectors

    selectors._names.clear()


@pytest.fixture(autouse=True)
def _plain_static_files(settings: Any) -> None:
    # Production serves hashed names from collectstatic's manifest; tests serve the source
    # files as they are, without a collectstatic step.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


ON_POSTGRESQL = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def pytest_collection_modifyitems(config: Any, items: list[pytest.Item]) -> None:
    _own_node_ids(items)
    # Tests of PostgreSQL's own behaviour (row locks, parallel readers) belong to the
    # PostgreSQL leg; on SQLite they are not collected rather than skipped, since a skip in CI
    # means a missing dependency.
    if ON_POSTGRESQL:
        return
    keep = [i for i in items if i.get_closest_marker("postgresql") is None]
    if len(keep) != len(items):
        config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = keep


def _own_node_ids(items: list[pytest.Item]) -> None:
    """Give each test its own id. schemathesis makes a test per API operation, named
    ``test_x[GET /api/v1/bundles]``, and pytest 9 builds their ids from the function's name
    alone: all alike, and the suite's processes (pytest-xdist, ``--dist loadfile``) hand out
    tests by id, so all but one operation would not run. The id is made from the name, as
    pytest makes any node's."""
    for item in items:
        if item.parent is not None and item.nodeid.rpartition("::")[2] != item.name:
            item._id = item.parent.id.child(item.name)  # type: ignore[attr-defined]
    twins = sorted(n for n, c in Counter(i.nodeid for i in items).items() if c > 1)
    if twins:
        raise pytest.UsageError(f"tests that share an id would not all run in parallel: {twins}")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Generator[None, Any, None]:
    # In CI nothing may pass by being skipped: a skip there is a missing dependency.
    outcome = yield
    report = outcome.get_result()
    if IN_CI and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, which is not allowed: {report.longrepr}"


CHROMIUM = os.environ.get("LIANBAN_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def browser() -> Generator[Any, None, None]:
    """Debian's Chromium driven by Playwright (never a browser Playwright downloads)."""
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"no Chromium at {CHROMIUM}: run ./scripts/ensure-browser")
    # Playwright's sync API runs an event loop in this thread; the tests still use the ORM
    # synchronously between browser steps, which is safe here.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        instance = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield instance
        instance.close()


@pytest.fixture(autouse=True)
def _browser_contexts_closed(request: pytest.FixtureRequest) -> Generator[None, None, None]:
    # A test may open contexts of its own (a second person, a phone): closed when it ends,
    # so that no connection of theirs to the live server outlives the test.
    yield
    if "browser" in request.fixturenames:
        for context in request.getfixturevalue("browser").contexts:
            context.close()


@pytest.fixture
def page(browser: Any) -> Generator[Any, None, None]:
    context = browser.new_context(locale="zh-CN", viewport={"width": 1200, "height": 900})
    page = context.new_page()
    page.set_default_timeout(10_000)
    # Every page a browser test visits must work under the Content Security Policy: Chromium
    # reports each refused script, style or frame on the console, and the test fails on it.
    refused: list[str] = []
    page.on(
        "console",
        lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None,
    )
    yield page
    context.close()
    assert not refused, f"the Content Security Policy refused something: {refused}"
