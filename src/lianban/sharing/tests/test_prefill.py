"""出生一件事 with consent: the parents' identity and household data are prefilled, the
household register, identity card and marriage certificate are 免提交 at evidence level A
with their source, the window and the department see them as present, and the department
reads the shared data with its source through the logged selector."""

import pytest

from lianban.applications.models import MaterialFile
from lianban.audit.models import Event
from lianban.cases.models import ItemCase
from lianban.common.errors import DomainError, NotAllowed, TransitionError
from lianban.sharing import services
from lianban.sharing.models import AccessLog, Consent, SharedMaterial
from lianban.sharing.tests.helpers import (
    FATHER_ID,
    MOTHER_ID,
    applicant,
    birth_draft,
    complete_and_receive,
    parents,
)

pytestmark = pytest.mark.django_db
SHARED = {"household_register", "id_card", "marriage_certificate"}


@pytest.fixture
def father(directory):
    parents()
    return applicant()


def test_consent_prefills_parents_and_household(father):
    app = birth_draft(father)
    assert "father_name" not in app.form_data  # nothing shared before consent

    consent, report = services.consent_give(application=app, actor=father.user)

    app.refresh_from_db()
    assert app.form_data["father_name"] == "张三"
    assert app.form_data["father_id_number"] == FATHER_ID
    assert app.form_data["mother_name"] == "李梅"
    assert app.form_data["mother_id_number"] == MOTHER_ID
    assert app.form_data["household_address"].startswith("河南省新乡市卫滨区")
    assert report.fields["household_address"] == "公安局"
    assert report.fields["mother_name"] == "民政局"
    assert consent.prefilled["father_id_number"]["source"] == "公安局"
    assert report.failures == []


def test_materials_the_platform_can_obtain_are_level_a_with_their_source(father):
    app = birth_draft(father)
    services.consent_give(application=app, actor=father.user)

    files = {f.material_code: f for f in MaterialFile.objects.filter(application=app)}
    assert set(files) == SHARED  # 出生医学证明 is not shared: it is still asked for
    assert {f.evidence for f in files.values()} == {"A"}
    sources = {
        s.material_file.material_code: s.source.code
        for s in SharedMaterial.objects.filter(material_file__application=app)
    }
    assert sources == {"household_register": "gaj", "id_card": "gaj", "marriage_certificate": "mzj"}
    assert files["household_register"].file.read(5) == b"%PDF-"


def test_each_prefill_read_is_logged_for_the_applicant(father):
    app = birth_draft(father)
    services.consent_give(application=app, actor=father.user)
    logs = AccessLog.objects.filter(application=app)
    assert {row.data_item.code for row in logs} == {
        "resident_identity",
        "household_registration",
        "marriage_record",
    }
    assert {row.outcome for row in logs} == {"allowed"}
    assert all(row.subject_id == father.pk and row.reader_id == father.user_id for row in logs)
    assert "出生一件事" in logs[0].purpose


def test_what_the_applicant_typed_is_not_overwritten(father):
    from lianban.applications import services as intake

    app = birth_draft(father)
    intake.application_save_form(
        application=app, data={"household_address": "新乡市卫滨区自填地址1号"}, actor=father.user
    )
    services.consent_give(application=app, actor=father.user)
    app.refresh_from_db()
    assert app.form_data["household_address"] == "新乡市卫滨区自填地址1号"
    assert app.form_data["father_name"] == "张三"


def test_consenting_twice_changes_nothing(father):
    app = birth_draft(father)
    services.consent_give(application=app, actor=father.user)
    with pytest.raises(TransitionError, match="无需重复授权"):
        services.consent_give(application=app, actor=father.user)
    assert Consent.objects.get(application=app).prefilled["father_name"]["source"] == "公安局"
    assert MaterialFile.objects.filter(application=app).count() == 3


def test_consent_can_be_given_again_after_revoking(father):
    app = birth_draft(father)
    services.consent_give(application=app, actor=father.user)
    services.consent_revoke(application=app, actor=father.user)
    _, report = services.consent_give(application=app, actor=father.user)
    assert set(report.materials) == SHARED
    assert Consent.objects.get(application=app).active


def test_only_the_applicant_may_consent(father):
    from lianban.applications.tests.factories import clerk

    app = birth_draft(father)
    with pytest.raises(NotAllowed):
        services.consent_give(application=app, actor=clerk())
    assert not Consent.objects.exists()
    assert not AccessLog.objects.exists()


def test_an_invalid_identity_number_is_not_verified(directory):
    person = applicant(id_number="410702198503120018")  # wrong check digit
    app = birth_draft(person)
    with pytest.raises(DomainError, match="身份信息未通过核验"):
        services.consent_give(application=app, actor=person.user)
    assert not AccessLog.objects.exists()


def test_revoking_removes_shared_materials_and_untouched_values(father):
    from lianban.applications import services as intake

    app = birth_draft(father)
    services.consent_give(application=app, actor=father.user)
    intake.application_save_form(application=app, data={"mother_name": "李美"}, actor=father.user)

    services.consent_revoke(application=app, actor=father.user)

    app.refresh_from_db()
    assert not MaterialFile.objects.filter(application=app).exists()
    assert "father_name" not in app.form_data
    assert app.form_data["mother_name"] == "李美"  # changed by the applicant: kept
    assert Consent.objects.get(application=app).revoked_at is not None
    verbs = list(
        Event.objects.filter(target_id=str(app.pk), verb__startswith="sharing.").values_list(
            "verb", flat=True
        )
    )
    assert verbs == ["sharing.consent_given", "sharing.consent_revoked"]


def test_consent_cannot_be_revoked_after_submission(father):
    app = birth_draft(father)
    services.consent_give(application=app, actor=father.user)
    complete_and_receive(app)
    with pytest.raises(TransitionError):
        services.consent_revoke(application=app, actor=father.user)


def test_window_receives_without_the_shared_materials_being_uploaded(father):
    app = birth_draft(father)
    services.consent_give(application=app, actor=father.user)
    complete_and_receive(app)

    assert app.status == "received"
    uploaded = MaterialFile.objects.filter(application=app, evidence="C")
    assert set(uploaded.values_list("material_code", flat=True)) == {"birth_certificate"}
    assert ItemCase.objects.filter(application=app).count() == 3
