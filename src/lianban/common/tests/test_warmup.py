"""A web process compiles its templates, imports its views and compiles the definitions in
force before its first request, and starts even when the database cannot be reached."""

import pytest
from django.db import OperationalError
from django.template import engines

from lianban.applications.tests.factories import published_restaurant
from lianban.catalog import selectors as catalog_selectors
from lianban.catalog.models import BundleVersion
from lianban.common import warmup

pytestmark = pytest.mark.django_db(transaction=True)


def cached_templates() -> dict:
    (loader,) = engines["django"].engine.template_loaders  # the cached loader
    return loader.get_template_cache


@pytest.fixture
def cold(monkeypatch):
    """A process that has compiled nothing yet."""
    engines["django"].engine.template_loaders[0].reset()
    monkeypatch.setattr(catalog_selectors, "_definitions", {})


def test_the_templates_the_views_and_the_definitions_in_force_are_ready_before_a_request(
    cold, monkeypatch
):
    closed = []
    monkeypatch.setattr(warmup.connections, "close_all", lambda: closed.append(True))
    published_restaurant()
    version = BundleVersion.objects.get(bundle__code="restaurant", status="published")
    assert "workbench/queue.html" not in cached_templates()

    done = warmup.warm_up()

    for name in ("workbench/queue.html", "supervision/dashboard.html", "base.html"):
        assert name in cached_templates()
    assert done["templates"] >= 50 and done["urls"] >= 100
    assert (version.pk, version.digest) in catalog_selectors._definitions
    assert done["definitions"] == 1
    # Closed, so that a process forked after the warm-up opens its own.
    assert closed == [True]


def test_a_database_out_of_reach_does_not_stop_the_start(cold, monkeypatch, caplog):
    def down():
        raise OperationalError("connection refused")

    monkeypatch.setattr(catalog_selectors, "published_versions", down)
    done = warmup.warm_up()
    assert done["definitions"] == 0 and done["templates"] >= 50
    assert "workbench/queue.html" in cached_templates()
    assert "database not reachable" in caplog.text
