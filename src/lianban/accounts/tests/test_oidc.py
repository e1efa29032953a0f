"""一次登录 end to end: a small but real OpenID Connect provider runs in this process on
127.0.0.1 (discovery, JWKS, authorize, token with PKCE, userinfo; ID tokens signed with an RSA
key made here), and Django's test client walks the whole flow against it."""

from __future__ import annotations

import base64
import hashlib
import json
import runpy
import secrets
import threading
import time
from collections.abc import Iterator
from functools import cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import requests
from django.db import IntegrityError
from joserfc import jwt
from joserfc.jwk import RSAKey

import lianban.settings
from lianban.accounts import oidc, oidc_views
from lianban.accounts.models import Applicant, User
from lianban.audit.models import Event
from lianban.common.identity import credit_code_check_char, resident_id_check_char
from lianban.conf import ConfigurationError

pytestmark = pytest.mark.django_db

CLIENT_ID = "lianban-test"
CLIENT_SECRET = "provider-shared-secret"
ID_NUMBER = "110105199001011" + "23"
ID_NUMBER += resident_id_check_char(ID_NUMBER)
CREDIT_CODE = "91110105MA0000001"
CREDIT_CODE += credit_code_check_char(CREDIT_CODE)


@cache
def rsa_key(name: str, kid: str) -> RSAKey:
    """An RSA key made here (once per name for the whole run)."""
    return RSAKey.generate_key(2048, parameters={"kid": kid})


class Provider:
    """The provider's side of the flow, with knobs to make it misbehave."""

    def __init__(self) -> None:
        self.key = rsa_key("provider", "k1")
        self.person: dict[str, Any] = {
            "sub": "u-0001",
            "name": "王小明",
            "id_number": ID_NUMBER,
            "phone_number": "13800138000",
        }
        # Claims that go into the ID token besides the registered ones; the rest of the
        # person's claims are only at the userinfo endpoint.
        self.in_id_token = {"name"}
        self.tamper: dict[str, Any] = {}  # claims to override in the ID token
        self.signing_key = self.key
        self.codes: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, dict[str, Any]] = {}
        self.token_requests: list[dict[str, str]] = []
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.issuer = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def discovery(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "authorization_endpoint": f"{self.issuer}/authorize",
            "token_endpoint": f"{self.issuer}/token",
            "userinfo_endpoint": f"{self.issuer}/userinfo",
            "jwks_uri": f"{self.issuer}/jwks",
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        }

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str], Any]:
        if query.get("client_id") != CLIENT_ID or query.get("response_type") != "code":
            return 400, {}, {"error": "invalid_request"}
        code = secrets.token_urlsafe(16)
        self.codes[code] = query
        location = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
        return 302, {"Location": location}, None

    def token(self, form: dict[str, str], authorization: str) -> tuple[int, dict[str, str], Any]:
        self.token_requests.append(form)
        expected = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        if authorization != f"Basic {expected}":
            return 401, {}, {"error": "invalid_client"}
        request = self.codes.pop(form.get("code", ""), None)
        if request is None or form.get("grant_type") != "authorization_code":
            return 400, {}, {"error": "invalid_grant"}
        if form.get("redirect_uri") != request["redirect_uri"]:
            return 400, {}, {"error": "invalid_grant", "error_description": "redirect_uri"}
        verifier = form.get("code_verifier", "")
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if request.get("code_challenge_method") != "S256" or challenge != request.get(
            "code_challenge"
        ):
            return 400, {}, {"error": "invalid_grant", "error_description": "PKCE"}
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": self.person["sub"],
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": request["nonce"],
            **{k: v for k, v in self.person.items() if k in self.in_id_token},
            **self.tamper,
        }
        header = {"alg": "RS256", "kid": self.signing_key.kid}
        access_token = secrets.token_urlsafe(16)
        self.tokens[access_token] = self.person
        body = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "id_token": jwt.encode(header, claims, self.signing_key),
        }
        return 200, {}, body

    def userinfo(self, authorization: str) -> tuple[int, dict[str, str], Any]:
        person = self.tokens.get(authorization.removeprefix("Bearer "))
        if person is None:
            return 401, {}, {"error": "invalid_token"}
        return 200, {}, person


