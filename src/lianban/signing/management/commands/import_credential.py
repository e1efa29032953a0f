"""Import an externally issued seal certificate, personal certificate or trust root."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction

from lianban.accounts.models import User
from lianban.catalog.models import Department
from lianban.common.errors import DomainError
from lianban.signing import keys
from lianban.signing.models import Credential
from lianban.signing.services import replace_seal


class Command(BaseCommand):
    help = (
        "导入外部 CA 签发的证书：--root 信任根证书（PEM）；--pkcs12 印章证书（配合 --department "
        "或 --window）或个人证书（配合 --user）。私钥以 LIANBAN_SIGNING_PASSPHRASE 重新加密保存。"
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--root", type=Path, help="信任根证书（PEM）")
        parser.add_argument("--pkcs12", type=Path, help="证书和私钥（PKCS #12）")
        parser.add_argument("--password-file", type=Path, help="PKCS #12 口令文件")
        parser.add_argument("--department", help="印章所属部门的编码")
        parser.add_argument("--window", action="store_true", help="综合窗口的印章")
        parser.add_argument("--user", help="个人签名证书所属的用户名")

    @transaction.atomic
    def handle(self, *args: Any, **options: Any) -> None:
        if options["root"]:
            credential = keys.import_trust_root(options["root"].read_bytes())
            self.stdout.write(f"信任根证书：{credential.subject} {credential.fingerprint}")
            return
        if not options["pkcs12"]:
            raise CommandError("请指定 --root 或 --pkcs12。")
        targets = [bool(options["department"]), options["window"], bool(options["user"])]
        if sum(targets) != 1:
            raise CommandError("请指定 --department、--window 或 --user 之一。")
        user = department = None
        if options["user"]:
            user = User.objects.filter(username=options["user"]).first()
            if user is None:
                raise CommandError(f"未找到用户“{options['user']}”。")
        if options["department"]:
            department = Department.objects.filter(code=options["department"]).first()
            if department is None:
                raise CommandError(f"未找到编码为“{options['department']}”的部门。")
        password = None
        if options["password_file"]:
            password = options["password_file"].read_bytes().strip()
        try:
            credential = keys.import_credential(
                purpose=Credential.Purpose.PERSONAL if user else Credential.Purpose.SEAL,
                pkcs12=options["pkcs12"].read_bytes(),
                password=password,
                user=user,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        if user is not None:
            # The newest personal credential is the one used.
            self.stdout.write(f"个人签名证书：{credential.subject}")
            return
        seal = replace_seal(department=department, credential=credential, actor=None)
        self.stdout.write(f"电子印章：{seal}，证书 {credential.subject}")
