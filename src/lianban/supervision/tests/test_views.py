"""The pages: who may see what, the dashboard's numbers, drill-down, lists, Excel, bulletin."""

import datetime as dt
import html
import io
import re
import subprocess

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook
from pyhanko.pdf_utils.reader import PdfFileReader

from lianban.accounts.models import User
from lianban.audit.models import Event
from lianban.catalog.tests.factories import DepartmentFactory, UserFactory
from lianban.signing.models import IssuedDocument
from lianban.supervision import services
from lianban.supervision.models import Bulletin

pytestmark = pytest.mark.django_db
DASHBOARD = reverse("supervision:dashboard")


@pytest.fixture
def supervisor(client):
    user = UserFactory(supervisor=True)
    client.force_login(user)
    return user


def login(client, **kwargs):
    user = UserFactory(**kwargs)
    client.force_login(user)
    return user


def test_visitors_sign_in_and_clerks_and_applicants_are_refused(client):
    assert client.get(DASHBOARD).status_code == 302
    for role in (User.Role.APPLICANT, User.Role.CLERK, User.Role.EDITOR):
        login(client, role=role)
        for url in (DASHBOARD, reverse("supervision:export"), reverse("supervision:bulletins")):
            response = client.get(url)
            assert response.status_code == 403, (role, url)
            assert "无权访问电子监察" in response.content.decode()


def test_the_supervisor_sees_all_figures_the_ranking_and_the_freshness(client, supervisor, october):
    services.refresh_figures()
    page = client.get(DASHBOARD, {"month": "2026-10", "by": "department"}).content.decode()
    assert 'id="total-received">5<' in page
    assert 'id="total-dispatched">8<' in page
    assert 'id="total-processing-rate">66.7%<' in page
    assert 'id="total-completion-rate">57.1%<' in page
    assert 'id="total-intake-rate">75.0%<' in page
    assert 'id="ranking"' in page and "部门排名" in page
    assert "数据截至" in page
    assert page.index("市场监管局") < page.index("消防救援大队")


