"""Security headers Django 5.2 does not set itself.

A Content Security Policy that runs only the platform's own scripts (no inline script, no
other origin: htmx, ECharts and the pages' scripts are all served from /static/), embeds
nothing from elsewhere and lets no other site frame a page; and a Permissions Policy that
turns off the browser features no page uses. Inline ``style`` attributes stay allowed:
htmx and ECharts set them, and they cannot run code.

The OpenAPI page (``/api/v1/docs``) loads Swagger UI from a CDN with an inline script; it is
the one page left without the policy (it serves no data)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-src 'self'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
PERMISSIONS = "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()"
EXEMPT_SUFFIXES = ("/api/v1/docs",)


def security_headers(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:
    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if not request.path.rstrip("/").endswith(EXEMPT_SUFFIXES):
            response.headers.setdefault("Content-Security-Policy", POLICY)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS)
        return response

    return middleware
