"""The public pages, rendered by Django's test client."""

import pytest

from lianban.catalog import services
from lianban.catalog.tests.factories import add_situation, restaurant_bundle

pytestmark = pytest.mark.django_db


@pytest.fixture
def restaurant():
    bundle = restaurant_bundle()
    add_situation(
        bundle,
        "size",
        "招牌面积？",
        [("small", "小于10㎡"), ("big", "10㎡以上")],
        ask_when={"sign": ["yes"]},
    )
    version = services.bundle_submit_for_filing(bundle=bundle, actor=None)
    services.version_record(version=version, actor=None)
    services.version_publish(version=version, actor=None)
    return bundle


def test_home_lists_bundles_by_subject_and_category(client, restaurant):
    html = client.get("/").content.decode()
    assert "法人及其他组织办事" in html
    assert "设立开办" in html
    assert "我要开饭店" in html


def test_home_search(client, restaurant):
    assert "我要开饭店" in client.get("/", {"q": "消防"}).content.decode()
    html = client.get("/", {"q": "结婚"}).content.decode()
    assert "我要开饭店" not in html
    assert "没有找到相关的一件事" in html


def test_guide_without_answers_asks_the_questions(client, restaurant):
    html = client.get("/guide/restaurant/").content.decode()
    assert "经营场所面积是多少？" in html
    assert "是否设置门头招牌？" in html
    assert "招牌面积？" not in html  # only asked once a sign is chosen
    assert "还有 2 个问题未回答" in html


def test_guide_with_answers_shows_the_tailored_plan(client, restaurant):
    html = client.get("/guide/restaurant/", {"q-area": "ge100", "q-sign": "no"}).content.decode()
    assert "食品经营许可核发" in html
    assert "公众聚集场所投入使用、营业前消防安全检查" in html
    assert "食品小经营店登记" not in html
    assert 'id="plan-total-days">13<' in html
    assert "还有" not in html


def test_follow_up_question_appears_when_it_applies(client, restaurant):
    html = client.get("/guide/restaurant/", {"q-area": "lt50", "q-sign": "yes"}).content.decode()
    assert "招牌面积？" in html


def test_htmx_request_gets_only_the_guide_body(client, restaurant):
    response = client.get("/guide/restaurant/", {"q-area": "lt50"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="guide"')
    assert "<html" not in html


def test_a_bad_answer_is_explained_not_a_crash(client, restaurant):
    response = client.get("/guide/restaurant/", {"q-area": "huge"})
    assert response.status_code == 200
    assert "没有选项“huge”" in response.content.decode()


def test_unknown_bundle_is_404(client, restaurant):
    assert client.get("/guide/nothing/").status_code == 404


def test_notice_lists_items_materials_fields_and_limits(client, restaurant):
    html = client.get(
        "/guide/restaurant/notice/", {"q-area": "ge100", "q-sign": "yes", "q-size": "small"}
    ).content.decode()
    assert "一次性告知单" in html
    assert "经营场所面积是多少？" in html and "100㎡以上" in html
    assert "二、办理事项（共 4 项）" in html
    assert "三、申请材料（一套材料，共 4 份" in html
    assert "经营面积" in html
    assert "承诺办结时限合计 <strong>13</strong> 个工作日" in html


def test_notice_pdf_is_sealed_registered_once_and_verifiable(client, restaurant, tmp_path):
    import subprocess

    from lianban.signing.models import IssuedDocument
    from lianban.signing.verify import verify_pdf

    answers = {"q-area": "ge100", "q-sign": "yes", "q-size": "small"}
    html = client.get("/guide/restaurant/notice/", answers).content.decode()
    assert "下载加盖电子印章的 PDF" in html
    response = client.get("/guide/restaurant/notice.pdf", answers)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    data = b"".join(response.streaming_content)
    report = verify_pdf(data)
    assert report.authentic, report.problems
    assert report.document is not None and report.document.kind == IssuedDocument.Kind.GUIDE
    (tmp_path / "notice.pdf").write_bytes(data)
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "notice.pdf"), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "一次性告知单" in text and "二、办理事项（共4项）" in text
    # The same answers again: the same registered document, not a new one.
    again = client.get("/guide/restaurant/notice.pdf", answers)
    assert b"".join(again.streaming_content) == data
    assert IssuedDocument.objects.filter(kind=IssuedDocument.Kind.GUIDE).count() == 1
    # Other answers: another document.
    other = client.get("/guide/restaurant/notice.pdf", {"q-area": "lt50", "q-sign": "no"})
    assert other.status_code == 200
    assert IssuedDocument.objects.filter(kind=IssuedDocument.Kind.GUIDE).count() == 2


def test_notice_pdf_with_an_invalid_answer_is_refused_in_chinese(client, restaurant):
    response = client.get("/guide/restaurant/notice.pdf", {"q-area": "nonsense"})
    assert response.status_code == 400
    assert "一次性告知单" in response.content.decode()


def test_large_text_mode_is_remembered(client, restaurant):
    response = client.get("/prefs/text-size/", {"size": "large", "next": "/guide/restaurant/"})
    assert response.status_code == 302
    assert response["Location"] == "/guide/restaurant/"
    html = client.get("/guide/restaurant/").content.decode()
    assert 'class="large-text"' in html
    client.get("/prefs/text-size/", {"size": "normal"})
    assert 'class="large-text"' not in client.get("/").content.decode()


def test_text_size_switch_refuses_foreign_redirects(client):
    response = client.get("/prefs/text-size/", {"size": "large", "next": "https://evil.example/"})
    assert response["Location"] == "/"


def test_guide_page_query_count_is_small(client, restaurant, django_assert_max_num_queries):
    client.get("/guide/restaurant/")  # warm the definition cache
    with django_assert_max_num_queries(2):
        client.get("/guide/restaurant/", {"q-area": "ge100", "q-sign": "no"})


def test_progress_lookup_by_receipt_number_and_phone_tail(client):
    from lianban.applications.tests.factories import published_restaurant
    from lianban.cases.tests.factories import received_restaurant

    published_restaurant()
    app = received_restaurant()
    url = f"/track/{app.receipt_number}/"
    page = client.get(url).content.decode()
    assert "手机号码后四位" in page and app.receipt_number in page
    wrong = client.post(url, {"number": app.receipt_number, "phone_tail": "0000"})
    assert "不正确" in wrong.content.decode()
    right = client.post(
        url, {"number": app.receipt_number, "phone_tail": app.applicant.phone[-4:]}
    ).content.decode()
    assert "营业执照登记" in right and "待受理" in right
    assert app.applicant.credit_code not in right and app.applicant.name not in right


def test_progress_lookup_stops_guessing(client, restaurant):
    for _ in range(10):
        client.post("/track/", {"number": "20261127-0001-9", "phone_tail": "1234"})
    response = client.post("/track/", {"number": "20261127-0001-9", "phone_tail": "5678"})
    assert "尝试次数过多" in response.content.decode()
