"""一次登录: applicants sign in with the province's unified identity, over OpenID Connect.

The protocol is Authlib's (its Django client): discovery from
``{issuer}/.well-known/openid-configuration``, the authorization-code flow with PKCE (S256),
``state`` and ``nonce`` kept in the session, the code exchanged at the token endpoint, and the
ID token's signature checked against the provider's JWKS (refetched once for an unknown key id)
and its ``iss``, ``aud``, ``exp``, ``iat`` and ``nonce`` claims checked by joserfc.  This
module adds what is lianban's own:

- which provider, from ``settings.LIANBAN_OIDC`` (built from the ``LIANBAN_OIDC_*``
  environment variables; ``None`` when no issuer is configured, and then nothing here runs);
- the claims that carry the person's identity (configurable names), validated by
  :mod:`lianban.common.identity`;
- :func:`applicant_sign_in`, the service that finds or creates the ``User`` and the
  ``Applicant`` and writes the audit event, in one transaction;
- :class:`OIDCBackend`, through which such a session is authenticated; it never yields a
  staff account, not even one whose role changed after it signed in.

Every refusal is a :class:`SignInRefused` with a Chinese message for the person.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError
from authlib.integrations.django_client import DjangoIntegration, DjangoOAuth2App
from django.conf import settings
from django.contrib.auth.backends import BaseBackend
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponseRedirect
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError

from lianban.accounts.models import Applicant, User
from lianban.audit.services import appended_together, record_event
from lianban.common import identity as ids

logger = logging.getLogger(__name__)

BACKEND = "lianban.accounts.oidc.OIDCBackend"
CLIENT_NAME = "lianban_oidc"
# Discovery document and JWKS are fetched again after this long (a key rotation is also
# picked up at once: an unknown key id makes Authlib refetch the JWKS).
METADATA_MAX_AGE = 3600
# Seconds of clock difference tolerated between the provider and this server.
LEEWAY = 60
HTTP_TIMEOUT = 10
# Only signatures with the provider's public keys: never "none", never a shared secret.
_ASYMMETRIC = ("RS", "PS", "ES", "Ed")


class SignInRefused(Exception):
    """Nobody is signed in; ``message`` tells the person why, in Chinese."""

    def __init__(self, message: str, *, status: int = 403) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# --- configuration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimNames:
    """Names of the claims (in the ID token or the userinfo response) that carry the identity."""

    id_number: str = "id_number"
    name: str = "name"
    phone: str = "phone_number"
    credit_code: str = "credit_code"
    org_name: str = "org_name"
    legal_representative: str = "legal_representative"


@dataclass(frozen=True)
class OIDCConfig:
    issuer: str
    client_id: str
    client_secret: str = field(repr=False, default="")
    scope: str = "openid profile phone"
    claims: ClaimNames = ClaimNames()

    @property
    def discovery_url(self) -> str:
        return f"{self.issuer.rstrip('/')}/.well-known/openid-configuration"


def get_config() -> OIDCConfig | None:
    """The configured provider, or ``None`` when 一次登录 is off."""
    raw = getattr(settings, "LIANBAN_OIDC", None)
    if not raw:
        return None
    scope = raw.get("SCOPE") or OIDCConfig.scope
    if "openid" not in scope.split():
        scope = f"openid {scope}"
    return OIDCConfig(
        issuer=raw["ISSUER"],
        client_id=raw["CLIENT_ID"],
        client_secret=raw.get("CLIENT_SECRET", ""),
        scope=scope,
        claims=ClaimNames(**{k: v for k, v in raw.get("CLAIMS", {}).items() if v}),
    )


def context(request: HttpRequest) -> dict[str, Any]:
    """Template context processor: ``oidc_sign_in`` is true when the button should show."""
    return {"oidc_sign_in": get_config() is not None}


# --- the provider ----------------------------------------------------------------------------


class ProviderClient(DjangoOAuth2App):
    """Authlib's Django client for one provider, checking its discovery document once loaded."""

    def __init__(self, config: OIDCConfig) -> None:
        client_kwargs: dict[str, Any] = {
            "scope": config.scope,
            "code_challenge_method": "S256",
            "default_timeout": HTTP_TIMEOUT,
        }
        if not config.client_secret:
            client_kwargs["token_endpoint_auth_method"] = "none"  # a public client: PKCE only
        super().__init__(
            DjangoIntegration(CLIENT_NAME),
            name=CLIENT_NAME,
            client_id=config.client_id,
            client_secret=config.client_secret or None,
            server_metadata_url=config.discovery_url,
            client_kwargs=client_kwargs,
        )
        self.config = config
        self.created_at = time.monotonic()

    def load_server_metadata(self) -> dict[str, Any]:
        metadata: dict[str, Any] = super().load_server_metadata()
        if "_lianban_checked" in metadata:
            return metadata
        issuer = metadata.get("issuer")
        if not isinstance(issuer, str) or issuer.rstrip("/") != self.config.issuer.rstrip("/"):
            logger.error(
                "OIDC discovery at %s names issuer %r, not the configured %r",
                self.config.discovery_url,
                issuer,
                self.config.issuer,
            )
            raise SignInRefused("统一身份认证的配置与本站设置不一致，暂时无法登录。", status=502)
        algorithms = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        metadata["id_token_signing_alg_values_supported"] = [
            a for a in algorithms if isinstance(a, str) and a.startswith(_ASYMMETRIC)
        ] or ["RS256"]
        methods = metadata.get("token_endpoint_auth_methods_supported") or []
        if (
            self.config.client_secret
            and "client_secret_basic" not in methods
            and "client_secret_post" in methods
        ):
            self.client_kwargs["token_endpoint_auth_method"] = "client_secret_post"
        metadata["_lianban_checked"] = True
        return metadata


