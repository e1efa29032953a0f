"""A person in a real browser checks the receipt they were given on the verification page."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

import pytest
from django.db import connection

from lianban.applications.tests.factories import published_restaurant
from lianban.cases.tests.factories import received_restaurant
from lianban.signing.models import IssuedDocument
from lianban.signing.tests import factories as f

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
T = TypeVar("T")


def off_the_browser_thread(fn: Callable[[], T]) -> T:
    """Run ``fn`` in its own thread. Playwright's sync API keeps an event loop running in
    the test's thread, and pyHanko's sync signing calls ``asyncio.run``, which refuses to
    start inside a running loop."""
    out: dict[str, object] = {}

    def run() -> None:
        try:
            out["value"] = fn()
        except BaseException as exc:  # re-raised in the test's thread
            out["error"] = exc
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in out:
        raise out["error"]  # type: ignore[misc]
    return out["value"]  # type: ignore[return-value]


def make_receipt() -> IssuedDocument:
    published_restaurant()
    app = received_restaurant()
    return IssuedDocument.objects.get(kind=IssuedDocument.Kind.RECEIPT, application=app)


def test_a_person_uploads_a_sealed_receipt_and_sees_it_is_authentic(live_server, page, tmp_path):
    receipt = off_the_browser_thread(make_receipt)
    path = tmp_path / "收件回执.pdf"
    path.write_bytes(f.file_bytes(receipt))

    page.goto(live_server.url + "/verify/")
    page.get_by_label("上传 PDF 文书").set_input_files(str(path))
    page.get_by_role("button", name="核验文件").click()
    verdict = page.locator("#verdict")
    verdict.wait_for()
    text = verdict.inner_text()
    assert "文书真实有效" in text
    assert "政务服务中心一件事一次办专用章" in text
    assert receipt.number in text

    # The register's entry, as the QR code would open it.
    page.get_by_role("link", name=receipt.number, exact=False).click()
    page.wait_for_url(f"**/verify/{receipt.number}/")
    assert "本平台已登记签发此文书，当前有效。" in page.locator("#doc-status").inner_text()
