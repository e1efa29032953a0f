"""Signing in with a user name and password, as Django's ``ModelBackend`` does.

Every signed-in request reads its user; most of the portal's and the API's requests then read
the applicant record the account holds (whose name, which applications). Read with the user,
in one query, that is one round trip fewer on each of them; a staff account has no applicant,
and the join says so without asking again."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import backends

from lianban.accounts.models import User

PATH = "lianban.accounts.backends.ModelBackend"


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id: Any) -> User | None:
        user = User._default_manager.select_related("applicant").filter(pk=user_id).first()
        return user if user is not None and self.user_can_authenticate(user) else None
