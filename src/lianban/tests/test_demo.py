"""`make run`'s demo data is made through the real services; it must keep working."""

import pytest
from django.core.management import call_command

from lianban.applications.models import Application
from lianban.cases.models import ItemCase


@pytest.mark.django_db
def test_setup_demo_makes_work_in_every_state():
    call_command("load_catalog", verbosity=0)
    call_command("setup_demo", verbosity=0)
    case_states = set(ItemCase.objects.values_list("status", flat=True))
    assert set(ItemCase.Status.values) <= case_states
    application_states = set(Application.objects.values_list("status", flat=True))
    assert {"draft", "submitted", "correction", "received", "archived"} <= application_states
    before = (Application.objects.count(), ItemCase.objects.count())
    call_command("setup_demo", verbosity=0)  # a second run changes nothing
    assert (Application.objects.count(), ItemCase.objects.count()) == before
