"""Catalog editing in the admin is scoped to the editor's department; versions move only
through the services."""

import pytest

from lianban.accounts.demo import create_demo_accounts
from lianban.accounts.models import User
from lianban.catalog.models import Bundle, BundleVersion, ServiceItem

pytestmark = pytest.mark.django_db


@pytest.fixture
def accounts(first_batch):
    create_demo_accounts()
    return {u.username: u for u in User.objects.all()}


def change_url(obj):
    return f"/admin/catalog/{obj._meta.model_name}/{obj.pk}/change/"


def test_editor_may_change_the_bundles_their_department_leads(client, accounts):
    client.force_login(accounts["scjg-bianji"])
    restaurant = Bundle.objects.get(code="restaurant")
    birth = Bundle.objects.get(code="birth")
    page = client.get(change_url(restaurant)).content.decode()
    assert 'name="_save"' in page
    # Another department's bundle is shown read-only, never saved.
    other = client.get(change_url(birth)).content.decode()
    assert 'name="_save"' not in other
    response = client.post(change_url(birth), {"name": "改名"})
    assert response.status_code == 403
    birth.refresh_from_db()
    assert birth.name == "出生一件事"


def test_editor_may_change_only_their_departments_items(client, accounts):
    client.force_login(accounts["scjg-bianji"])
    own = ServiceItem.objects.filter(department__code="scjgj").first()
    foreign = ServiceItem.objects.filter(department__code="gaj").first()
    assert 'name="_save"' in client.get(change_url(own)).content.decode()
    assert 'name="_save"' not in client.get(change_url(foreign)).content.decode()


def test_editor_submits_and_supervisor_records_and_publishes_through_admin_actions(
    client, accounts
):
    ServiceItem.objects.filter(code="SCJGJ-003").update(promised_limit_days=1)
    restaurant = Bundle.objects.get(code="restaurant")
    client.force_login(accounts["scjg-bianji"])
    client.post(
        "/admin/catalog/bundle/",
        {"action": "submit_for_filing", "_selected_action": [restaurant.pk]},
    )
    version = BundleVersion.objects.get(bundle=restaurant, number=2)
    assert version.status == BundleVersion.Status.SUBMITTED

    # The editor cannot record their own submission.
    client.post(
        "/admin/catalog/bundleversion/", {"action": "record", "_selected_action": [version.pk]}
    )
    version.refresh_from_db()
    assert version.status == BundleVersion.Status.SUBMITTED

    client.force_login(accounts["dsj"])
    for action in ("record", "publish"):
        client.post(
            "/admin/catalog/bundleversion/", {"action": action, "_selected_action": [version.pk]}
        )
    version.refresh_from_db()
    assert version.status == BundleVersion.Status.PUBLISHED
    assert BundleVersion.objects.get(bundle=restaurant, number=1).status == "superseded"


def test_reviewer_and_applicant_cannot_enter_the_admin(client, accounts):
    for username in ("scjg-shenpi", "zhangsan"):
        client.force_login(accounts[username])
        response = client.get("/admin/catalog/bundle/")
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


def test_editor_cannot_change_shared_fields_or_other_departments_situations(client, accounts):
    from lianban.catalog.models import Field

    client.force_login(accounts["scjg-bianji"])
    field = Field.objects.get(key="applicant_id_number")
    assert 'name="_save"' not in client.get(change_url(field)).content.decode()
    page = client.get("/admin/catalog/situation/add/").content.decode()
    restaurant = Bundle.objects.get(code="restaurant")
    birth = Bundle.objects.get(code="birth")
    assert f'value="{restaurant.pk}"' in page
    assert f'value="{birth.pk}"' not in page
