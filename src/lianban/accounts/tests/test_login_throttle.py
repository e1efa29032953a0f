"""Repeated failed sign-ins lock the account name for a while, whatever password comes next;
others are not affected; the lock ends by itself; the admin's login is throttled too."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from lianban.accounts import throttle
from lianban.catalog.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def _user(name: str, **kw):
    user = UserFactory(username=name, **kw)
    user.set_password(PASSWORD)
    user.save()
    return user


def _sign_in(client, username: str, password: str, url: str = "/accounts/login/"):
    return client.post(url, {"username": username, "password": password})


def test_five_failures_lock_the_account_name_for_fifteen_minutes(client):
    _user("chuangkou")
    _user("other")
    with time_machine.travel(dt.datetime(2026, 11, 27, 9, 0, tzinfo=dt.UTC), tick=False):
        for _ in range(throttle.PER_ACCOUNT):
            refused = _sign_in(client, "chuangkou", "wrong")
            assert refused.status_code == 200 and "请输入一个正确的" in refused.content.decode()
        locked = _sign_in(client, "chuangkou", PASSWORD)
        assert locked.status_code == 200
        assert "登录失败次数过多，已暂时锁定，请 15 分钟后再试" in locked.content.decode()
        assert "_auth_user_id" not in client.session
        # Another account from the same address still signs in.
        assert _sign_in(client, "other", PASSWORD).status_code == 302
        client.logout()
    with time_machine.travel(dt.datetime(2026, 11, 27, 9, 16, tzinfo=dt.UTC), tick=False):
        assert _sign_in(client, "chuangkou", PASSWORD).status_code == 302


def test_a_success_clears_the_count(client):
    _user("zhangsan")
    for _ in range(throttle.PER_ACCOUNT - 1):
        _sign_in(client, "zhangsan", "wrong")
    assert _sign_in(client, "zhangsan", PASSWORD).status_code == 302
    client.logout()
    for _ in range(throttle.PER_ACCOUNT - 1):
        _sign_in(client, "zhangsan", "wrong")
    assert _sign_in(client, "zhangsan", PASSWORD).status_code == 302


def test_one_address_trying_many_names_is_locked_too(client):
    _user("victim")
    for n in range(throttle.PER_ADDRESS):
        _sign_in(client, f"guess{n}", "wrong")
    locked = _sign_in(client, "victim", PASSWORD)
    assert "已暂时锁定" in locked.content.decode()


def test_the_admin_login_is_throttled_as_well(client):
    _user("admin", is_staff=True, is_superuser=True)
    for _ in range(throttle.PER_ACCOUNT):
        _sign_in(client, "admin", "wrong", "/admin/login/")
    locked = _sign_in(client, "admin", PASSWORD, "/admin/login/")
    assert locked.status_code == 200 and "已暂时锁定" in locked.content.decode()


def test_the_cache_never_holds_the_account_name():
    throttle.failed("110101199003077777", "127.0.0.1")
    from django.core.cache import cache

    keys = list(cache._cache.keys())  # type: ignore[attr-defined]
    assert keys and not any("110101199003077777" in k for k in keys)
