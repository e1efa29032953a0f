"""Property-based testing of every form a person submits (hypothesis).

For arbitrary input — any Unicode (NUL included), very long text, numbers out of range,
malformed dates, wrong types, missing and extra keys, whitespace — every form class of the
project and the merged application form built from the catalog keep three properties:

(a) nothing raises: the input is either valid or invalid with errors;
(b) every error message shown to people is in Chinese;
(c) what is accepted meets the field's own constraints (lengths, choices, ranges, the
    GB 11643 and GB 32100 check characters, the mobile number format).

Then the pages that take the most typing are posted to end to end — the applicant's form,
the window's walk-in intake, verdicts and receipt, the department's transitions with their
reasons, a proposal, signing in: no input gives a 500; a refused input shows the page again
with a Chinese message, and changes nothing (rows and audit events as before).

The form classes are found by walking the project's modules, so a new form without an entry
here fails ``test_every_form_class_is_fuzzed``."""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from unicodedata import normalize

import pytest
from django import forms
from django.contrib import admin
from django.contrib.auth import SESSION_KEY
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.test import Client, RequestFactory
from django.utils import translation
from django.utils.datastructures import MultiValueDict
from hypothesis import example, given, settings
from hypothesis import strategies as st

import lianban
from lianban.accounts.models import Applicant, User
from lianban.applications import formdata
from lianban.applications import services as intake
from lianban.applications.models import Application, MaterialReview, Notice
from lianban.applications.selectors import plan_of
from lianban.audit.models import Event
from lianban.cases import services as case_services
from lianban.cases.models import ItemCase, Suspension
from lianban.catalog.models import Bundle, BundleVersion, Department, Field, ServiceItem
from lianban.common import identity
from lianban.proposals.models import Proposal
from lianban.tests.fuzzing import (
    FUZZ,
    PAGES,
    alerts,
    assert_refused_in_chinese,
    characters,
    chinese,
    credit_codes,
    extra_keys,
    junk_text,
    phones,
    posted_values,
    resident_ids,
    tainted,
    wrong_types,
)

pytestmark = pytest.mark.django_db

PASSWORD = "Lianban-fuzz-2026"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings: Any) -> None:
    # Each sign-in example hashes a password; the production hasher is slow by design.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- Which classes -----------------------------------------------------------------------

# Form classes of the project that are not fuzzed here, each with the reason.
EXCLUDED: dict[str, str] = {}


def _subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def project_form_classes() -> set[str]:
    """Every subclass of django.forms.BaseForm defined in a module of the project (tests
    and migrations aside), found by importing every module."""
    for info in pkgutil.walk_packages(lianban.__path__, "lianban."):
        if ".tests" in info.name or ".migrations" in info.name or info.name == "lianban.__main__":
            continue
        importlib.import_module(info.name)
    return {
        f"{c.__module__}.{c.__qualname__}"
        for c in _subclasses(forms.BaseForm)
        if c.__module__.startswith("lianban.") and ".tests" not in c.__module__
    }


# --- The fuzz table ----------------------------------------------------------------------


@dataclass
class Subject:
    """One form class: how to make one from posted data, what valid values look like for
    each input (by its posted name), and what else a valid form must satisfy."""

    name: str
    make: Callable[[Any, dict[str, Any]], forms.BaseForm]
    good: Callable[[dict[str, Any]], dict[str, st.SearchStrategy[list[str]]]]
    setup: Callable[[], dict[str, Any]] = dict
    check: Callable[[forms.BaseForm, dict[str, Any]], None] = lambda form, ctx: None
    seen: dict[str, int] = field(default_factory=lambda: {"valid": 0, "invalid": 0})