def test_the_dashboard_reads_a_fixed_number_of_queries(client, supervisor, october):
    services.refresh_figures()
    for by in ("bundle", "department", "window", "clerk"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(DASHBOARD, {"month": "2026-10", "by": by}).status_code == 200
        assert len(queries) <= 16, (by, [q["sql"] for q in queries])


def test_the_dashboard_is_read_once_per_refresh_and_follows_every_refresh(
    client, supervisor, october
):
    from lianban.cases.models import ItemCase

    services.refresh_figures()
    query = {"month": "2026-10", "by": "department"}
    with CaptureQueriesContext(connection) as first:
        page = client.get(DASHBOARD, query).content.decode()
    assert 'id="total-dispatched">8<' in page
    with CaptureQueriesContext(connection) as again:
        assert 'id="total-dispatched">8<' in client.get(DASHBOARD, query).content.decode()
    rollup_reads = [q for q in again if "supervision_casefigure" in q["sql"]]
    assert rollup_reads == [] and len(again) < len(first)

    # A case dispatched in October appears as soon as the rollup is refreshed, not later.
    from lianban.supervision.tests import data as d

    case = ItemCase.objects.filter(dispatched_at__month=10).order_by("pk").first()
    d.case(case.application, case.department, status="dispatched", dispatched=d.at(10, 20))
    assert 'id="total-dispatched">8<' in client.get(DASHBOARD, query).content.decode()
    services.refresh_figures(full=True)
    assert 'id="total-dispatched">9<' in client.get(DASHBOARD, query).content.decode()


def test_a_department_sees_its_own_figures_and_cases_only(client, october):
    services.refresh_figures()
    login(client, role=User.Role.REVIEWER, department=october["d1"])
    page = client.get(DASHBOARD, {"month": "2026-10"}).content.decode()
    assert "市场监管局" in page
    assert 'id="total-dispatched">3<' in page
    assert 'id="total-received"' not in page and 'id="ranking"' not in page
    drill = client.get(reverse("supervision:drill"), {"month": "2026-10", "figure": "dispatched"})
    listed = drill.content.decode()
    c = october["cases"]
    for n in (1, 3, 5):
        assert f'id="case-{c[n].pk}"' in listed
    for n in (2, 4, 6, 7, 9):
        assert f'id="case-{c[n].pk}"' not in listed
    # The window's figures and the bulletins are not a department's.
    assert (
        client.get(
            reverse("supervision:drill"), {"month": "2026-10", "figure": "received"}
        ).status_code
        == 404
    )
    assert client.get(reverse("supervision:bulletins")).status_code == 403


def test_drill_down_by_window_lists_that_window_s_cases(client, supervisor, october):
    services.refresh_figures()
    response = client.get(
        reverse("supervision:drill"),
        {"month": "2026-10", "by": "window", "key": "2号窗口", "figure": "dispatched"},
    )
    listed = response.content.decode()
    c = october["cases"]
    assert {n for n in c if f'id="case-{c[n].pk}"' in listed} == {3, 4, 7, 9}


def test_each_count_in_a_row_links_to_as_many_rows_behind_it(client, supervisor, october):
    services.refresh_figures()
    page = client.get(DASHBOARD, {"month": "2026-10", "by": "window"}).content.decode()
    rows = re.findall(r'<tr id="row-(window-[^"]+|total)">(.*?)</tr>', page, re.S)
    assert len(rows) == 3  # the two windows and the total
    followed = set()
    for _, cells in rows:
        assert cells.count("<td>") == 10
        for href, n in re.findall(
            r'<a (?:class="small" )?href="([^"]+)">(?:超期)?(\d+)</a>', cells
        ):
            url = html.unescape(href)
            assert url.startswith(reverse("supervision:drill") + "?month=2026-10&by=window")
            listed = client.get(url).content.decode()
            assert len(re.findall(r'<tr id="(?:case|application)-', listed)) == int(n), url
            followed.add(url.rsplit("figure=", 1)[1])
    assert {"received", "dispatched", "refused", "decided", "concluded"} <= followed


def test_warning_lists_render(client, supervisor, october):
    for light in ("yellow", "red"):
        assert client.get(reverse("supervision:warnings", args=[light])).status_code == 200
    assert client.get(reverse("supervision:warnings", args=["blue"])).status_code == 404


def test_excel_export_holds_the_figures(client, supervisor, october):
    services.refresh_figures()
    response = client.get(reverse("supervision:export"), {"month": "2026-10", "by": "window"})
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    book = load_workbook(io.BytesIO(response.content))
    sheet = book["2026-10"]
    header = [c.value for c in sheet[2]]
    rows = {
        r[0]: dict(zip(header, r, strict=True))
        for r in sheet.iter_rows(min_row=3, values_only=True)
    }
    assert rows["1号窗口"]["收件量"] == 2 and rows["2号窗口"]["收件量"] == 3
    assert rows["合计"]["办件量"] == 8
    assert rows["合计"]["办理及时率"] == pytest.approx(2 / 3)
    trend = {r[0]: r for r in book["月度走势"].iter_rows(min_row=2, values_only=True)}
    assert trend["2026-09"][1] == 1  # received in September


def test_the_supervisor_issues_a_sealed_bulletin_that_is_kept(client, supervisor, october):
    DepartmentFactory(code="dsj", name="政务服务和大数据管理局", is_supervisor=True)
    services.refresh_figures()
    response = client.post(reverse("supervision:bulletins"), {"month": "2026-10"})
    assert response.status_code == 302
    bulletin = Bulletin.objects.get()
    assert bulletin.month == dt.date(2026, 10, 1)
    assert bulletin.figures["total"]["dispatched"] == 8
    assert [r["label"] for r in bulletin.figures["ranking"]] == [
        "市场监管局",
        "卫生健康委",
        "消防救援大队",
    ]
    document = IssuedDocument.objects.get(number=bulletin.number)
    assert document.seal.department.is_supervisor
    pdf = client.get(reverse("supervision:bulletin_pdf", args=[bulletin.pk]))
    data = b"".join(pdf.streaming_content)
    assert data.startswith(b"%PDF")
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    text = re.sub(r"\s+", "", text)
    assert "电子监察通报" in text and "市场监管局" in text and "办件8件" in text
    signatures = PdfFileReader(io.BytesIO(data)).embedded_signatures
    assert [s.field_name for s in signatures]  # sealed
    assert Event.objects.filter(verb="supervision.bulletin_issued").count() == 1


def test_a_bulletin_needs_a_month_that_has_begun_and_a_supervisor_department(client, supervisor):
    response = client.post(reverse("supervision:bulletins"), {"month": "2026-10"})
    assert response.status_code == 400
    assert "尚未设置政务大数据局" in response.content.decode()
    DepartmentFactory(is_supervisor=True)
    response = client.post(reverse("supervision:bulletins"), {"month": "2099-01"})
    assert "不能签发尚未开始的月份" in response.content.decode()
    response = client.post(reverse("supervision:bulletins"), {"month": "十月"})
    assert "请按“年-月”选择月份" in response.content.decode()
    assert not Bulletin.objects.exists()