_clients: dict[OIDCConfig, ProviderClient] = {}


def client_for(config: OIDCConfig) -> ProviderClient:
    client = _clients.get(config)
    if client is None or time.monotonic() - client.created_at > METADATA_MAX_AGE:
        client = _clients[config] = ProviderClient(config)
    return client


def begin(request: HttpRequest, config: OIDCConfig, redirect_uri: str) -> HttpResponseRedirect:
    """The redirect to the provider's authorization endpoint (state, nonce and the PKCE
    verifier are kept in the session)."""
    try:
        response: HttpResponseRedirect = client_for(config).authorize_redirect(
            request, redirect_uri
        )
    except (requests.RequestException, ValueError, AuthlibBaseError) as exc:
        logger.warning("OIDC discovery at %s failed: %s", config.discovery_url, exc)
        raise _unreachable() from exc
    return response


def finish(request: HttpRequest, config: OIDCConfig) -> dict[str, Any]:
    """The verified claims of the person the provider sent back: the ID token's claims, with
    the userinfo endpoint's added when the provider has one."""
    error = request.GET.get("error")
    if error:
        if error == "access_denied":
            raise SignInRefused("您在统一身份认证页面取消了登录，没有登录。", status=400)
        raise SignInRefused(f"统一身份认证没有完成登录（{error[:64]}），请重新登录。", status=400)
    client = client_for(config)
    try:
        metadata = client.load_server_metadata()
        token = client.authorize_access_token(
            request,
            claims_options={
                "iss": {"essential": True, "value": metadata["issuer"]},
                "aud": {"essential": True, "value": config.client_id},
                "sub": {"essential": True},
                "exp": {"essential": True},
            },
            leeway=LEEWAY,
        )
        if "userinfo" not in token:
            raise SignInRefused("统一身份认证没有返回身份令牌（ID token），没有登录。")
        claims = dict(token["userinfo"])
        if metadata.get("userinfo_endpoint"):
            info = dict(client.userinfo(token=token))
            if info.get("sub") != claims["sub"]:
                raise SignInRefused("统一身份认证返回的用户信息与身份令牌不是同一人，没有登录。")
            claims = {**info, **claims}
    except MismatchingStateError as exc:
        raise SignInRefused(
            "登录请求已失效，或不是从本站发起的，没有登录。请回到登录页重新登录。", status=400
        ) from exc
    except ExpiredTokenError as exc:
        raise SignInRefused("统一身份认证的身份令牌已过期，没有登录。请重新登录。") from exc
    except ClaimError as exc:
        if exc.claim == "nonce":
            message = "身份令牌与本次登录请求不符（nonce 不一致），没有登录。请重新登录。"
        elif exc.claim in {"iss", "aud", "azp"}:
            message = "身份令牌不是统一身份认证签发给本站的，没有登录。"
        else:
            message = f"身份令牌的“{exc.claim}”项缺失或无效，没有登录。"
        raise SignInRefused(message) from exc
    except JoseError as exc:
        logger.warning("OIDC ID token refused: %r", exc)
        raise SignInRefused("统一身份认证返回的身份令牌签名无效，没有登录。") from exc
    except requests.RequestException as exc:
        logger.warning("OIDC provider %s unreachable: %s", config.issuer, exc)
        raise _unreachable() from exc
    except (AuthlibBaseError, ValueError, KeyError, TypeError) as exc:
        logger.warning("OIDC sign-in failed: %r", exc)
        raise SignInRefused("统一身份认证没有完成登录，请重新登录。", status=400) from exc
    return claims


