"""Who may do what: one department's system never sees another's cases, scopes are enforced,
revoking a secret or a client ends its tokens on the very next request, tokens expire, and
secrets are kept only as digests."""

import base64
import datetime as dt

import pytest
import time_machine
from django.test import Client

from lianban.cases.models import ItemCase
from lianban.cases.tests.factories import case_of, received_restaurant
from lianban.integration import services
from lianban.integration.models import AccessToken, ClientCredential, Scope
from lianban.integration.tests.conftest import DepartmentSystem, register, system_for

pytestmark = pytest.mark.django_db


def test_a_system_cannot_see_or_act_on_another_departments_cases(restaurant, supervisor):
    app = received_restaurant()
    fire_case = case_of(app, "XFZD-001")
    market = system_for(register(supervisor, "scjgj"))
    assert fire_case.pk not in [r["id"] for r in market.get("/cases").json()["results"]]
    read = market.get(f"/cases/{fire_case.pk}")
    assert read.status_code == 404
    assert read.json() == {
        "code": "not_found",
        "message": "未找到该办件。",
        "errors": [{"path": "case_id", "message": "未找到该办件。"}],
    }
    acted = market.post(f"/cases/{fire_case.pk}/accept", {"expected_status": "dispatched"})
    assert acted.status_code == 404
    file_id = 1
    assert market.get(f"/cases/{fire_case.pk}/materials/{file_id}").status_code == 404
    fire_case.refresh_from_db()
    assert fire_case.status == ItemCase.Status.DISPATCHED


def test_a_material_of_another_item_of_the_same_application_is_not_served(restaurant, supervisor):
    app = received_restaurant()
    market_case = case_of(app, "SCJGJ-001")
    floor_plan = app.material_files.get(material_code="floor_plan")  # the fire item's only
    market = system_for(register(supervisor, "scjgj"))
    response = market.get(f"/cases/{market_case.pk}/materials/{floor_plan.pk}")
    assert response.status_code == 404


def test_each_endpoint_needs_its_scope(restaurant, supervisor):
    app = received_restaurant()
    case = case_of(app, "SCJGJ-001")
    reader = system_for(register(supervisor, "scjgj", scopes=[Scope.CASES_READ]))
    assert reader.get("/cases").status_code == 200
    acted = reader.post(f"/cases/{case.pk}/accept", {"expected_status": "dispatched"})
    assert acted.status_code == 403
    assert acted.json()["code"] == "insufficient_scope"
    assert "cases:act" in acted.json()["message"]
    file = app.material_files.get(material_code="lease")
    assert reader.get(f"/cases/{case.pk}/materials/{file.pk}").status_code == 403
    assert reader.get("/webhooks").status_code == 403
    actor = system_for(register(supervisor, "scjgj", scopes=[Scope.CASES_ACT]))
    assert actor.get("/cases").status_code == 403


def test_a_token_asks_for_no_more_than_the_client_was_given(restaurant, supervisor):
    issued = register(supervisor, "scjgj", scopes=[Scope.CASES_READ, Scope.CASES_ACT])
    system = DepartmentSystem(issued.client.client_id, issued.secret)
    narrowed = system.authenticate(scope="cases:read")
    assert narrowed["scope"] == "cases:read"
    assert system.post("/cases/1/accept", {"expected_status": "dispatched"}).status_code == 403
    response = Client().post(
        "/api/v1/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": issued.client.client_id,
            "client_secret": issued.secret,
            "scope": "cases:read webhooks:manage",
        },
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid_scope"


def test_taking_a_scope_away_applies_to_tokens_already_issued(restaurant, supervisor):
    issued = register(supervisor, "scjgj")
    system = system_for(issued)
    assert system.get("/cases").status_code == 200
    services.client_set_scopes(client=issued.client, scopes=[Scope.CASES_ACT], actor=supervisor)
    assert system.get("/cases").status_code == 403


