"""Where webhooks may go. A receiver is a department's system, which may sit on the
government network's private addresses; but the platform must not be made to post into its
own machine or its neighbours' (loopback, link-local cloud metadata, …) by whoever registers a
URL. So a receiver must resolve to public addresses, or to networks the operator lists in
``LIANBAN_WEBHOOK_NETWORKS``; the check is made when a URL is registered and again before
every delivery, since a name can resolve differently later."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from lianban.conf import env_list

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(ValueError):
    pass


def allowed_networks() -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(n, strict=False) for n in env_list("LIANBAN_WEBHOOK_NETWORKS")]


def _resolve(host: str, port: int) -> list[Address]:
    try:
        infos = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise AddressRefused(f"无法解析接收地址的主机名“{host}”。") from exc
    return [ipaddress.ip_address(info[4][0]) for info in infos]


def check(url: str, *, unresolved_ok: bool = False) -> None:
    """Raise :class:`AddressRefused` (with a Chinese message) unless every address ``url``'s
    host resolves to is public or in an allowed network. With ``unresolved_ok`` a name that
    does not resolve now passes (a URL registered before its system's DNS entry exists is
    checked again when something is delivered to it)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    networks = allowed_networks()
    try:
        resolved = _resolve(host, port)
    except AddressRefused:
        if unresolved_ok:
            return
        raise
    for address in resolved:
        if any(address in network for network in networks):
            continue
        if not address.is_global:
            raise AddressRefused(
                f"接收地址“{host}”指向内部地址 {address}，不允许投递。"
                "如需投递到政务外网内的系统，请由管理员在 LIANBAN_WEBHOOK_NETWORKS 中登记该网段。"
            )