def _unreachable() -> SignInRefused:
    return SignInRefused("暂时无法连接统一身份认证，请稍后再试，或用账户和密码登录。", status=502)


# --- the identity ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Identity:
    """A person (or, for a legal person, the organisation) as the provider vouches for it."""

    kind: str
    name: str
    phone: str  # "" when the provider gave none
    id_number: str = ""
    credit_code: str = ""
    legal_representative: str = ""
    credit_warning: str = ""

    @property
    def identifier(self) -> str:
        return self.id_number if self.kind == Applicant.Kind.NATURAL else self.credit_code


def _text(claims: Mapping[str, Any], claim: str, label: str, max_length: int = 128) -> str:
    value = claims.get(claim)
    if value is None:
        return ""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or len(value.strip()) > max_length:
        raise SignInRefused(f"统一身份认证提供的{label}格式不正确，没有登录。")
    text = value.strip()
    if any(ord(c) < 32 for c in text):
        raise SignInRefused(f"统一身份认证提供的{label}格式不正确，没有登录。")
    return text


def _invalid(label: str, exc: ValidationError) -> SignInRefused:
    reason = "；".join(m.rstrip("。") for m in exc.messages)
    return SignInRefused(f"统一身份认证提供的{label}无效（{reason}），没有登录。")


def _missing(label: str) -> SignInRefused:
    return SignInRefused(
        f"统一身份认证没有提供{label}，没有登录。请在统一身份认证完成实名认证后再试，"
        "或到政务服务大厅综合窗口办理。"
    )


def identity_from_claims(claims: Mapping[str, Any], names: ClaimNames) -> Identity:
    """The identity the claims describe, every number validated; a legal person when the
    credit code claim is present. ``SignInRefused`` for a missing or malformed claim."""
    id_raw = _text(claims, names.id_number, "居民身份证号码", 32)
    credit_raw = _text(claims, names.credit_code, "统一社会信用代码", 32)
    phone_raw = _text(claims, names.phone, "手机号码", 32)
    try:
        id_number = ids.validate_resident_id(id_raw) if id_raw else ""
    except ValidationError as exc:
        raise _invalid("居民身份证号码", exc) from None
    try:
        phone = ids.validate_phone(phone_raw) if phone_raw else ""
    except ValidationError as exc:
        raise _invalid("手机号码", exc) from None

    if credit_raw:
        try:
            code = ids.validate_credit_code(credit_raw)
        except ValidationError as exc:
            raise _invalid("统一社会信用代码", exc) from None
        org_name = _text(claims, names.org_name, "单位名称")
        if not org_name:
            raise _missing("单位名称")
        return Identity(
            kind=Applicant.Kind.LEGAL,
            name=org_name,
            phone=phone,
            id_number=id_number,
            credit_code=code.value,
            legal_representative=_text(claims, names.legal_representative, "法定代表人", 64),
            credit_warning=code.warning,
        )

    if not id_number:
        raise _missing("居民身份证号码")
    name = _text(claims, names.name, "姓名", 64)
    if not name:
        raise _missing("姓名")
    return Identity(kind=Applicant.Kind.NATURAL, name=name, phone=phone, id_number=id_number)


# --- the service -----------------------------------------------------------------------------


def refusal(user: User) -> str:
    """Why this account may not be signed into through 一次登录 ("" if it may)."""
    if user.is_staff or user.is_superuser or user.role != User.Role.APPLICANT:
        return "工作人员账户不能通过统一身份认证登录，请用工号和密码登录。"
    if not user.is_active:
        return "该账户已停用，请联系政务服务大厅。"
    return ""


