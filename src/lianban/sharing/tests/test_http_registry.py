"""The HTTP connector against a small registry server started on loopback: signed requests,
timeouts, 500s with bounded retries and backoff, refused signatures, every call logged — and
when the registry fails, the applicant is told plainly and uploads the material instead."""

import io

import pytest

from lianban.applications import services as intake
from lianban.applications.models import MaterialFile
from lianban.applications.tests.factories import PDF
from lianban.sharing import services
from lianban.sharing.models import AccessLog, DataItem, Registry, RegistryCall
from lianban.sharing.registries import RegistryError
from lianban.sharing.registries.http import HttpRegistry
from lianban.sharing.tests.helpers import FATHER_ID, applicant, birth_draft, parents
from lianban.sharing.tests.registry_server import RegistryServer, running

pytestmark = pytest.mark.django_db
SECRET = "registry-secret-for-tests"
HOUSEHOLD = {
    "household_number": "410703009999",
    "head_name": "张三",
    "relation_to_head": "户主",
    "address": "河南省新乡市卫滨区接口路9号",
    "police_station": "健康路派出所",
}


@pytest.fixture
def server():
    return RegistryServer(SECRET, {("household_registration", FATHER_ID): HOUSEHOLD})


def http_registry(url, *, secret=SECRET, timeout=0.3, attempts=3):
    return Registry.objects.create(
        code="gaj-http",
        name="公安局户籍接口",
        kind=Registry.Kind.HTTP,
        base_url=url,
        key_id="lianban",
        secret=secret,
        timeout_seconds=timeout,
        max_attempts=attempts,
        backoff_seconds=0.01,
    )


def connector(registry, waits):
    return HttpRegistry(registry, sleep=waits.append)


def household():
    return DataItem.objects.select_related("provider").get(code="household_registration")


def test_a_signed_request_gets_the_record(directory, server):
    with running(server) as url:
        record = connector(http_registry(url), []).fetch(household(), FATHER_ID)
    assert record == HOUSEHOLD
    assert server.requests == [
        {
            "path": "/api/v1/records",
            "signed": True,
            "item": "household_registration",
            "subject": FATHER_ID,
        }
    ]
    call = RegistryCall.objects.get()
    assert (call.attempt, call.status, call.path, call.error) == (1, 200, "/api/v1/records", "")


def test_no_record_is_none_not_an_error(directory, server):
    with running(server) as url:
        assert connector(http_registry(url), []).fetch(household(), "410702199001010011") is None


def test_a_slow_registry_times_out_after_bounded_retries_with_backoff(directory, server):
    server.slow.add(FATHER_ID)
    waits = []
    with running(server) as url, pytest.raises(RegistryError) as exc:
        connector(http_registry(url, timeout=0.2, attempts=3), waits).fetch(household(), FATHER_ID)
    assert "公安局数据接口在0.2秒内没有应答" in exc.value.message
    assert "已尝试3次" in exc.value.message
    assert waits == [0.01, 0.02]  # doubled each time
    calls = list(RegistryCall.objects.order_by("attempt"))
    assert [c.attempt for c in calls] == [1, 2, 3]
    assert all(c.status is None and "没有应答" in c.error for c in calls)


def test_a_500_is_retried_and_a_later_answer_is_used(directory, server):
    server.failing[FATHER_ID] = 1
    with running(server) as url:
        record = connector(http_registry(url), []).fetch(household(), FATHER_ID)
    assert record == HOUSEHOLD
    assert list(RegistryCall.objects.order_by("attempt").values_list("status", flat=True)) == [
        500,
        200,
    ]


def test_persistent_500s_give_a_clear_message(directory, server):
    server.failing[FATHER_ID] = 10
    with (
        running(server) as url,
        pytest.raises(RegistryError, match=r"公安局数据接口出错（500），已尝试2次"),
    ):
        connector(http_registry(url, attempts=2), []).fetch(household(), FATHER_ID)
    assert RegistryCall.objects.count() == 2


def test_a_bad_signature_is_refused_without_retrying(directory, server):
    with (
        running(server) as url,
        pytest.raises(RegistryError, match="拒绝了本平台的签名（401）"),
    ):
        connector(http_registry(url, secret="wrong"), []).fetch(household(), FATHER_ID)
    assert [r["signed"] for r in server.requests] == [False]
    assert RegistryCall.objects.get().status == 401


def test_a_registry_that_is_down_is_reported(directory):
    with running(RegistryServer(SECRET, {})) as url:
        pass  # the server is gone: nothing listens on that port any more
    with pytest.raises(RegistryError, match="无法连接公安局数据接口"):
        connector(http_registry(url, attempts=1), []).fetch(household(), FATHER_ID)


def test_prefill_through_the_http_registry(directory, server):
    parents()
    with running(server) as url:
        DataItem.objects.filter(code="household_registration").update(registry=http_registry(url))
        father = applicant()
        app = birth_draft(father)
        _, report = services.consent_give(application=app, actor=father.user)
    app.refresh_from_db()
    assert app.form_data["household_address"] == "河南省新乡市卫滨区接口路9号"
    assert report.materials["household_register"] == "公安局"


def test_when_the_registry_fails_the_applicant_uploads_instead(directory, server):
    parents()
    server.slow.add(FATHER_ID)
    with running(server) as url:
        registry = http_registry(url, timeout=0.2, attempts=2)
        DataItem.objects.filter(code="household_registration").update(registry=registry)
        father = applicant()
        app = birth_draft(father)
        _, report = services.consent_give(application=app, actor=father.user)

    assert report.failures == ["公安局数据接口在0.2秒内没有应答，已尝试2次，暂时无法获取。"]
    # The other registries still answered; the household register is simply asked for.
    assert "household_register" not in report.materials
    assert report.materials["id_card"] == "公安局"
    failed = AccessLog.objects.get(application=app, data_item__code="household_registration")
    assert failed.outcome == "failed" and "没有应答" in failed.reason
    intake.material_upload(
        application=app,
        material_code="household_register",
        stream=io.BytesIO(PDF),
        name="hukou.pdf",
        actor=father.user,
    )
    assert (
        MaterialFile.objects.get(application=app, material_code="household_register").evidence
        == "C"
    )


def test_the_failure_is_shown_to_the_applicant(directory, server, client):
    parents()
    server.failing[FATHER_ID] = 10
    with running(server) as url:
        DataItem.objects.filter(code="household_registration").update(
            registry=http_registry(url, attempts=1)
        )
        father = applicant()
        app = birth_draft(father)
        client.force_login(father.user)
        response = client.post(
            f"/sharing/applications/{app.pk}/consent/", {"agree": "1"}, follow=True
        )
    page = response.content.decode()
    assert "公安局数据接口出错（500）" in page
    assert "请自行填写，或上传材料" in page
    assert 'id="file-household_register"' in page  # the upload input is there
