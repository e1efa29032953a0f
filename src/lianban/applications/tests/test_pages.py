"""The applicant's pages, through Django's test client."""

import io

import pytest

from lianban.accounts.models import Applicant, User
from lianban.applications import services
from lianban.applications.models import Application
from lianban.applications.tests.factories import PDF, ApplicantFactory, published_restaurant
from lianban.catalog.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def restaurant():
    return published_restaurant()


@pytest.fixture
def applicant(client):
    a = ApplicantFactory()
    client.force_login(a.user)
    return a


def start(client):
    response = client.post("/applications/start/restaurant/", {"q-area": "lt50", "q-sign": "no"})
    assert response.status_code == 302
    return Application.objects.get()


def test_register_a_natural_person(client):
    response = client.post(
        "/accounts/register/",
        {
            "kind": "natural",
            "name": "王小明",
            "id_number": "11010519491231002X",
            "phone": "13912345678",
            "password": "yi-jian-shi-2026",
            "password2": "yi-jian-shi-2026",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="11010519491231002X")
    assert user.applicant.kind == Applicant.Kind.NATURAL


@pytest.mark.parametrize(
    ("data", "field", "words"),
    [
        ({"id_number": "110105194912310021"}, "id_number", "校验位"),
        ({"phone": "1391234"}, "phone", "11位"),
        (
            {"kind": "legal", "credit_code": "91350100M000100I43", "legal_representative": "王"},
            "credit_code",
            "不允许的字符",
        ),
    ],
)
def test_register_refuses_bad_identity_numbers_in_chinese(client, data, field, words):
    form = {
        "kind": "natural",
        "name": "王小明",
        "id_number": "11010519491231002X",
        "phone": "13912345678",
        "password": "yi-jian-shi-2026",
        "password2": "yi-jian-shi-2026",
        **data,
    }
    response = client.post("/accounts/register/", form)
    assert response.status_code == 200
    assert words in response.content.decode()
    assert not User.objects.exists()


def test_register_warns_on_a_credit_code_check_mismatch_but_accepts(client):
    response = client.post(
        "/accounts/register/",
        {
            "kind": "legal",
            "name": "卫滨区某公司",
            "credit_code": "91350100M000100Y44",
            "legal_representative": "王五",
            "id_number": "",
            "phone": "13912345678",
            "password": "yi-jian-shi-2026",
            "password2": "yi-jian-shi-2026",
        },
        follow=True,
    )
    assert "校验位与国家标准不符" in response.content.decode()
    assert Applicant.objects.get().credit_code == "91350100M000100Y44"


def test_start_from_the_guide_save_upload_and_submit(client, restaurant, applicant):
    app = start(client)
    page = client.get(f"/applications/{app.pk}/").content.decode()
    assert "申请表（一张表）" in page and "经营面积" in page
    # The platform already knows the applicant's name and phone.
    assert applicant.name in page

    response = client.post(
        f"/applications/{app.pk}/save/", {"f-business_area": "四十", "then": "save"}
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "“经营面积”应为数字" in html
    assert 'value="四十"' in html  # what was typed is shown back, not lost

    client.post(f"/applications/{app.pk}/save/", {"f-business_area": "40", "then": "save"})
    for code in ("id_card", "lease"):
        f = io.BytesIO(PDF)
        f.name = f"{code}.pdf"
        assert (
            client.post(
                f"/applications/{app.pk}/upload/", {"material": code, "file": f}
            ).status_code
            == 302
        )
    response = client.post(f"/applications/{app.pk}/save/", {"then": "submit"}, follow=True)
    app.refresh_from_db()
    assert app.status == Application.Status.SUBMITTED
    assert app.receipt_number in response.content.decode()

    # Submitting again: a clear message, nothing changed.
    response = client.post(f"/applications/{app.pk}/save/", {"then": "submit"})
    assert response.status_code == 400
    assert "无需重复提交" in response.content.decode()
    app.refresh_from_db()
    assert app.status == Application.Status.SUBMITTED


def test_an_executable_renamed_pdf_is_refused_on_the_page(client, restaurant, applicant):
    app = start(client)
    f = io.BytesIO(b"MZ\x90\x00" + b"\x00" * 100)
    f.name = "营业执照.pdf"
    response = client.post(f"/applications/{app.pk}/upload/", {"material": "id_card", "file": f})
    assert response.status_code == 400
    assert "可执行程序" in response.content.decode()
    assert not app.material_files.exists()


def test_nobody_else_sees_an_application(client, restaurant, applicant):
    app = start(client)
    other = ApplicantFactory()
    client.force_login(other.user)
    assert client.get(f"/applications/{app.pk}/").status_code == 404
    assert client.post(f"/applications/{app.pk}/save/", {"f-business_area": "1"}).status_code == 404
    reviewer = UserFactory(role=User.Role.REVIEWER)
    client.force_login(reviewer)
    assert client.get(f"/applications/{app.pk}/").status_code == 404


def test_material_files_download_as_attachments_only(client, restaurant, applicant):
    app = start(client)
    f = services.material_upload(
        application=app,
        material_code="id_card",
        stream=io.BytesIO(PDF),
        name="身份证.pdf",
        actor=applicant.user,
    )
    response = client.get(f"/applications/{app.pk}/materials/{f.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_anonymous_is_sent_to_login(client, restaurant):
    response = client.get("/applications/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_guide_offers_online_application_once_answered(client, restaurant, applicant):
    html = client.get("/guide/restaurant/", {"q-area": "lt50", "q-sign": "no"}).content.decode()
    assert 'id="start-application"' in html
    client.logout()
    html = client.get("/guide/restaurant/", {"q-area": "lt50", "q-sign": "no"}).content.decode()
    assert "登录后在线申请" in html


def test_a_post_without_a_checkbox_group_keeps_its_answer(client, applicant):
    """Unticking every box sends nothing; only a form that showed the group may clear it."""
    from lianban.applications.tests.factories import publish
    from lianban.catalog.models import ItemField, ServiceItem
    from lianban.catalog.tests.factories import FieldFactory, restaurant_bundle

    bundle = restaurant_bundle()
    items = FieldFactory(
        key="food_items",
        label="经营项目",
        type="multichoice",
        choices=[{"key": "hot", "label": "热食"}, {"key": "cold", "label": "冷食"}],
    )
    ItemField.objects.create(
        item=ServiceItem.objects.get(code="SCJGJ-001"), field=items, required=True, position=9
    )
    publish(bundle)
    app = start(client)
    client.post(
        f"/applications/{app.pk}/save/",
        {"f-food_items": ["hot", "cold"], "f-food_items-present": "1", "then": "save"},
    )
    app.refresh_from_db()
    assert app.form_data["food_items"] == ["hot", "cold"]
    client.post(f"/applications/{app.pk}/save/", {"f-business_area": "30", "then": "save"})
    app.refresh_from_db()
    assert app.form_data["food_items"] == ["hot", "cold"]
    client.post(f"/applications/{app.pk}/save/", {"f-food_items-present": "1", "then": "save"})
    app.refresh_from_db()
    assert "food_items" not in app.form_data


def test_registration_cannot_take_over_an_applicant_served_at_the_window(client):
    from lianban.applications.tests.factories import resident_id

    known = ApplicantFactory(person=True, walk_in=True, phone="13700000001")
    response = client.post(
        "/accounts/register/",
        {
            "kind": "natural",
            "name": "冒名者",
            "id_number": known.id_number,
            "phone": "13912345678",
            "password": "yi-jian-shi-2026",
            "password2": "yi-jian-shi-2026",
        },
    )
    assert response.status_code == 400
    assert "统一身份认证" in response.content.decode()
    known.refresh_from_db()
    assert known.user is None and known.phone == "13700000001"
    assert resident_id(1)  # the factory's numbers are valid ones


def test_registration_ignores_a_foreign_next(client):
    response = client.post(
        "/accounts/register/?next=https://evil.example/",
        {
            "kind": "natural",
            "name": "王小明",
            "id_number": "11010519491231002X",
            "phone": "13912345678",
            "password": "yi-jian-shi-2026",
            "password2": "yi-jian-shi-2026",
        },
    )
    assert response["Location"] == "/applications/"


def test_a_clerk_cannot_edit_or_withdraw_an_online_application(client, restaurant, applicant):
    from lianban.applications.tests.factories import clerk

    app = start(client)
    client.force_login(clerk())
    # An online draft is the applicant's own: not even visible to the window.
    assert client.post(f"/applications/{app.pk}/save/", {"f-business_area": "1"}).status_code == 404
    with pytest.raises(Exception) as exc:
        services.application_withdraw(application=app, actor=User.objects.get(role="clerk"))
    assert "网上申请由申请人本人" in str(exc.value)
    app.refresh_from_db()
    assert app.status == Application.Status.DRAFT


def test_withdrawing_takes_a_deliberate_confirmation(client, restaurant, applicant):
    app = start(client)
    response = client.post(f"/applications/{app.pk}/withdraw/", follow=True)
    assert "不能恢复" in response.content.decode()
    app.refresh_from_db()
    assert app.status == Application.Status.DRAFT
    client.post(f"/applications/{app.pk}/withdraw/", {"confirm": "1", "reason": "暂不开业"})
    app.refresh_from_db()
    assert app.status == Application.Status.WITHDRAWN
    from lianban.audit.models import Event

    assert Event.objects.get(verb="application.withdrawn").data["reason"] == "暂不开业"
