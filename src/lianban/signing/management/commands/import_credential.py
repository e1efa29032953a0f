"""Import an externally issued seal certificate, personal certificate or trust root."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from lianban.common.errors import DomainError
from lianban.signing import keys
from lianban.signing.models import Credential, Seal
from lianban.signing.sealimage import draw_seal
from lianban.signing.services import DEPARTMENT_SEAL_PURPOSE, WINDOW_SEAL_NAME, WINDOW_SEAL_PURPOSE


class Command(BaseCommand):
    help = (
        "导入外部 CA 签发的证书：--root 信任根证书（PEM）；--pkcs12 印章证书（配合 --department "
        "或 --window）或个人证书（配合 --user）。私钥以 LIANBAN_SIGNING_PASSPHRASE 重新加密保存。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--root", type=Path, help="trust root certificate (PEM)")
        parser.add_argument("--pkcs12", type=Path, help="certificate and key (PKCS #12)")
        parser.add_argument("--password-file", type=Path, help="file holding the PKCS #12 password")
        parser.add_argument("--department", help="department code: the seal's department")
        parser.add_argument("--window", action="store_true", help="the window's seal")
        parser.add_argument("--user", help="user name: a personal signing certificate")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        if options["root"]:
            credential = keys.import_trust_root(options["root"].read_bytes())
            self.stdout.write(f"信任根证书：{credential.subject} {credential.fingerprint}")
            return
        if not options["pkcs12"]:
            raise CommandError("请指定 --root 或 --pkcs12。")
        password = None
        if options["password_file"]:
            password = options["password_file"].read_bytes().strip()
        targets = [bool(options["department"]), options["window"], bool(options["user"])]
        if sum(targets) != 1:
            raise CommandError("请指定 --department、--window 或 --user 之一。")
        try:
            if options["user"]:
                from lianban.accounts.models import User

                user = User.objects.get(username=options["user"])
                credential = keys.import_credential(
                    purpose=Credential.Purpose.PERSONAL,
                    pkcs12=options["pkcs12"].read_bytes(),
                    password=password,
                    user=user,
                )
                # The newest personal credential is the one used.
                self.stdout.write(f"个人签名证书：{credential.subject}")
                return
            credential = keys.import_credential(
                purpose=Credential.Purpose.SEAL,
                pkcs12=options["pkcs12"].read_bytes(),
                password=password,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        department = None
        if options["department"]:
            from lianban.catalog.models import Department

            department = Department.objects.get(code=options["department"])
            name, purpose = department.name, DEPARTMENT_SEAL_PURPOSE
        else:
            name, purpose = WINDOW_SEAL_NAME, WINDOW_SEAL_PURPOSE
        Seal.objects.filter(department=department, active=True).update(active=False)
        seal = Seal.objects.create(
            department=department,
            name=name,
            purpose_text=purpose,
            credential=credential,
            image=draw_seal(name, purpose),
        )
        self.stdout.write(f"电子印章：{seal}，证书 {credential.subject}")
