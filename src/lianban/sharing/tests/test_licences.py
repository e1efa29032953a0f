"""电子证照: a result issued through the platform enters the directory with a GB/T 36904-style
identifier, and a later application of the holder reuses it instead of asking for it."""

import pytest

from lianban.applications import services as intake
from lianban.cases import services as cases
from lianban.cases.models import ItemCase
from lianban.cases.tests.factories import result
from lianban.catalog.models import Department
from lianban.sharing import licences, services
from lianban.sharing.models import AccessLog, ELicence, SharedMaterial
from lianban.sharing.tests.helpers import (
    applicant,
    birth_draft,
    complete_and_receive,
    reviewer,
)

pytestmark = pytest.mark.django_db


def test_mod37_36_check_character_detects_a_changed_character():
    head = "1101" + "11410703ABCDEFGHJ" + "X" + "2026" + "000001"
    identifier = head + licences.mod37_36_check(head)
    assert licences.is_valid(identifier)
    assert not licences.is_valid(
        identifier[:-2] + ("2" if identifier[-2] != "2" else "3") + identifier[-1]
    )
    # Known value of ISO 7064 MOD 37,36 (the standard's own example string).
    assert licences.mod37_36_check("A12425GABC1234002") == "M"


def test_identifiers_follow_the_structure_and_count_per_year(directory):
    mzj = Department.objects.get(code="mzj")
    first = licences.next_identifier("1101", mzj)
    second = licences.next_identifier("1101", mzj)
    issuer = licences.issuer_code(mzj)
    assert len(first) == 33 and licences.is_valid(first) and licences.is_valid(second)
    assert first.startswith("1101" + issuer)
    assert issuer.startswith("11410703")
    assert first[22:26].isdigit() and first[26:32] == "000001" and second[26:32] == "000002"
    from lianban.common.identity import credit_code_check_char

    assert credit_code_check_char(issuer[:17]) == issuer[17]


def marry(person):
    app = intake.application_start(
        bundle_code="marriage",
        answers={"partner": ["mainland"], "status_change": ["no"], "new_household": ["no"]},
        applicant=person,
        channel="online",
        actor=person.user,
    )
    complete_and_receive(app)
    case = ItemCase.objects.get(application=app, item_code="MZJ-009")
    officer = reviewer("mzj")
    case = cases.case_accept(case=case, actor=officer)
    case = cases.case_decide(case=case, actor=officer, outcome="approved")
    cases.case_return_result(case=case, actor=officer, documents=result("结婚证"))
    return case


def test_a_returned_result_enters_the_directory_and_is_reused(directory):
    person = applicant()  # no records in the reference registry: only the licence can help
    case = marry(person)

    licence = ELicence.objects.get()
    assert licence.holder == person and licence.issuer.code == "mzj"
    assert licence.data_item.code == "elicence_marriage"
    assert licence.result.case == case and licence.title == "结婚证"
    assert licences.is_valid(licence.identifier)

    app = birth_draft(person)
    _, report = services.consent_give(application=app, actor=person.user)
    assert report.materials == {"marriage_certificate": "民政局（电子证照）"}
    shared = SharedMaterial.objects.get(material_file__application=app)
    assert shared.licence == licence
    assert shared.material_file.evidence == "A"
    assert shared.material_file.sha256 == licence.result.sha256
    # The registries had nothing: the reads are logged all the same.
    assert AccessLog.objects.filter(application=app, reason="无记录").count() == 3


def test_results_of_items_that_issue_no_licence_type_are_not_entered(directory):
    person = applicant()
    app = birth_draft(person)
    complete_and_receive(app)
    case = ItemCase.objects.get(application=app, item_code="GAJ-001")
    officer = reviewer("gaj")
    case = cases.case_accept(case=case, actor=officer)
    case = cases.case_decide(case=case, actor=officer, outcome="approved")
    cases.case_return_result(case=case, actor=officer, documents=result("出生登记证明"))
    assert not ELicence.objects.exists()
