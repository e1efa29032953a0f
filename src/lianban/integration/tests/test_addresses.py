"""Webhook receivers may not be the platform's own machine or other internal addresses, unless
the operator lists their network; the check is made at registration and at every delivery."""

from __future__ import annotations

import pytest

from lianban.common.errors import DomainError
from lianban.integration import addresses, services
from lianban.integration.delivery import http_transport
from lianban.integration.tests.conftest import register

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/hook",
        "http://localhost/hook",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.1.2.3/hook",
        "http://[::1]/hook",
    ],
)
def test_internal_addresses_are_refused_unless_listed(monkeypatch, url, restaurant, supervisor):
    monkeypatch.setenv("LIANBAN_WEBHOOK_NETWORKS", "")
    issued = register(supervisor)
    with pytest.raises(DomainError) as exc:
        services.subscription_create(
            client=issued.client, url=url, event_types=["case.dispatched"], actor=supervisor
        )
    assert exc.value.errors[0]["path"] == "url"
    assert "内部地址" in exc.value.message


def test_a_listed_network_is_allowed(monkeypatch):
    monkeypatch.setenv("LIANBAN_WEBHOOK_NETWORKS", "10.0.0.0/8, 192.168.0.0/16")
    addresses.check("https://10.20.30.40/hooks")
    addresses.check("http://192.168.1.5:8080/hooks")
    with pytest.raises(addresses.AddressRefused):
        addresses.check("http://172.16.0.1/hooks")


def test_a_public_address_is_allowed(monkeypatch):
    monkeypatch.setenv("LIANBAN_WEBHOOK_NETWORKS", "")
    addresses.check("https://8.8.8.8/hooks")


def test_delivery_checks_the_address_again(monkeypatch):
    # Registered while allowed, then the network was taken off the list: nothing is posted.
    monkeypatch.setenv("LIANBAN_WEBHOOK_NETWORKS", "")
    with pytest.raises(addresses.AddressRefused):
        http_transport("http://127.0.0.1:9/hook", b"{}", {}, 1.0)


def test_an_unresolvable_name_may_be_registered_but_is_not_delivered_to():
    addresses.check("http://no-such-host.invalid/hook", unresolved_ok=True)
    with pytest.raises(addresses.AddressRefused, match="无法解析"):
        addresses.check("http://no-such-host.invalid/hook")
