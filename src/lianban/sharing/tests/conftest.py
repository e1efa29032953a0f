from collections.abc import Iterator

import pytest
from django.db import transaction

from lianban.catalog import loader
from lianban.sharing.directory import ensure_directory


@pytest.fixture(scope="module")
def directory(django_db_setup, django_db_blocker) -> Iterator[None]:
    """The first-batch catalog and the shipped directory, loaded once per module and rolled
    back afterwards (as catalog's own tests do)."""
    with django_db_blocker.unblock(), transaction.atomic():
        loader.load(loader.read())
        ensure_directory()
        yield
        transaction.set_rollback(True)