def test_the_token_endpoint_takes_http_basic_and_refuses_wrong_secrets(supervisor, restaurant):
    issued = register(supervisor, "scjgj")
    basic = base64.b64encode(f"{issued.client.client_id}:{issued.secret}".encode()).decode()
    ok = Client().post(
        "/api/v1/oauth/token",
        {"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert ok.status_code == 200
    assert ok.json()["token_type"] == "Bearer"
    assert ok.json()["expires_in"] == 3600
    assert ok["Cache-Control"] == "no-store"
    wrong = Client().post(
        "/api/v1/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": issued.client.client_id,
            "client_secret": issued.secret + "x",
        },
    )
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "invalid_client"
    grant = Client().post(
        "/api/v1/oauth/token",
        {
            "grant_type": "password",
            "client_id": issued.client.client_id,
            "client_secret": issued.secret,
        },
    )
    assert (grant.status_code, grant.json()["code"]) == (400, "unsupported_grant_type")


def test_secrets_and_tokens_are_stored_only_as_digests(supervisor, restaurant):
    issued = register(supervisor, "scjgj")
    system = system_for(issued)
    credential = ClientCredential.objects.get(client=issued.client)
    assert issued.secret not in credential.secret_hash
    assert credential.secret_hash == services.digest(issued.secret)
    assert AccessToken.objects.get().token_hash == services.digest(system.token)


def test_revoking_the_secret_ends_its_tokens_on_the_next_request(restaurant, supervisor):
    issued = register(supervisor, "scjgj")
    system = system_for(issued)
    assert system.get("/cases").status_code == 200
    services.credential_revoke(credential=issued.credential, actor=supervisor)
    response = system.get("/cases")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"
    assert response.json()["message"] == "访问令牌已被吊销。"
    again = Client().post(
        "/api/v1/oauth/token",
        {
            "grant_type": "client_credentials",
            "client_id": system.client_id,
            "client_secret": issued.secret,
        },
    )
    assert again.status_code == 401


def test_rotation_keeps_the_old_secret_until_it_is_revoked(restaurant, supervisor):
    issued = register(supervisor, "scjgj")
    old = system_for(issued)
    rotated = services.client_rotate_secret(client=issued.client, actor=supervisor)
    new = system_for(rotated)
    assert old.get("/cases").status_code == 200
    services.client_rotate_secret(client=issued.client, actor=supervisor, revoke_others=True)
    assert old.get("/cases").status_code == 401
    assert new.get("/cases").status_code == 401


def test_revoking_the_client_stops_everything_at_once(restaurant, supervisor):
    issued = register(supervisor, "scjgj")
    system = system_for(issued)
    services.client_revoke(client=issued.client, actor=supervisor)
    assert system.get("/cases").status_code == 401
    issued.client.service_account.refresh_from_db()
    assert issued.client.service_account.is_active is False
    assert not issued.client.service_account.has_usable_password()


def test_tokens_expire(restaurant, supervisor):
    with time_machine.travel(dt.datetime(2026, 11, 24, 2, tzinfo=dt.UTC), tick=False) as t:
        system = system_for(register(supervisor, "scjgj"))
        t.shift(dt.timedelta(seconds=3599))
        assert system.get("/cases").status_code == 200
        t.shift(dt.timedelta(seconds=2))
        response = system.get("/cases")
        assert response.status_code == 401
        assert response.json()["message"] == "访问令牌无效或已过期，请重新获取。"


def test_no_token_or_a_made_up_one_is_refused_in_chinese(restaurant):
    response = Client().get("/api/v1/cases")
    assert response.status_code == 401
    assert "Bearer" in response.json()["message"]
    made_up = Client().get("/api/v1/cases", headers={"Authorization": "Bearer lbt_nothing"})
    assert made_up.json()["code"] == "invalid_token"


def test_only_the_supervisor_registers_systems(restaurant, supervisor):
    from lianban.cases.tests.factories import reviewer
    from lianban.catalog.models import Department
    from lianban.common.errors import NotAllowed

    with pytest.raises(NotAllowed):
        services.client_register(
            name="自建系统",
            department=Department.objects.get(code="scjgj"),
            scopes=[Scope.CASES_READ],
            actor=reviewer("scjgj"),
        )


def test_refused_tokens_say_how_to_authenticate(restaurant, client):
    missing = client.get("/api/v1/cases")
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"] == 'Bearer realm="lianban"'
    wrong = client.get("/api/v1/cases", headers={"Authorization": "Bearer lbt_nothing"})
    assert wrong.status_code == 401
    assert 'error="invalid_token"' in wrong["WWW-Authenticate"]
    bad_client = client.post(
        "/api/v1/oauth/token",
        {"grant_type": "client_credentials", "client_id": "lbc_x", "client_secret": "lbs_x"},
    )
    assert bad_client.status_code == 401
    assert bad_client["WWW-Authenticate"].startswith("Basic")


def test_a_client_past_its_rate_limit_waits_and_others_do_not(restaurant, supervisor, monkeypatch):
    from django.core.cache import cache

    cache.clear()
    monkeypatch.setenv("LIANBAN_API_RATE_LIMIT", "3")
    busy = system_for(register(supervisor))
    other = system_for(register(supervisor, "xfzd"))
    assert [busy.get("/cases").status_code for _ in range(3)] == [200, 200, 200]
    refused = busy.get("/cases")
    assert refused.status_code == 429
    assert refused.json()["code"] == "rate_limited"
    assert "每分钟最多调用 3 次" in refused.json()["message"]
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert other.get("/cases").status_code == 200
    monkeypatch.setenv("LIANBAN_API_RATE_LIMIT", "0")  # 0: no limit
    assert busy.get("/cases").status_code == 200


def test_with_redis_the_rate_limit_is_counted_where_every_process_sees_it(
    restaurant, supervisor, monkeypatch, settings
):
    import uuid as _uuid

    import redis
    from django.core.cache import caches

    from lianban.integration.auth import ClientContext, RateLimited, throttle

    prefix = f"test-{_uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:6379/0",
            "KEY_PREFIX": prefix,
        }
    }
    monkeypatch.setenv("LIANBAN_API_RATE_LIMIT", "2")
    issued = register(supervisor)
    context = ClientContext(
        client_id=issued.client.pk,
        client_key=issued.client.client_id,
        department_id=issued.client.department_id,
        service_account_id=issued.client.service_account_id,
        scopes=frozenset(),
    )
    now = 1_800_000_000.0  # the start of a minute, so the window cannot turn mid-test
    throttle(context, now)
    throttle(context, now + 1)
    # Another web process is another connection to the same Redis: it sees both calls.
    other = redis.Redis.from_url("redis://127.0.0.1:6379/0")
    stored = [k for k in other.keys(f"{prefix}:*") if b"api-rate" in k]
    assert len(stored) == 1 and int(other.get(stored[0])) == 2
    with pytest.raises(RateLimited) as refused:
        throttle(context, now + 2)
    assert refused.value.headers["Retry-After"] == "58"
    throttle(context, now + 61)  # a new minute
    other.delete(*other.keys(f"{prefix}:*"))
    caches["default"].close()
