"""The supervisor's pages: register a system and see its secret once, rotate and revoke,
and who may use the pages at all."""

import re

import pytest
from django.test import Client

from lianban.audit.models import Event
from lianban.cases.tests.factories import received_restaurant, reviewer
from lianban.catalog.models import Department
from lianban.integration.models import ClientCredential, ClientSystem
from lianban.integration.tests.conftest import DepartmentSystem, register, system_for

pytestmark = pytest.mark.django_db


def test_the_supervisor_registers_a_system_and_sees_its_secret_once(restaurant, supervisor):
    client = Client()
    client.force_login(supervisor)
    form = client.get("/integration/clients/new/").content.decode()
    assert "登记接入系统" in form and "办理本部门办件（受理、决定、上传结果等）" in form
    market = Department.objects.get(code="scjgj")
    response = client.post(
        "/integration/clients/new/",
        {
            "name": "食品经营许可审批系统",
            "department": market.pk,
            "scopes": ["cases:read", "cases:act"],
        },
    )
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    page = response.content.decode()
    client_id = re.search(r'id="client-id">([^<]+)<', page).group(1)
    secret = re.search(r'id="client-secret">([^<]+)<', page).group(1)
    registered = ClientSystem.objects.get(client_id=client_id)
    assert (registered.department, registered.scopes) == (market, ["cases:read", "cases:act"])
    assert secret not in client.get(f"/integration/clients/{registered.pk}/").content.decode()
    # The secret works, once, for the department's system.
    received_restaurant()
    system = DepartmentSystem(client_id, secret)
    system.authenticate()
    assert system.get("/cases").status_code == 200
    event = Event.objects.get(verb="integration.client_registered")
    assert event.actor == supervisor and event.data["client_id"] == client_id


def test_a_registration_with_errors_is_shown_again(restaurant, supervisor):
    client = Client()
    client.force_login(supervisor)
    response = client.post("/integration/clients/new/", {"name": "", "scopes": []})
    assert response.status_code == 200
    assert "这个字段是必填项" in response.content.decode()
    assert not ClientSystem.objects.exists()


def test_rotate_and_revoke_from_the_pages(restaurant, supervisor):
    issued = register(supervisor, "scjgj")
    system = system_for(issued)
    client = Client()
    client.force_login(supervisor)
    rotated = client.post(
        f"/integration/clients/{issued.client.pk}/rotate/", {"revoke_others": "1"}
    ).content.decode()
    new_secret = re.search(r'id="client-secret">([^<]+)<', rotated).group(1)
    assert system.get("/cases").status_code == 401
    fresh = DepartmentSystem(issued.client.client_id, new_secret)
    fresh.authenticate()
    assert fresh.get("/cases").status_code == 200
    page = client.get(f"/integration/clients/{issued.client.pk}/").content.decode()
    assert "GET /api/v1/cases" in page  # its recent calls
    current = ClientCredential.objects.get(client=issued.client, revoked_at__isnull=True)
    client.post(f"/integration/clients/{issued.client.pk}/credentials/{current.pk}/revoke/")
    assert fresh.get("/cases").status_code == 401
    # Stopping the client takes its id typed out as confirmation.
    client.post(f"/integration/clients/{issued.client.pk}/revoke/", {"confirm": "no"})
    assert ClientSystem.objects.get().revoked_at is None
    client.post(
        f"/integration/clients/{issued.client.pk}/revoke/", {"confirm": issued.client.client_id}
    )
    assert ClientSystem.objects.get().revoked_at is not None


def test_only_the_supervisor_may_use_the_pages(restaurant):
    anonymous = Client().get("/integration/")
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    client = Client()
    client.force_login(reviewer("scjgj"))
    assert client.get("/integration/").status_code == 403
    assert client.post("/integration/clients/new/", {"name": "x"}).status_code == 403