def _handler(provider: Provider) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/.well-known/openid-configuration":
                self.answer(200, {}, provider.discovery())
            elif url.path == "/jwks":
                self.answer(200, {}, {"keys": [provider.key.as_dict(private=False)]})
            elif url.path == "/authorize":
                self.answer(*provider.authorize(query))
            elif url.path == "/userinfo":
                self.answer(*provider.userinfo(self.headers.get("Authorization", "")))
            else:
                self.answer(404, {}, {"error": "not_found"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if self.path == "/token":
                self.answer(*provider.token(form, self.headers.get("Authorization", "")))
            else:
                self.answer(404, {}, {"error": "not_found"})

        def answer(self, status: int, headers: dict[str, str], body: Any) -> None:
            payload = b"" if body is None else json.dumps(body, ensure_ascii=False).encode()
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[Provider]:
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.setenv(name, "127.0.0.1,localhost")
    p = Provider()
    p.thread.start()
    yield p
    p.server.shutdown()
    p.server.server_close()
    oidc._clients.clear()


def settings_from_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, **environ: str):
    """lianban/settings.py run afresh with these environment variables."""
    monkeypatch.setenv("LIANBAN_DATA_DIR", str(tmp_path / "data"))
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(lianban.settings.__file__)


@pytest.fixture
def oidc_on(settings, provider, monkeypatch, tmp_path) -> Provider:
    """OIDC switched on exactly as settings.py does it from the environment."""
    wired = settings_from_environment(
        monkeypatch,
        tmp_path,
        LIANBAN_OIDC_ISSUER=provider.issuer,
        LIANBAN_OIDC_CLIENT_ID=CLIENT_ID,
        LIANBAN_OIDC_CLIENT_SECRET=CLIENT_SECRET,
    )
    settings.LIANBAN_OIDC = wired["LIANBAN_OIDC"]
    settings.AUTHENTICATION_BACKENDS = wired["AUTHENTICATION_BACKENDS"]
    settings.TEMPLATES = wired["TEMPLATES"]
    return provider


def start(client, next_url: str = "") -> str:
    """Start signing in; the URL the browser is sent to."""
    response = client.get("/accounts/oidc/login/" + (f"?next={next_url}" if next_url else ""))
    assert response.status_code == 302
    return response["Location"]


def at_provider(authorize_url: str) -> str:
    """The person signs in at the provider, which sends the browser back: where to."""
    response = requests.get(authorize_url, allow_redirects=False, timeout=5)
    assert response.status_code == 302, response.text
    return response.headers["Location"]


def back_to_lianban(client, location: str):
    url = urlsplit(location)
    assert f"{url.scheme}://{url.netloc}{url.path}" == oidc_views.redirect_uri()
    return client.get(url.path, dict(parse_qs(url.query)))


def sign_in(client, next_url: str = ""):
    return back_to_lianban(client, at_provider(start(client, next_url)))


def signed_in_user(client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def assert_refused(response, message: str, status: int = 403) -> None:
    page = response.content.decode()
    assert response.status_code == status, page
    assert "统一身份认证登录未成功" in page
    assert message in page, page
    assert "您现在没有登录" in page


# --- switched off --------------------------------------------------------------------------


def test_when_not_configured_there_is_no_button_and_the_pages_are_404(client, settings):
    settings.LIANBAN_OIDC = None
    page = client.get("/accounts/login/").content.decode()
    assert "用统一身份认证登录" not in page
    assert "oidc" not in page
    assert client.get("/accounts/oidc/login/").status_code == 404
    assert client.get("/accounts/oidc/callback/?code=x&state=y").status_code == 404


def test_the_default_settings_leave_it_off(monkeypatch, tmp_path):
    monkeypatch.delenv("LIANBAN_OIDC_ISSUER", raising=False)
    wired = settings_from_environment(monkeypatch, tmp_path)
    assert wired["LIANBAN_OIDC"] is None
    assert wired["AUTHENTICATION_BACKENDS"] == ["lianban.accounts.backends.ModelBackend"]
    assert "lianban.accounts.oidc.context" not in str(wired["TEMPLATES"])


def test_an_issuer_without_a_client_id_is_a_configuration_error(monkeypatch, tmp_path):
    monkeypatch.delenv("LIANBAN_OIDC_CLIENT_ID", raising=False)
    with pytest.raises(ConfigurationError, match="LIANBAN_OIDC_CLIENT_ID"):
        settings_from_environment(
            monkeypatch, tmp_path, LIANBAN_OIDC_ISSUER="https://id.example.gov.cn"
        )


def test_claim_names_come_from_the_environment(monkeypatch, tmp_path):
    wired = settings_from_environment(
        monkeypatch,
        tmp_path,
        LIANBAN_OIDC_ISSUER="https://id.example.gov.cn/oidc",
        LIANBAN_OIDC_CLIENT_ID="lianban",
        LIANBAN_OIDC_CLAIM_ID_NUMBER="idcard",
        LIANBAN_OIDC_CLAIM_PHONE="mobile",
    )
    assert wired["LIANBAN_OIDC"]["CLAIMS"]["id_number"] == "idcard"
    assert wired["LIANBAN_OIDC"]["CLAIMS"]["phone"] == "mobile"
    assert "lianban.accounts.oidc.OIDCBackend" in wired["AUTHENTICATION_BACKENDS"]


# --- the whole flow ------------------------------------------------------------------------


def test_the_login_page_offers_the_unified_identity(client, oidc_on):
    page = client.get("/accounts/login/?next=/applications/").content.decode()
    assert "用统一身份认证登录" in page
    assert 'href="/accounts/oidc/login/?next=/applications/"' in page


def test_the_redirect_to_the_provider_carries_state_nonce_and_pkce(client, oidc_on):
    url = urlsplit(start(client))
    assert f"{url.scheme}://{url.netloc}{url.path}" == f"{oidc_on.issuer}/authorize"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["response_type"] == "code"
    assert query["client_id"] == CLIENT_ID
    assert query["redirect_uri"] == oidc_views.redirect_uri()
    assert "openid" in query["scope"].split()
    assert len(query["state"]) >= 20
    assert len(query["nonce"]) >= 20
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43  # base64url of a SHA-256 digest
    # A second start gets fresh values.
    again = {k: v[0] for k, v in parse_qs(urlsplit(start(client)).query).items()}
    assert again["state"] != query["state"]
    assert again["nonce"] != query["nonce"]
    assert again["code_challenge"] != query["code_challenge"]


def test_a_person_signs_in_and_becomes_an_applicant(client, oidc_on):
    response = sign_in(client, next_url="/applications/")
    assert response.status_code == 302
    assert response["Location"] == "/applications/"
    user = signed_in_user(client)
    assert user is not None
    assert user.username == ID_NUMBER
    assert user.role == User.Role.APPLICANT
    assert not user.has_usable_password()
    assert not user.is_staff
    assert user.display_name == "王小明"
    applicant = Applicant.objects.get()
    assert applicant.user == user
    assert applicant.kind == Applicant.Kind.NATURAL
    assert applicant.id_number == ID_NUMBER
    assert applicant.name == "王小明"
    assert applicant.phone == "13800138000"  # from the userinfo endpoint
    event = Event.objects.get(verb="accounts.applicant_registered")
    assert event.actor == user
    assert event.data["via"] == "oidc"
    assert event.data["sub"] == "u-0001"
    # The provider got the PKCE verifier and the same redirect URI.
    [token_request] = oidc_on.token_requests
    assert token_request["code_verifier"]
    assert token_request["redirect_uri"] == oidc_views.redirect_uri()
    follow = client.get("/accounts/login/")
    assert "已通过统一身份认证登录" in follow.content.decode()


def test_signing_in_again_reuses_the_account(client, oidc_on):
    sign_in(client)
    first = signed_in_user(client)
    client.logout()
    events = Event.objects.count()
    response = sign_in(client)
    assert response.status_code == 302
    assert signed_in_user(client) == first
    assert User.objects.count() == 1
    assert Applicant.objects.count() == 1
    assert Event.objects.count() == events  # nothing changed, nothing to record


def test_a_window_applicant_is_linked_and_updated(client, oidc_on):
    walk_in = Applicant.objects.create(
        kind=Applicant.Kind.NATURAL, name="王晓明", id_number=ID_NUMBER, phone="13900139000"
    )
    oidc_on.person.pop("phone_number")  # the provider gives no phone: the one on file stays
    sign_in(client)
    walk_in.refresh_from_db()
    assert walk_in.user == signed_in_user(client)
    assert walk_in.name == "王小明"
    assert walk_in.phone == "13900139000"
    assert Applicant.objects.count() == 1
    event = Event.objects.get(verb="accounts.applicant_registered")
    assert event.data["applicant_created"] is False


def test_an_account_registered_with_a_password_is_reused(client, oidc_on):
    from lianban.accounts.services import applicant_register

    applicant = applicant_register(
        kind="natural",
        name="王小明",
        phone="13800138000",
        password="a-long-password-1",
        id_number=ID_NUMBER,
    )
    sign_in(client)
    assert signed_in_user(client) == applicant.user
    assert User.objects.count() == 1


def test_a_legal_person_signs_in_by_credit_code(client, oidc_on):
    oidc_on.person.update(
        credit_code=CREDIT_CODE.lower(),
        org_name="卫滨区某某餐饮有限公司",
        legal_representative="李四",
    )
    sign_in(client)
    user = signed_in_user(client)
    assert user is not None
    assert user.username == CREDIT_CODE
    applicant = Applicant.objects.get(user=user)
    assert applicant.kind == Applicant.Kind.LEGAL
    assert applicant.credit_code == CREDIT_CODE
    assert applicant.name == "卫滨区某某餐饮有限公司"
    assert applicant.legal_representative == "李四"


def test_an_unsafe_next_is_ignored(client, oidc_on):
    response = sign_in(client, next_url="https://evil.example/")
    assert response["Location"] == "/applications/"


def test_a_session_that_becomes_staff_is_signed_out(client, oidc_on):
    sign_in(client)
    user = signed_in_user(client)
    assert user is not None
    assert client.get("/accounts/login/").context["user"] == user
    User.objects.filter(pk=user.pk).update(role=User.Role.CLERK, is_staff=True)
    assert not client.get("/accounts/login/").context["user"].is_authenticated


# --- refusals: each with a Chinese message, nobody signed in --------------------------------


def assert_nobody_signed_in(client) -> None:
    assert "_auth_user_id" not in client.session
    assert not Applicant.objects.exists()
    assert not User.objects.filter(role=User.Role.APPLICANT).exists()
    assert not Event.objects.exists()


def test_a_token_with_a_wrong_signature_is_refused(client, oidc_on):
    oidc_on.signing_key = rsa_key("forger", "k1")  # another key under the provider's key id
    assert_refused(sign_in(client), "身份令牌签名无效")
    assert_nobody_signed_in(client)


def test_a_token_signed_by_an_unknown_key_is_refused(client, oidc_on):
    oidc_on.signing_key = rsa_key("stranger", "k2")
    assert_refused(sign_in(client), "身份令牌签名无效")
    assert_nobody_signed_in(client)


def test_a_token_with_a_wrong_nonce_is_refused(client, oidc_on):
    oidc_on.tamper["nonce"] = "not-the-nonce-lianban-sent"
    assert_refused(sign_in(client), "身份令牌与本次登录请求不符")
    assert_nobody_signed_in(client)


def test_an_expired_token_is_refused(client, oidc_on):
    oidc_on.tamper.update(iat=int(time.time()) - 3600, exp=int(time.time()) - 600)
    assert_refused(sign_in(client), "身份令牌已过期")
    assert_nobody_signed_in(client)


@pytest.mark.parametrize("claim,value", [("aud", "someone-else"), ("iss", "https://evil.example")])
def test_a_token_for_another_client_or_from_another_issuer_is_refused(
    client, oidc_on, claim, value
):
    oidc_on.tamper[claim] = value
    assert_refused(sign_in(client), "身份令牌不是统一身份认证签发给本站的")
    assert_nobody_signed_in(client)


def test_a_malformed_id_number_is_refused(client, oidc_on):
    oidc_on.person["id_number"] = ID_NUMBER[:17] + ("0" if ID_NUMBER[17] != "0" else "1")
    assert_refused(sign_in(client), "统一身份认证提供的居民身份证号码无效")
    assert_nobody_signed_in(client)


@pytest.mark.parametrize(
    "claim,value,message",
    [
        ("id_number", None, "统一身份认证没有提供居民身份证号码"),
        ("id_number", ["110105"], "统一身份认证提供的居民身份证号码格式不正确"),
        ("name", None, "统一身份认证没有提供姓名"),
        ("phone_number", "12345", "统一身份认证提供的手机号码无效"),
        ("phone_number", None, "统一身份认证没有提供手机号码"),
        ("credit_code", "91110105IOZSV0001", "统一身份认证提供的统一社会信用代码无效"),
    ],
)
def test_missing_or_bad_claims_are_refused(client, oidc_on, claim, value, message):
    if value is None:
        oidc_on.person.pop(claim)
        oidc_on.in_id_token.discard(claim)
    else:
        oidc_on.person[claim] = value
    assert_refused(sign_in(client), message)
    assert_nobody_signed_in(client)


def test_a_staff_account_is_never_signed_into(client, oidc_on):
    User.objects.create_user(username=ID_NUMBER, password="x-staff-pass", role=User.Role.CLERK)
    assert_refused(sign_in(client), "工作人员账户不能通过统一身份认证登录")
    assert "_auth_user_id" not in client.session
    assert not Applicant.objects.exists()
    assert not Event.objects.exists()


def test_a_staff_account_linked_to_the_applicant_is_never_signed_into(client, oidc_on):
    staff = User.objects.create_user(username="chuangkou2", password="x", is_staff=True)
    Applicant.objects.create(
        kind=Applicant.Kind.NATURAL, name="王小明", id_number=ID_NUMBER, phone="1", user=staff
    )
    assert_refused(sign_in(client), "工作人员账户不能通过统一身份认证登录")
    assert "_auth_user_id" not in client.session


def test_a_callback_not_started_here_is_refused(client, oidc_on):
    location = at_provider(start(client))
    other_browser = type(client)()
    assert_refused(back_to_lianban(other_browser, location), "登录请求已失效", status=400)
    assert "_auth_user_id" not in other_browser.session


def test_a_callback_cannot_be_replayed(client, oidc_on):
    location = at_provider(start(client))
    back_to_lianban(client, location)
    client.logout()
    assert_refused(back_to_lianban(client, location), "登录请求已失效", status=400)
    assert "_auth_user_id" not in client.session


def test_a_cancelled_sign_in_is_refused(client, oidc_on):
    start(client)
    response = client.get("/accounts/oidc/callback/", {"error": "access_denied", "state": "x"})
    assert_refused(response, "您在统一身份认证页面取消了登录", status=400)


def test_an_unreachable_provider_is_explained(client, oidc_on):
    oidc_on.server.shutdown()
    oidc_on.server.server_close()
    response = client.get("/accounts/oidc/login/")
    assert_refused(response, "暂时无法连接统一身份认证", status=502)


def test_two_first_sign_ins_at_once_end_in_one_account(oidc_on, monkeypatch):
    identity = oidc.identity_from_claims(oidc_on.person, oidc.ClaimNames())
    real = oidc.applicant_sign_in
    calls = []

    def raced(identity, **kwargs):
        calls.append(identity)
        if len(calls) == 1:
            real(identity, **kwargs)  # the other request wins the race ...
            raise IntegrityError("duplicate key value violates unique constraint")
        return real(identity, **kwargs)

    monkeypatch.setattr(oidc, "applicant_sign_in", raced)
    user = oidc.OIDCBackend().authenticate(None, oidc_identity=identity, oidc_subject="u-0001")
    assert user is not None
    assert user.username == ID_NUMBER
    assert len(calls) == 2
    assert User.objects.count() == 1
