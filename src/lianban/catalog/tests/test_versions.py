"""Versions through 备案: who may do what, what is frozen, and the audit trail it leaves."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lianban.audit.models import Event
from lianban.audit.services import verify_chain
from lianban.catalog import services
from lianban.catalog.models import BundleVersion, ServiceItem
from lianban.catalog.selectors import (
    definition_of,
    published_version,
    version_name,
    version_names,
)
from lianban.catalog.tests.factories import (
    DepartmentFactory,
    ServiceItemFactory,
    UserFactory,
    add_item,
    restaurant_bundle,
)
from lianban.common.errors import DomainError, NotAllowed, TransitionError
from lianban.notifications.models import Notification

pytestmark = pytest.mark.django_db
S = BundleVersion.Status


@pytest.fixture
def bundle():
    return restaurant_bundle()


@pytest.fixture
def editor(bundle):
    return UserFactory(editor=True, department=bundle.lead_department)


@pytest.fixture
def supervisor():
    return UserFactory(supervisor=True)


def publish(version, supervisor):
    services.version_record(version=version, actor=supervisor)
    return services.version_publish(version=version, actor=supervisor)


def test_submit_record_publish_leaves_the_whole_audit_sequence(bundle, editor, supervisor):
    v1 = services.bundle_submit_for_filing(bundle=bundle, actor=editor, change_note="首次发布")
    publish(v1, supervisor)
    item = ServiceItem.objects.get(code="SCJGJ-003")
    item.promised_limit_days = 3
    item.save()
    v2 = services.bundle_submit_for_filing(bundle=bundle, actor=editor, change_note="压缩时限")
    publish(v2, supervisor)

    events = list(
        Event.objects.filter(target_type="catalog.bundleversion").values_list(
            "verb", "target_id", "actor_label"
        )
    )
    assert [(verb, int(target)) for verb, target, _ in events] == [
        ("catalog.version_submitted", v1.pk),
        ("catalog.version_recorded", v1.pk),
        ("catalog.version_published", v1.pk),
        ("catalog.version_submitted", v2.pk),
        ("catalog.version_recorded", v2.pk),
        ("catalog.version_superseded", v1.pk),
        ("catalog.version_published", v2.pk),
    ]
    assert events[0][2] == f"user:{editor.pk}:{editor.username}"
    assert events[1][2] == f"user:{supervisor.pk}:{supervisor.username}"
    assert verify_chain() == (7, None)
    v1.refresh_from_db()
    v2.refresh_from_db()
    assert (v1.status, v2.status) == (S.SUPERSEDED, S.PUBLISHED)


def test_an_application_keeps_the_version_it_was_made_under(bundle, editor, supervisor):
    v1 = publish(services.bundle_submit_for_filing(bundle=bundle, actor=editor), supervisor)
    ServiceItem.objects.filter(code="SCJGJ-003").update(promised_limit_days=2)
    publish(services.bundle_submit_for_filing(bundle=bundle, actor=editor), supervisor)
    old = published_version("restaurant", 1)
    assert old is not None and old.pk == v1.pk
    small = next(i for i in definition_of(old).items if i["code"] == "SCJGJ-003")
    assert small["promised_limit_days"] == 5
    current = definition_of(published_version("restaurant"))
    assert next(i for i in current.items if i["code"] == "SCJGJ-003")["promised_limit_days"] == 2


def test_the_version_in_force_is_read_without_its_snapshot_once_compiled(
    bundle, editor, supervisor
):
    publish(services.bundle_submit_for_filing(bundle=bundle, actor=editor), supervisor)
    first = definition_of(published_version("restaurant"))
    with CaptureQueriesContext(connection) as queries:
        again = definition_of(published_version("restaurant"))
    assert again is first
    assert len(queries.captured_queries) == 1
    assert '"snapshot"' not in queries.captured_queries[0]["sql"]


def test_version_names_are_read_once_per_process_for_many_versions(bundle, editor, supervisor):
    v1 = publish(services.bundle_submit_for_filing(bundle=bundle, actor=editor), supervisor)
    ServiceItem.objects.filter(code="SCJGJ-003").update(promised_limit_days=2)
    v2 = publish(services.bundle_submit_for_filing(bundle=bundle, actor=editor), supervisor)
    with CaptureQueriesContext(connection) as queries:
        names = version_names([v1.pk, v2.pk, v1.pk])
    assert names == {v1.pk: bundle.name, v2.pk: bundle.name}
    assert len(queries.captured_queries) == 1  # both versions in one query
    with CaptureQueriesContext(connection) as queries:
        assert version_names([v2.pk]) == {v2.pk: bundle.name}
        assert version_name(v1.pk) == bundle.name
    assert queries.captured_queries == []
    assert version_names([]) == {}


def test_a_version_cannot_be_changed_once_made(bundle, editor):
    version = services.bundle_submit_for_filing(bundle=bundle, actor=editor)
    version.snapshot["name"] = "改过的名字"
    with pytest.raises(ValidationError):
        version.save()


def test_only_the_lead_department_may_submit(bundle):
    other = UserFactory(editor=True, department=DepartmentFactory(code="other"))
    with pytest.raises(NotAllowed):
        services.bundle_submit_for_filing(bundle=bundle, actor=other)
    applicant = UserFactory()
    with pytest.raises(NotAllowed):
        services.bundle_submit_for_filing(bundle=bundle, actor=applicant)
    assert not BundleVersion.objects.exists()
    assert not Event.objects.exists()


def test_only_the_supervisor_may_record_and_publish(bundle, editor):
    version = services.bundle_submit_for_filing(bundle=bundle, actor=editor)
    with pytest.raises(NotAllowed):
        services.version_record(version=version, actor=editor)
    version.refresh_from_db()
    assert version.status == S.SUBMITTED


def test_publishing_needs_recording_first(bundle, editor, supervisor):
    version = services.bundle_submit_for_filing(bundle=bundle, actor=editor)
    with pytest.raises(TransitionError) as exc:
        services.version_publish(version=version, actor=supervisor)
    assert "不能发布" in exc.value.message


def test_returning_needs_a_reason_and_tells_the_editors(bundle, editor, supervisor):
    version = services.bundle_submit_for_filing(bundle=bundle, actor=editor)
    with pytest.raises(DomainError) as exc:
        services.version_return(version=version, actor=supervisor, reason="  ")
    assert exc.value.errors[0]["path"] == "reason"
    services.version_return(version=version, actor=supervisor, reason="消防检查面积标准有误")
    version.refresh_from_db()
    assert version.status == S.RETURNED
    assert version.return_reason == "消防检查面积标准有误"
    assert Notification.objects.filter(recipient=editor, subject__contains="被退回").exists()


def test_submission_notifies_the_supervisors(bundle, editor, supervisor):
    services.bundle_submit_for_filing(bundle=bundle, actor=editor)
    assert (
        Notification.objects.filter(recipient=supervisor, subject__contains="提交备案").count() == 1
    )


def test_one_pending_version_at_a_time(bundle, editor):
    services.bundle_submit_for_filing(bundle=bundle, actor=editor)
    with pytest.raises(DomainError) as exc:
        services.bundle_submit_for_filing(bundle=bundle, actor=editor)
    assert "待备案" in exc.value.message


def test_an_unchanged_bundle_is_not_submitted_again(bundle, editor, supervisor):
    publish(services.bundle_submit_for_filing(bundle=bundle, actor=editor), supervisor)
    with pytest.raises(DomainError) as exc:
        services.bundle_submit_for_filing(bundle=bundle, actor=editor)
    assert "相同" in exc.value.message


def test_an_unreachable_item_blocks_submission(bundle, editor):
    add_item(
        bundle, ServiceItemFactory(name="永远不办的事项"), when={"area": ["lt50"], "sign": ["yes"]}
    )
    bundle.exclusive_groups = [["SCJGJ-003", "CGJ-001"]]
    bundle.save()
    with pytest.raises(DomainError) as exc:
        services.bundle_submit_for_filing(bundle=bundle, actor=editor)
    assert any("同时包含互斥事项" in e["message"] for e in exc.value.errors)


def test_a_dependency_cycle_blocks_submission(bundle, editor):
    base = bundle.bundle_items.get(item__code="SCJGJ-001")
    licence = bundle.bundle_items.get(item__code="SCJGJ-002")
    base.after.add(licence)
    with pytest.raises(DomainError) as exc:
        services.bundle_submit_for_filing(bundle=bundle, actor=editor)
    assert "循环" in exc.value.message