def one(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    return strategy.map(lambda v: [v])


def choice_of(values: Any) -> st.SearchStrategy[list[str]]:
    return one(st.sampled_from([str(v) for v in values]))


names = st.text(st.characters(categories=("Lo", "Ll", "Lu", "Nd")), min_size=1, max_size=20).filter(
    lambda s: s.strip() == s
)


def _register_check(form: forms.BaseForm, ctx: dict[str, Any]) -> None:
    d = form.cleaned_data
    if d["kind"] == Applicant.Kind.NATURAL:
        assert identity.validate_resident_id(d["id_number"]) == d["id_number"]
    else:
        assert identity.validate_credit_code(d["credit_code"]).value == d["credit_code"]
        assert d["legal_representative"]
    assert d["password"] == d["password2"]


def _walk_in_check(form: forms.BaseForm, ctx: dict[str, Any]) -> None:
    data = form.applicant_data()  # type: ignore[attr-defined]
    if data["kind"] == Applicant.Kind.NATURAL:
        assert identity.validate_resident_id(data["id_number"]) == data["id_number"]
        assert not data["credit_code"]
    else:
        code = identity.validate_credit_code(data["credit_code"])
        assert code.value == data["credit_code"]
        assert form.credit_warning == code.warning  # type: ignore[attr-defined]
        assert data["legal_representative"] and not data["id_number"]
    assert data["name"]


def _walk_in(kind: str) -> Subject:
    from lianban.window.forms import WalkInApplicantForm

    def good(ctx: dict[str, Any]) -> dict[str, st.SearchStrategy[list[str]]]:
        common = {"applicant-name": one(names), "applicant-phone": one(phones)}
        if kind == Applicant.Kind.NATURAL:
            return {**common, "applicant-id_number": one(resident_ids())}
        return {
            **common,
            "applicant-credit_code": one(credit_codes()),
            "applicant-legal_representative": one(names),
        }

    return Subject(
        name="lianban.window.forms.WalkInApplicantForm",
        make=lambda data, ctx: WalkInApplicantForm(data, kind=kind),
        good=good,
        check=_walk_in_check,
    )


def _sign_in(admin_form: bool) -> Subject:
    from lianban.accounts.forms import AdminSignInForm, SignInForm

    def setup() -> dict[str, Any]:
        user = User.objects.create_user(
            username="fuzz-user", password=PASSWORD, is_staff=admin_form
        )
        return {"user": user}

    def make(data: Any, ctx: dict[str, Any]) -> forms.BaseForm:
        cache.clear()  # each example starts with no failed attempts counted
        request = RequestFactory().post("/accounts/login/", REMOTE_ADDR="192.0.2.7")
        cls = AdminSignInForm if admin_form else SignInForm
        return cls(request, data=data)

    def check(form: forms.BaseForm, ctx: dict[str, Any]) -> None:
        assert form.get_user() == ctx["user"]  # type: ignore[attr-defined]

    return Subject(
        name=f"lianban.accounts.forms.{'AdminSignInForm' if admin_form else 'SignInForm'}",
        make=make,
        good=lambda ctx: {
            "username": one(st.just("fuzz-user")),
            "password": one(st.just(PASSWORD)),
        },
        setup=setup,
        check=check,
    )


def _register() -> Subject:
    from lianban.accounts.forms import RegisterForm

    def good(ctx: dict[str, Any]) -> dict[str, st.SearchStrategy[list[str]]]:
        return {
            "kind": choice_of(Applicant.Kind.values),
            "name": one(names),
            "id_number": one(resident_ids()),
            "credit_code": one(credit_codes()),
            "legal_representative": one(names),
            "phone": one(phones),
            "password": one(st.just(PASSWORD)),
            "password2": one(st.just(PASSWORD)),
        }

    return Subject(
        name="lianban.accounts.forms.RegisterForm",
        make=lambda data, ctx: RegisterForm(data),
        good=good,
        check=_register_check,
    )


def _departments() -> dict[str, Any]:
    from lianban.catalog.tests.factories import DepartmentFactory

    DepartmentFactory(code="scjgj", name="区市场监管局")
    DepartmentFactory(code="dsj", name="政务大数据局", is_supervisor=True)
    return {"departments": [str(d.pk) for d in Department.objects.filter(is_supervisor=False)]}


def _scope_values() -> list[str]:
    from lianban.integration.forms import DEPARTMENT_SCOPES

    return [c[0] for c in DEPARTMENT_SCOPES]


scope_lists = st.lists(st.sampled_from(_scope_values()), min_size=1, max_size=4, unique=True)


def _client_form() -> Subject:
    from lianban.integration.forms import ClientForm

    return Subject(
        name="lianban.integration.forms.ClientForm",
        make=lambda data, ctx: ClientForm(data),
        good=lambda ctx: {
            "name": one(names),
            "department": choice_of(ctx["departments"]),
            "scopes": scope_lists,
        },
        setup=_departments,
        check=lambda form, ctx: _no_supervisor(form.cleaned_data["department"]),
    )


def _no_supervisor(department: Department) -> None:
    # A department system never acts for the supervisor.
    assert not department.is_supervisor


def _scopes_form() -> Subject:
    from lianban.integration.forms import ScopesForm

    return Subject(
        name="lianban.integration.forms.ScopesForm",
        make=lambda data, ctx: ScopesForm(data),
        good=lambda ctx: {"scopes": scope_lists},
    )


def _published() -> dict[str, Any]:
    from lianban.applications.tests.factories import published_restaurant

    bundle = published_restaurant()
    return {
        "bundles": [str(bundle.pk)],
        "items": [str(pk) for pk in ServiceItem.objects.values_list("pk", flat=True)],
        "departments": [
            str(pk)
            for pk in Department.objects.filter(is_supervisor=False).values_list("pk", flat=True)
        ],
    }


def _proposal_check(form: forms.BaseForm, ctx: dict[str, Any]) -> None:
    bundle = form.cleaned_data["bundle"]
    assert bundle is None or bundle.versions.filter(status=BundleVersion.Status.PUBLISHED).exists()


def _proposal_form() -> Subject:
    from lianban.proposals.forms import ProposalForm

    return Subject(
        name="lianban.proposals.forms.ProposalForm",
        make=lambda data, ctx: ProposalForm(data),
        good=lambda ctx: {
            "kind": choice_of(Proposal.Kind.values),
            "title": one(names),
            "subject": choice_of(Bundle.Subject.values),
            "category": choice_of(Bundle.Category.values),
            "bundle": choice_of(ctx["bundles"]),
            "change": one(names),
            "items": st.lists(st.sampled_from(ctx["items"]), max_size=3, unique=True),
            "items_text": one(names),
            "reason": one(names),
            "proposer_name": one(names),
            "phone": one(phones),
        },
        setup=_published,
        check=_proposal_check,
    )


def _track_form() -> Subject:
    from lianban.proposals.forms import TrackForm

    return Subject(
        name="lianban.proposals.forms.TrackForm",
        make=lambda data, ctx: TrackForm(data),
        good=lambda ctx: {"phone_tail": one(st.text("0123456789", min_size=4, max_size=4))},
    )


def _triage_form() -> Subject:
    from lianban.proposals.forms import TriageForm

    return Subject(
        name="lianban.proposals.forms.TriageForm",
        make=lambda data, ctx: TriageForm(data),
        good=lambda ctx: {
            "action": choice_of(["accept", "decline", "mark_duplicate"]),
            "department": choice_of(ctx["departments"]),
            "duplicate_of": one(st.just("JY-2026-0001")),
            "note": one(names),
            "seen_status": one(st.just("submitted")),
        },
        setup=_departments,
        check=lambda form, ctx: (
            form.cleaned_data["department"] is None
            or _no_supervisor(form.cleaned_data["department"])
        ),
    )


def _version_action_form() -> Subject:
    from lianban.catalog.admin import BundleVersionAdmin, VersionActionForm

    def setup() -> dict[str, Any]:
        request = RequestFactory().get("/admin/catalog/bundleversion/")
        request.user = User.objects.create_superuser("fuzz-admin", password=PASSWORD)
        model_admin = BundleVersionAdmin(BundleVersion, admin.site)
        return {"choices": model_admin.get_action_choices(request)}

    def make(data: Any, ctx: dict[str, Any]) -> forms.BaseForm:
        # As the admin's change list does: the actions are the model admin's.
        form = VersionActionForm(data, auto_id=None)
        form.fields["action"].choices = ctx["choices"]  # type: ignore[attr-defined]
        return form

    return Subject(
        name="lianban.catalog.admin.VersionActionForm",
        make=make,
        good=lambda ctx: {
            "action": choice_of([c[0] for c in ctx["choices"] if c[0]]),
            "select_across": choice_of(["0", "1"]),
            "reason": one(names),
        },
        setup=setup,
    )


SUBJECTS: dict[str, Callable[[], Subject]] = {
    "register": _register,
    "sign-in": lambda: _sign_in(admin_form=False),
    "admin-sign-in": lambda: _sign_in(admin_form=True),
    "walk-in-natural": lambda: _walk_in(Applicant.Kind.NATURAL),
    "walk-in-legal": lambda: _walk_in(Applicant.Kind.LEGAL),
    "integration-client": _client_form,
    "integration-scopes": _scopes_form,
    "proposal": _proposal_form,
    "proposal-track": _track_form,
    "proposal-triage": _triage_form,
    "version-action": _version_action_form,
}


def test_every_form_class_is_fuzzed() -> None:
    covered = {make().name for make in SUBJECTS.values()}
    found = project_form_classes()
    missing = found - covered - set(EXCLUDED)
    assert not missing, (
        f"form classes without a fuzz entry (or an exclusion with a reason): {missing}"
    )
    assert not covered - found, f"fuzz entries for classes that no longer exist: {covered - found}"
    assert not set(EXCLUDED) - found, "exclusions of classes that no longer exist"


# --- Generic properties of a bound form --------------------------------------------------


@st.composite
def form_data(draw: Any, good: dict[str, st.SearchStrategy[list[str]]]) -> Any:
    """Posted data: valid values, except for the inputs drawn to be broken (any junk) or
    left out, plus keys the form does not know. As a QueryDict-like MultiValueDict, or as a
    plain dict that may hold values no browser sends."""
    keys = sorted(good)
    broken = draw(st.sets(st.sampled_from(keys))) if keys else set()
    missing = draw(st.sets(st.sampled_from(keys))) if keys else set()
    plain = draw(st.booleans())
    values: dict[str, list[Any]] = {}
    for key in keys:
        if key in missing:
            continue
        if key not in broken:
            values[key] = draw(good[key])
        elif plain:
            values[key] = [draw(st.one_of(junk_text, wrong_types))]
        else:
            values[key] = draw(posted_values)
    values.update({k: v for k, v in draw(extra_keys).items() if k not in good})
    if plain:
        return {k: (v[-1] if len(v) == 1 else v) for k, v in values.items()}
    return MultiValueDict(values)


def check_cleaned(form: forms.BaseForm) -> None:
    """What every valid field must satisfy, whatever the form."""
    for name, f in form.fields.items():
        if name not in form.cleaned_data:
            continue
        value = form.cleaned_data[name]
        if isinstance(f, forms.ModelMultipleChoiceField):
            assert set(value) <= set(f.queryset)  # type: ignore[attr-defined]
        elif isinstance(f, forms.ModelChoiceField):
            assert value is None or f.queryset.filter(pk=value.pk).exists()  # type: ignore[attr-defined]
            assert value is not None or not f.required
        elif isinstance(f, forms.MultipleChoiceField):
            keys = {str(k) for k, _ in f.choices}  # type: ignore[misc]
            assert isinstance(value, list) and set(value) <= keys
            assert value or not f.required
        elif isinstance(f, forms.ChoiceField):
            keys = {str(k) for k, _ in f.choices}  # type: ignore[misc]
            assert value in keys
            assert value != "" or not f.required
        elif isinstance(f, forms.CharField):
            assert isinstance(value, str)
            assert "\x00" not in value
            if f.max_length is not None:
                assert len(value) <= f.max_length
            if f.min_length is not None and value:
                assert len(value) >= f.min_length
            if f.strip:
                assert value == value.strip()
            assert value or not f.required
        for key, check in FORMATS.items():
            if name == key and value:
                check(value)


def _phone(value: str) -> None:
    assert re.fullmatch(r"1[3-9][0-9]{9}", value)


def _resident_id(value: str) -> None:
    assert len(value) == 18
    assert identity.resident_id_check_char(value[:17]) == value[17]


def _credit_code(value: str) -> None:
    assert identity.validate_credit_code(value).value == value


FORMATS: dict[str, Callable[[str], None]] = {
    "phone": _phone,
    "id_number": _resident_id,
    "credit_code": _credit_code,
}


def all_messages(form: forms.BaseForm) -> list[str]:
    return [m for errors in form.errors.values() for m in errors]


@pytest.mark.parametrize("key", list(SUBJECTS))
def test_a_form_is_valid_or_says_why_in_chinese(key: str) -> None:
    subject = SUBJECTS[key]()
    ctx = subject.setup()
    good = subject.good(ctx)

    @FUZZ
    @given(data=form_data(good))
    def run(data: Any) -> None:
        with translation.override("zh-hans"):
            form = subject.make(data, ctx)
            valid = form.is_valid()  # (a) never raises
            if valid:
                subject.seen["valid"] += 1
                check_cleaned(form)  # (c)
                subject.check(form, ctx)
            else:
                subject.seen["invalid"] += 1
                messages = all_messages(form)
                assert messages
                for message in messages:  # (b)
                    assert chinese(message), f"{subject.name}: not Chinese: {message!r}"

    run()
    # Both sides were exercised: a fuzzer that never reaches a valid form checks nothing of (c).
    assert subject.seen["valid"] and subject.seen["invalid"], subject.seen


# --- The merged application form ---------------------------------------------------------

CHOICES = [{"key": "a", "label": "甲"}, {"key": "b", "label": "乙"}, {"key": "c", "label": "丙"}]


def _field(kind: str) -> dict[str, Any]:
    return {
        "key": f"f_{kind}",
        "label": f"字段{kind}",
        "type": kind,
        "choices": CHOICES if kind in {"choice", "multichoice"} else [],
        "unit": "",
    }


def _text(limit: int) -> Callable[[Any, str], None]:
    def check(value: Any, warning: str) -> None:
        assert isinstance(value, str) and len(value) <= limit
        assert value == value.strip() and "\x00" not in value

    return check


def _integer(value: Any, warning: str) -> None:
    assert type(value) is int and 0 <= value < 10**12


def _decimal(value: Any, warning: str) -> None:
    assert isinstance(value, str) and re.fullmatch(r"[0-9]+(\.[0-9]{1,2})?", value)
    assert Decimal(value) <= Decimal("1e12")
    assert value == format(Decimal(value).normalize(), "f")


def _date(value: Any, warning: str) -> None:
    assert re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", value)
    assert dt.date.fromisoformat(value).isoformat() == value


def _choice(value: Any, warning: str) -> None:
    assert value in {"a", "b", "c"}


def _multichoice(value: Any, warning: str) -> None:
    assert isinstance(value, list) and set(value) <= {"a", "b", "c"}
    assert value == sorted(set(value))  # unique, in the options' order


def _boolean(value: Any, warning: str) -> None:
    assert isinstance(value, bool)


def _id_number(value: Any, warning: str) -> None:
    _resident_id(value)
    assert identity.validate_resident_id(value) == value


def _credit(value: Any, warning: str) -> None:
    _credit_code(value)
    ok = identity.credit_code_check_char(value[:17]) == value[17]
    assert (warning == "") == ok  # a check mismatch is warned about, in Chinese
    assert ok or chinese(warning)


def _phone_value(value: Any, warning: str) -> None:
    _phone(value)


def _email(value: Any, warning: str) -> None:
    validate_email(value)


# Per kind: valid values, and what a stored value of that kind must satisfy.
KINDS: dict[str, tuple[st.SearchStrategy[Any], Callable[[Any, str], None]]] = {
    "text": (names, _text(formdata.MAX_TEXT)),
    "address": (names.map(lambda s: f"河南省新乡市卫滨区{s}"), _text(formdata.MAX_TEXT)),
    "textarea": (st.text(characters, max_size=300), _text(formdata.MAX_TEXTAREA)),
    "integer": (st.integers(0, 10**12 - 1).map(str), _integer),
    "decimal": (
        st.decimals(0, 10**12, places=2, allow_nan=False, allow_infinity=False).map(str),
        _decimal,
    ),
    "date": (st.dates().map(str), _date),
    "choice": (st.sampled_from(["a", "b", "c"]), _choice),
    "multichoice": (st.lists(st.sampled_from(["a", "b", "c", " "])), _multichoice),
    "boolean": (st.sampled_from(["true", "false", "on", "是", "否", True, False]), _boolean),
    "id_number": (resident_ids(), _id_number),
    "credit_code": (
        st.one_of(
            credit_codes(), credit_codes().map(lambda c: c[:17] + ("0" if c[17] != "0" else "1"))
        ),
        _credit,
    ),
    "phone": (st.one_of(phones, phones.map(lambda p: f"+86 {p[:3]}-{p[3:]}")), _phone_value),
    "email": (st.emails(), _email),
}


def test_every_field_kind_of_the_catalog_is_fuzzed() -> None:
    assert set(KINDS) == set(Field.Type.values)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_a_merged_form_value_is_typed_or_refused_in_chinese(kind: str) -> None:
    good, check = KINDS[kind]
    f = _field(kind)
    seen = {"valid": 0, "invalid": 0}

    @FUZZ
    @given(raw=st.one_of(good, junk_text, st.lists(junk_text, max_size=3), wrong_types))
    def run(raw: Any) -> None:
        try:
            value, warning = formdata.clean_value(f, raw)
        except ValidationError as exc:
            seen["invalid"] += 1
            assert exc.messages
            for message in exc.messages:
                assert chinese(message), f"{kind}: not Chinese: {message!r}"
        else:
            seen["valid"] += 1
            check(value, warning)
            assert formdata.display(f, value) is not None

    run()
    assert seen["valid"] and seen["invalid"], seen


# --- End to end: the pages ---------------------------------------------------------------


@contextmanager
def rolled_back() -> Iterator[None]:
    """Each example starts from the same rows: whatever it changed is undone."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def counts(*models: Any) -> tuple[int, ...]:
    return tuple(m.objects.count() for m in (*models, Event))


@st.composite
def page_data(draw: Any, good: dict[str, st.SearchStrategy[list[str]]]) -> dict[str, Any]:
    keys = sorted(good)
    broken = draw(st.sets(st.sampled_from(keys)))
    missing = draw(st.sets(st.sampled_from(keys)))
    out: dict[str, Any] = {}
    for key in keys:
        if key in missing:
            continue
        out[key] = draw(posted_values if key in broken else good[key])
    out.update({k: v for k, v in draw(extra_keys).items() if k not in good})
    return out


def all_kinds_bundle() -> Bundle:
    """A bundle whose one item asks a field of every kind the catalog knows."""
    from lianban.applications.tests.factories import publish
    from lianban.catalog.tests.factories import (
        BundleFactory,
        DepartmentFactory,
        FieldFactory,
        MaterialFactory,
        ServiceItemFactory,
        add_item,
    )

    department = DepartmentFactory(code="scjgj", name="区市场监管局")
    fields = [
        FieldFactory(
            key=f"f_{kind}",
            label=f"字段{kind}",
            type=kind,
            required=False,
            choices=CHOICES if kind in {"choice", "multichoice"} else [],
        )
        for kind in Field.Type.values
    ]
    bundle = BundleFactory(code="all-kinds", name="字段全类型一件事", lead_department=department)
    add_item(
        bundle,
        ServiceItemFactory(
            code="ALL-001",
            department=department,
            materials=[MaterialFactory(code="id_card", name="申请人居民身份证")],
            fields=fields,
        ),
    )
    return publish(bundle)


def test_the_applicants_form_saves_valid_values_or_changes_nothing(client: Client) -> None:
    from lianban.applications.tests.factories import ApplicantFactory

    all_kinds_bundle()
    applicant = ApplicantFactory()
    application = intake.application_start(
        bundle_code="all-kinds",
        answers={},
        applicant=applicant,
        channel=Application.Channel.ONLINE,
        actor=applicant.user,
    )
    client.force_login(applicant.user)
    fields = {f["key"]: f for f in plan_of(application).fields}
    good = {f"f-{key}": KINDS[f["type"]][0].map(_as_posted) for key, f in fields.items()}
    seen = {"saved": 0, "refused": 0}

    @PAGES
    @given(values=page_data(good))
    @example(values={"f-f_text": "卫滨区\x00好味道", "f-f_integer": "12"})
    @example(values={"f-f_textarea": "\x00", "f-f_address": "卫滨区"})
    def run(values: dict[str, Any]) -> None:
        if "f-f_multichoice" in values:
            values["f-f_multichoice-present"] = "1"
        with rolled_back():
            before = counts(Application)
            response = client.post(f"/applications/{application.pk}/save/", values)
            stored = Application.objects.get(pk=application.pk).form_data
            if response.status_code == 302:
                seen["saved"] += 1
                for key, value in stored.items():
                    kind = fields[key]["type"]
                    KINDS[kind][1](value, _warning_of(kind, value))
            else:
                seen["refused"] += 1
                assert response.status_code == 400
                assert_refused_in_chinese(response)
                assert stored == application.form_data
                assert counts(Application) == before

    run()
    assert seen["saved"] and seen["refused"], seen


def _as_posted(value: Any) -> Any:
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _warning_of(kind: str, value: Any) -> str:
    if kind != "credit_code":
        return ""
    return identity.validate_credit_code(value).warning


@pytest.fixture
def restaurant() -> Bundle:
    from lianban.applications.tests.factories import published_restaurant

    return published_restaurant()


@pytest.fixture
def window(client: Client) -> User:
    from lianban.applications.tests.factories import clerk

    user = clerk()
    client.force_login(user)
    return user


def test_the_window_takes_in_a_walk_in_applicant_or_creates_nothing(
    client: Client, restaurant: Bundle, window: User
) -> None:
    good = {
        "q-area": choice_of(["lt50", "50to100", "ge100"]),
        "q-sign": choice_of(["yes", "no"]),
        "applicant-name": one(names),
        "applicant-credit_code": one(credit_codes()),
        "applicant-legal_representative": one(names),
        "applicant-phone": one(phones),
    }
    seen = {"taken": 0, "refused": 0}

    @PAGES
    @given(values=page_data(good))
    def run(values: dict[str, Any]) -> None:
        values.pop("refresh", None)  # a refresh only redraws the questions
        with rolled_back():
            before = counts(Application, Applicant)
            response = client.post("/window/new/restaurant/", values)
            if response.status_code == 302:
                seen["taken"] += 1
                applicant = Application.objects.get().applicant
                _credit_code(applicant.credit_code)
                _phone(applicant.phone)
                assert applicant.name and applicant.name == applicant.name.strip()
                assert len(applicant.name) <= 128 and "\x00" not in applicant.name
            else:
                seen["refused"] += 1
                assert response.status_code == 400
                assert_refused_in_chinese(response)
                assert counts(Application, Applicant) == before

    run()
    assert seen["taken"] and seen["refused"], seen


def _online_submission() -> Application:
    from lianban.applications.tests.factories import ApplicantFactory, pdf

    applicant = ApplicantFactory()
    app = intake.application_start(
        bundle_code="restaurant",
        answers={"area": "lt50", "sign": "no"},
        applicant=applicant,
        channel=Application.Channel.ONLINE,
        actor=applicant.user,
    )
    intake.application_save_form(
        application=app,
        data={
            "applicant_name": "卫滨区好味道餐饮店",
            "business_area": "30",
            "applicant_phone": "13912345678",
        },
        actor=applicant.user,
    )
    for m in plan_of(app).materials:
        intake.material_upload(
            application=app,
            material_code=m["code"],
            stream=pdf(),
            name=f"{m['code']}.pdf",
            actor=applicant.user,
        )
    return intake.application_submit(application=app, actor=applicant.user)


def test_the_windows_verdicts_and_receipt_keep_or_refuse_in_chinese(
    client: Client, restaurant: Bundle, window: User
) -> None:
    app = _online_submission()
    codes = [m["code"] for m in plan_of(app).materials]
    verdict = st.fixed_dictionaries(
        {
            "material": st.one_of(st.sampled_from(codes), junk_text),
            "verdict": st.one_of(
                st.sampled_from(["accepted"] * 3 + ["missing", "irregular", "deferred"]), junk_text
            ),
            "reason": st.one_of(st.just(""), tainted, junk_text),
        }
    )
    keys = [f["key"] for f in plan_of(app).fields]
    fix = st.dictionaries(
        st.sampled_from(keys).map(lambda k: f"fix-reason-{k}"),
        st.one_of(names, tainted, junk_text),
        max_size=len(keys),
    )
    url = f"/window/applications/{app.pk}"
    seen = {"received": 0, "corrected": 0, "refused": 0}

    @PAGES
    @given(
        verdicts=st.one_of(
            # Every material accepted (then the receipt is issued), or anything at all.
            st.just([{"material": c, "verdict": "accepted"} for c in codes]),
            st.lists(verdict, min_size=len(codes), max_size=len(codes) + 1),
        ),
        # Then the receipt, or the one-time correction notice with reasons for form fields.
        then=st.one_of(st.just("receive"), fix),
    )
    @example(
        verdicts=[{"material": codes[0], "verdict": "irregular", "reason": "复印件\x00模糊"}],
        then="receive",
    )
    @example(
        verdicts=[{"material": c, "verdict": "accepted"} for c in codes],
        then={f"fix-reason-{keys[0]}": "名称\x00有误"},
    )
    def run(verdicts: list[dict[str, str]], then: str | dict[str, str]) -> None:
        with rolled_back():
            for v in verdicts:
                before = counts(MaterialReview)
                old = MaterialReview.objects.filter(material_code=v["material"]).first()
                response = client.post(f"{url}/verdict/", v)
                if response.status_code == 302:
                    review = MaterialReview.objects.get(
                        application=app, material_code=v["material"]
                    )
                    assert review.verdict in {"accepted", "missing", "irregular"}
                    assert len(review.reason) <= 300 and "\x00" not in review.reason
                    assert review.verdict != "irregular" or review.reason
                else:
                    assert_refused_in_chinese(response)
                    assert counts(MaterialReview) == before
                    now = MaterialReview.objects.filter(material_code=v["material"]).first()
                    assert (now and now.verdict) == (old and old.verdict)
            before = counts(Notice, Application)
            if then == "receive":
                response = client.post(f"{url}/receive/")
            else:
                response = client.post(f"{url}/correction/", then)
            app.refresh_from_db()
            if response.status_code == 302:
                if then == "receive":
                    seen["received"] += 1
                    assert app.status == Application.Status.RECEIVED
                    assert app.notices.filter(kind=Notice.Kind.RECEIPT).exists()
                else:
                    seen["corrected"] += 1
                    assert app.status == Application.Status.CORRECTION
                    notice = app.notices.get(kind=Notice.Kind.CORRECTION)
                    for f in notice.content["fields"]:
                        assert f["reason"] and len(f["reason"]) <= 300
                        assert "\x00" not in f["reason"] and f["reason"] == f["reason"].strip()
            else:
                seen["refused"] += 1
                assert_refused_in_chinese(response)
                assert app.status == Application.Status.SUBMITTED
                assert counts(Notice, Application) == before

    run()
    assert all(seen.values()), seen


@pytest.fixture
def cases(restaurant: Bundle) -> dict[str, ItemCase]:
    """营业执照登记 dispatched to the market department; 消防安全检查 accepted by fire."""
    from lianban.cases.tests.factories import case_of, received_restaurant, reviewer

    app = received_restaurant()
    market = case_of(app, "SCJGJ-001")
    fire = case_of(app, "XFZD-001")
    fire_reviewer = reviewer("xfzd")
    case_services.case_accept(case=fire, actor=fire_reviewer)
    market.refresh_from_db()
    fire.refresh_from_db()
    return {"dispatched": market, "accepted": fire, "fire_reviewer": fire_reviewer}  # type: ignore[dict-item]


# Each action of the department's case page, on the case in the state it applies to, with
# the inputs it posts: valid ones, and one the fuzzer must always try — a NUL in the text.
reasons = st.one_of(names, tainted, junk_text)
ACTIONS: list[tuple[str, str, dict[str, st.SearchStrategy[Any]], dict[str, Any]]] = [
    ("dispatched", "accept", {}, {}),
    ("dispatched", "refuse", {"reason": reasons}, {"reason": "材料\x00不全"}),
    (
        "dispatched",
        "supplement",
        {
            "reason": reasons,
            "material_codes": st.lists(
                st.one_of(st.sampled_from(["id_card", "lease"]), junk_text), max_size=3
            ),
        },
        {"reason": "请补交\x00租赁合同", "material_codes": ["lease"]},
    ),
    (
        "accepted",
        "suspend",
        {"kind": st.one_of(st.sampled_from(Suspension.Kind.values), junk_text), "reason": reasons},
        {"kind": "inspection", "reason": "现场\x00检验"},
    ),
    (
        "accepted",
        "extend",
        {
            "days": st.one_of(st.integers(0, 12).map(str), junk_text),
            "approver": st.one_of(names, tainted, junk_text),
            "reason": reasons,
        },
        {"days": "5", "approver": "王\x00局长", "reason": "情况复杂"},
    ),
    (
        "accepted",
        "decide",
        {
            "outcome": st.one_of(st.sampled_from(ItemCase.Outcome.values), junk_text),
            "reason": reasons,
        },
        {"outcome": "denied", "reason": "不符合\x00条件"},
    ),
    ("accepted", "refuse", {"reason": reasons}, {"reason": "\x00"}),
]


def test_the_reviewers_transitions_take_valid_reasons_or_change_nothing(
    client: Client, cases: dict[str, Any]
) -> None:
    from lianban.cases.tests.factories import reviewer

    users = {"dispatched": reviewer("scjgj"), "accepted": cases["fire_reviewer"]}
    seen = {"done": 0, "refused": 0}
    # The status the page was shown in: usually the current one, sometimes anything.
    stale = st.integers(0, 3).flatmap(lambda n: st.none() if n else junk_text)

    for which, action, inputs, nul in ACTIONS:
        client.force_login(users[which])
        _fuzz_action(client, cases[which], action, inputs, nul, stale, seen)
    assert seen["done"] and seen["refused"], seen


def _fuzz_action(
    client: Client,
    case: ItemCase,
    action: str,
    inputs: dict[str, st.SearchStrategy[Any]],
    nul: dict[str, Any],
    stale: st.SearchStrategy[str | None],
    seen: dict[str, int],
) -> None:
    @settings(PAGES, max_examples=12)
    @given(values=st.fixed_dictionaries({}, optional=inputs), stale=stale)
    @example(values=nul, stale=None)
    def run(values: dict[str, Any], stale: str | None) -> None:
        values = {**values, "expected_status": case.status if stale is None else stale}
        with rolled_back():
            before = counts(ItemCase)
            response = client.post(f"/workbench/cases/{case.pk}/{action}/", values)
            now = ItemCase.objects.get(pk=case.pk)
            if response.status_code == 302:
                seen["done"] += 1
                assert now.status != case.status or action == "extend"
                assert now.reason == now.reason.strip() and "\x00" not in now.reason
                if action == "refuse" or now.outcome == ItemCase.Outcome.DENIED:
                    assert now.reason
                if action == "extend":
                    extension = now.extension  # type: ignore[attr-defined]
                    assert 1 <= extension.days <= 10 and extension.approver
                    assert "\x00" not in extension.approver + extension.reason
            else:
                seen["refused"] += 1
                assert_refused_in_chinese(response)
                assert now.status == case.status
                assert counts(ItemCase) == before

    run()


def test_a_proposal_is_taken_or_the_page_says_why_in_chinese(client: Client) -> None:
    ctx = _published()
    good = _proposal_form().good(ctx)
    seen = {"taken": 0, "refused": 0}

    @PAGES
    @given(values=page_data(good))
    def run(values: dict[str, Any]) -> None:
        cache.clear()
        with rolled_back():
            before = counts(Proposal)
            response = client.post("/proposals/new/", values)
            if not values:
                # An empty POST is a first visit: the blank form, no complaint.
                assert response.status_code == 200 and not alerts(response.content.decode())
                assert counts(Proposal) == before
            elif response.status_code == 302:
                seen["taken"] += 1
                proposal = Proposal.objects.get()
                _phone(proposal.phone)
                assert proposal.reason and len(proposal.reason) <= 2000
                assert proposal.proposer_name and len(proposal.proposer_name) <= 64
                assert proposal.kind in Proposal.Kind.values
            else:
                seen["refused"] += 1
                assert_refused_in_chinese(response)
                assert counts(Proposal) == before

    run()
    assert seen["taken"] and seen["refused"], seen


def test_signing_in_lets_in_the_right_password_only(client: Client) -> None:
    user = User.objects.create_user(username="fuzz-user", password=PASSWORD)
    good = {"username": one(st.just("fuzz-user")), "password": one(st.just(PASSWORD))}
    seen = {"in": 0, "refused": 0}

    @PAGES
    @given(values=page_data(good))
    def run(values: dict[str, Any]) -> None:
        cache.clear()
        client.logout()
        with rolled_back():
            response = client.post("/accounts/login/", values)
            if response.status_code == 302:
                seen["in"] += 1
                assert normalize("NFKC", str(values["username"][-1]).strip()) == "fuzz-user"
                assert values["password"][-1] == PASSWORD
                assert client.session[SESSION_KEY] == str(user.pk)
            else:
                seen["refused"] += 1
                assert_refused_in_chinese(response)
                assert SESSION_KEY not in client.session
                user.refresh_from_db()
                assert user.last_login is None

    run()
    assert seen["in"] and seen["refused"], seen


# The attempts are counted under a key holding the number as typed; only memcached, which
# the platform does not use (local memory or Redis), would refuse such a key.
@pytest.mark.filterwarnings("ignore::django.core.cache.backends.base.CacheKeyWarning")
def test_the_public_lookups_answer_any_number_in_chinese(
    client: Client, restaurant: Bundle
) -> None:
    """进度查询 (receipt number and the phone's last four digits) and 文书核验 by number: open
    to anyone, so any text at all gets an answer, never an error page."""
    app = _online_submission()
    receipt, tail = app.receipt_number, app.applicant.phone[-4:]
    seen = {"found": 0, "refused": 0}

    @PAGES
    @given(
        number=st.one_of(st.just(receipt), tainted, junk_text),
        phone_tail=st.one_of(st.just(tail), junk_text),
    )
    @example(number=f"{receipt}\x00", phone_tail=tail)
    @example(number="\x00", phone_tail="\x00")
    def run(number: str, phone_tail: str) -> None:
        cache.clear()  # the attempts counted per number
        response = client.post("/track/", {"number": number, "phone_tail": phone_tail})
        assert response.status_code == 200
        if number.strip().replace("\x00", "") == receipt and phone_tail.strip() == tail:
            seen["found"] += 1
            assert not alerts(response.content.decode())
            assert "办理进度" in response.content.decode() or receipt in response.content.decode()
        else:
            seen["refused"] += 1
            assert_refused_in_chinese(response)
        response = client.post("/verify/", {"number": number})
        if response.status_code == 302:
            assert response["Location"].startswith("/verify/")
        else:
            assert_refused_in_chinese(response)

    run()
    assert seen["found"] and seen["refused"], seen