@transaction.atomic
@appended_together()
def applicant_sign_in(identity: Identity, *, issuer: str, subject: str) -> User:
    """The applicant account for a person the provider has vouched for.

    The applicant is found by ID number (natural person) or credit code (legal person); its
    account, or else the account named by that number, is the one signed into. Missing ones
    are created: the ``User`` with role applicant, the number as user name and an unusable
    password; an applicant the window took before is linked rather than duplicated. The name
    and phone the provider vouches for replace those on file. A staff account is never
    returned. One audit event records what was created, linked or updated.
    """
    natural = identity.kind == Applicant.Kind.NATURAL
    lookup = {"id_number": identity.id_number} if natural else {"credit_code": identity.credit_code}
    applicant = Applicant.objects.select_for_update().filter(**lookup).first()
    if applicant is not None and applicant.kind != identity.kind:
        raise SignInRefused("该证件号码已登记为另一类申请人，请到政务服务大厅综合窗口核实。")
    user: User | None = None
    if applicant is not None and applicant.user_id is not None:
        user = User.objects.select_for_update().get(pk=applicant.user_id)
    else:
        user = User.objects.select_for_update().filter(username=identity.identifier).first()
    if user is not None:
        reason = refusal(user)
        if reason:
            logger.warning("OIDC sign-in refused for user %s: %s", user.pk, reason)
            raise SignInRefused(reason)
        other = Applicant.objects.filter(user=user)
        if applicant is not None:
            other = other.exclude(pk=applicant.pk)
        if other.exists():
            raise SignInRefused(
                "该证件号码的账户与申请人信息不一致，请到政务服务大厅综合窗口核实。"
            )

    phone = identity.phone or (applicant.phone if applicant is not None else "")
    if not phone:
        raise _missing("手机号码")

    display_name = identity.name[:64]
    created_user = user is None
    if user is None:
        user = User(
            username=identity.identifier, display_name=display_name, role=User.Role.APPLICANT
        )
        user.set_unusable_password()
        user.save()
    elif user.display_name != display_name:
        user.display_name = display_name
        user.save(update_fields=["display_name"])

    created_applicant = applicant is None
    if applicant is None:
        applicant = Applicant(kind=identity.kind, **lookup)
    updated = []
    wanted = {"name": identity.name, "phone": phone}
    if not natural and identity.legal_representative:
        wanted["legal_representative"] = identity.legal_representative
    for name, value in wanted.items():
        if getattr(applicant, name) != value:
            setattr(applicant, name, value)
            updated.append(name)
    linked = applicant.user_id != user.pk
    applicant.user = user
    if created_applicant or updated or linked:
        applicant.save()

    data: dict[str, Any] = {"kind": identity.kind, "via": "oidc", "issuer": issuer, "sub": subject}
    if created_user:
        data["applicant_created"] = created_applicant
        record_event(actor=user, verb="accounts.applicant_registered", target=applicant, data=data)
    elif created_applicant or linked or updated:
        data.update(applicant_created=created_applicant, linked=linked, fields=updated)
        record_event(
            actor=user, verb="accounts.applicant_oidc_updated", target=applicant, data=data
        )
    return user


class OIDCBackend(BaseBackend):
    """Authenticates a person the provider vouched for (``authenticate(request,
    oidc_identity=..., oidc_issuer=..., oidc_subject=...)``), and keeps such sessions to
    applicant accounts: should the account become staff, the session no longer signs in."""

    def authenticate(self, request: HttpRequest | None, **credentials: Any) -> User | None:
        identity = credentials.get("oidc_identity")
        if not isinstance(identity, Identity) or get_config() is None:
            return None
        issuer = str(credentials.get("oidc_issuer", ""))
        subject = str(credentials.get("oidc_subject", ""))
        try:
            return applicant_sign_in(identity, issuer=issuer, subject=subject)
        except IntegrityError:
            # The same person's first sign-in, twice at once: the other one created the
            # account, which this attempt now finds.
            return applicant_sign_in(identity, issuer=issuer, subject=subject)

    def get_user(self, user_id: Any) -> User | None:
        user = User.objects.select_related("applicant").filter(pk=user_id).first()
        if user is None or refusal(user):
            return None
        return user
