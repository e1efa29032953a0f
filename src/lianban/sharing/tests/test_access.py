"""有条件使用: a department reads shared data only for a case it handles and only the fields
its item needs; every read is logged, refusals too; applicants see who read their data, the
supervisor audits every read, a reviewer sees the log only through a case of their own
department."""

import pytest
from django.test import Client

from lianban.cases.models import ItemCase
from lianban.common.errors import NotAllowed
from lianban.sharing import selectors, services
from lianban.sharing.models import AccessLog, DataItem
from lianban.sharing.tests.helpers import (
    FATHER_ID,
    applicant,
    birth_draft,
    complete_and_receive,
    parents,
    reviewer,
    supervisor,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(directory):
    parents()
    father = applicant()
    app = birth_draft(father)
    services.consent_give(application=app, actor=father.user)
    complete_and_receive(app)
    return ItemCase.objects.get(application=app, item_code="GAJ-001")


def item(code):
    return DataItem.objects.get(code=code)


def client_for(user):
    c = Client()
    c.force_login(user)
    return c


def test_the_department_reads_the_fields_its_item_needs_with_the_source(case):
    gaj = reviewer("gaj")
    read = selectors.read_for_case(reader=gaj, case=case, data_item=item("household_registration"))
    values = {f["key"]: f["value"] for f in read.fields}
    assert values["head_name"] == "张三"
    assert values["address"].startswith("河南省新乡市卫滨区")
    assert read.item.provider.name == "公安局"
    row = AccessLog.objects.filter(case=case, reader=gaj).get()
    assert row.outcome == "allowed"
    assert row.department.code == "gaj"
    assert row.purpose == "出生登记随父（母）落户"
    assert "address" in row.fields
    assert row.subject == case.application.applicant


def test_fields_beyond_what_the_item_needs_are_refused_and_logged(case):
    ybj_case = ItemCase.objects.get(application=case.application, item_code="YBJ-001")
    ybj = reviewer("ybj")
    with pytest.raises(NotAllowed, match="超出本事项所需"):
        selectors.read_for_case(
            reader=ybj,
            case=ybj_case,
            data_item=item("household_registration"),
            fields=["address", "head_name"],
        )
    row = AccessLog.objects.get(case=ybj_case)
    assert row.outcome == "denied"
    assert row.fields == ["address", "head_name"]
    # The grant's own fields are readable.
    read = selectors.read_for_case(
        reader=ybj, case=ybj_case, data_item=item("household_registration")
    )
    assert [f["key"] for f in read.fields] == ["address"]


def test_a_department_without_a_case_for_the_person_is_refused_and_logged(case):
    mzj = reviewer("mzj")  # 民政局 has no case in this application
    with pytest.raises(NotAllowed, match="没有该申请人的本部门办件"):
        selectors.read_for_case(reader=mzj, case=case, data_item=item("resident_identity"))
    row = AccessLog.objects.get(reader=mzj)
    assert row.outcome == "denied"
    assert row.department.code == "mzj"
    assert row.case == case
    assert row.subject_masked != FATHER_ID and row.subject_masked.startswith("4107")


def test_the_denied_page_refuses_and_logs(case):
    mzj = reviewer("mzj")
    response = client_for(mzj).get(f"/sharing/cases/{case.pk}/")
    assert response.status_code == 403
    assert "没有该申请人的本部门办件" in response.content.decode()
    assert AccessLog.objects.filter(reader=mzj, outcome="denied").count() == 1


def test_data_not_shared_is_never_read(case):
    with pytest.raises(NotAllowed, match="不予共享"):
        selectors.read_for_case(reader=reviewer("gaj"), case=case, data_item=item("medical_record"))
    assert AccessLog.objects.filter(outcome="denied", data_item__code="medical_record").exists()


def test_the_workbench_case_page_shows_shared_data_and_free_materials(case):
    gaj = reviewer("gaj")
    page = client_for(gaj).get(f"/workbench/cases/{case.pk}/").content.decode()
    assert 'id="shared-data"' in page
    assert "户籍信息" in page and "来源：公安局" in page
    assert "出生登记随父（母）落户" in page
    assert 'id="shared-household_register"' in page and "免提交" in page
    assert AccessLog.objects.filter(reader=gaj, outcome="allowed").count() == 3


def test_the_applicant_sees_only_reads_of_their_own_data(case):
    father = case.application.applicant
    selectors.read_for_case(reader=reviewer("gaj"), case=case, data_item=item("resident_identity"))
    other = applicant(id_number="410702199001010011", name="王五", username="wangwu")
    AccessLog.objects.create(
        data_item=item("resident_identity"),
        subject=other,
        subject_masked="4107**",
        purpose="别人的记录",
        outcome="allowed",
    )
    mine = client_for(father.user).get("/sharing/my/").content.decode()
    assert "出生登记核验监护人身份" in mine and "公安局" in mine
    assert "别人的记录" not in mine
    assert "别人的记录" in client_for(other.user).get("/sharing/my/").content.decode()


def test_the_supervisor_audits_every_read(case):
    selectors.reads_for_case_page(reviewer("gaj"), case)
    with pytest.raises(NotAllowed):
        selectors.read_for_case(
            reader=reviewer("mzj"), case=case, data_item=item("resident_identity")
        )
    c = client_for(supervisor())
    everything = c.get("/sharing/log/")
    assert everything.status_code == 200
    assert FATHER_ID not in everything.content.decode()  # identity numbers masked in lists
    assert everything.context["page"].paginator.count == AccessLog.objects.count()
    denied = c.get("/sharing/log/?outcome=denied")
    assert [r.outcome for r in denied.context["page"]] == ["denied"]


def test_reviewers_see_the_log_only_through_a_case_of_their_department(case):
    gaj, mzj = reviewer("gaj"), reviewer("mzj")
    assert client_for(gaj).get("/sharing/log/").status_code == 403
    own = client_for(gaj).get(f"/sharing/cases/{case.pk}/")
    assert own.status_code == 200
    assert all(r.case_id == case.pk for r in own.context["page"])
    assert client_for(mzj).get(f"/sharing/cases/{case.pk}/").status_code == 403
    assert client_for(case.application.applicant.user).get("/sharing/log/").status_code == 403
