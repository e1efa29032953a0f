"""A department system processes its cases through the API alone: token, list, read, download
a material, accept, decide, upload the result; the audit trail names the system."""

import hashlib
import uuid

import pytest

from lianban.audit.models import Event
from lianban.audit.services import verify_chain
from lianban.cases.models import ItemCase, ResultDocument
from lianban.cases.tests.factories import case_of, received_restaurant
from lianban.integration.models import ApiCall
from lianban.integration.tests.conftest import register, system_for

pytestmark = pytest.mark.django_db
S = ItemCase.Status


def test_a_department_system_processes_a_case_through_the_api_alone(restaurant, supervisor):
    app = received_restaurant()
    issued = register(supervisor, "scjgj")
    system = system_for(issued)

    listed = system.get("/cases", {"status": "dispatched"}).json()
    assert listed["count"] == 1
    (row,) = listed["results"]
    assert (row["item_code"], row["status"]) == ("SCJGJ-001", "dispatched")
    assert row["receipt_number"] == app.receipt_number
    assert "*" in row["applicant_identifier"]  # masked in every list

    case = system.get(f"/cases/{row['id']}").json()
    # Only what 营业执照登记 needs: its own fields and materials, nothing of the fire item.
    assert [f["key"] for f in case["fields"]] == ["applicant_name", "applicant_phone"]
    assert {m["code"] for m in case["materials"]} == {"id_card", "lease"}
    assert case["allowed_commands"] == ["accept", "refuse", "request_supplement"]
    file = case["materials"][0]["files"][0]
    download = system.get(file["download"].removeprefix("/api/v1"))
    assert download.status_code == 200
    assert hashlib.sha256(b"".join(download.streaming_content)).hexdigest() == file["sha256"]

    accepted = system.post(f"/cases/{row['id']}/accept", {"expected_status": "dispatched"})
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["status"] == "accepted"
    assert [c["kind"] for c in accepted.json()["clocks"]] == ["acceptance", "decision"]

    decided = system.post(
        f"/cases/{row['id']}/decide", {"expected_status": "accepted", "outcome": "approved"}
    )
    assert decided.json()["status"] == "decided"
    assert decided.json()["allowed_commands"] == ["return_result"]

    uploaded = system.upload_results(
        row["id"],
        "decided",
        [{"kind": "licence", "title": "营业执照", "number": "92410702MA0001"}],
        key=str(uuid.uuid4()),
    )
    assert uploaded.status_code == 200, uploaded.content
    assert uploaded.json()["status"] == "returned"
    assert [r["title"] for r in uploaded.json()["results"]] == ["营业执照"]
    assert (
        ResultDocument.objects.get(case_id=row["id"]).uploaded_by == issued.client.service_account
    )

    # The licence waited for this decision: it is now dispatched, and the system sees it.
    assert case_of(app, "SCJGJ-002").status == S.DISPATCHED
    listed = system.get("/cases", {"status": "dispatched"}).json()
    assert [r["item_code"] for r in listed["results"]] == ["SCJGJ-002"]

    # The trail names the client system on every change it made, and stays intact.
    label = Event.objects.filter(target_id=str(row["id"]), verb="case.accepted").get().actor_label
    assert issued.client.client_id in label
    verbs = list(
        Event.objects.filter(target_type="cases.itemcase", target_id=str(row["id"]))
        .filter(actor=issued.client.service_account)
        .values_list("verb", flat=True)
    )
    assert verbs == ["case.accepted", "case.decided", "case.result_returned"]
    assert verify_chain()[1] is None
    # Reads are logged too, with the case they concerned.
    reads = ApiCall.objects.filter(client=issued.client, method="GET", case_id=row["id"])
    assert reads.count() >= 2
    assert ApiCall.objects.filter(client=issued.client, path="/api/v1/oauth/token").exists()


def test_the_list_filters_by_item_and_due_date_and_pages(restaurant, supervisor):
    for _ in range(3):
        received_restaurant()
    system = system_for(register(supervisor, "scjgj"))
    everything = system.get("/cases").json()
    assert everything["count"] == 6  # per application: one dispatched, one waiting
    first = system.get("/cases", {"page_size": 4}).json()
    second = system.get("/cases", {"page_size": 4, "page": 2}).json()
    assert (first["pages"], len(first["results"]), len(second["results"])) == (2, 4, 2)
    ids = [r["id"] for r in first["results"] + second["results"]]
    assert len(set(ids)) == 6
    assert system.get("/cases", {"item": "SCJGJ-002"}).json()["count"] == 3
    due = first["results"][0]["running_due"]
    assert system.get("/cases", {"due_before": due, "status": "dispatched"}).json()["count"] == 3
    assert system.get("/cases", {"due_after": "2999-01-01"}).json()["count"] == 0


def test_filters_and_bodies_that_are_wrong_say_where_in_chinese(restaurant, supervisor):
    received_restaurant()
    system = system_for(register(supervisor, "scjgj"))
    bad = system.get("/cases", {"status": "opened"})
    assert bad.status_code == 400
    assert bad.json()["errors"][0]["path"] == "status"
    assert "opened" in bad.json()["message"]
    too_big = system.get("/cases", {"page_size": 1000}).json()
    assert too_big["errors"] == [{"path": "page_size", "message": "应不大于 100。"}]
    case_id = system.get("/cases", {"status": "dispatched"}).json()["results"][0]["id"]
    refused = system.post(
        f"/cases/{case_id}/refuse", {"expected_status": "dispatched", "reason": " "}
    )
    assert refused.status_code == 400
    assert refused.json()["errors"] == [{"path": "reason", "message": "不予受理必须注明理由。"}]
    missing = system.post(f"/cases/{case_id}/refuse", {"expected_status": "dispatched"})
    assert missing.json()["errors"] == [{"path": "reason", "message": "必须填写。"}]
    upload = system.upload_results(case_id, "dispatched", [{"kind": "permit", "title": "x"}], "k1")
    assert upload.status_code == 400
    assert upload.json()["errors"][0]["path"] == "documents[0].kind"
