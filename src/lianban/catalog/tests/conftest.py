from collections.abc import Iterator

import pytest
from django.db import transaction

from lianban.catalog import loader


@pytest.fixture(scope="module")
def first_batch(django_db_setup, django_db_blocker) -> Iterator[loader.LoadReport]:
    """The first batch loaded once for a module, through the real loader and services, and
    rolled back afterwards so other modules start from an empty catalog."""
    with django_db_blocker.unblock(), transaction.atomic():
        report = loader.load(loader.read())
        yield report
        transaction.set_rollback(True)
