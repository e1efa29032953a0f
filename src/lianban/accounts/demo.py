"""Demo accounts for the embedded default (`make run`). Every account's password is
DEMO_PASSWORD; the README lists them. Never run this against a production database."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.db import transaction

from lianban.accounts.models import Applicant, User
from lianban.catalog.models import Department

DEMO_PASSWORD = "lianban-demo"


@dataclass(frozen=True)
class DemoAccount:
    username: str
    display_name: str
    role: str
    department: str | None
    staff: bool = False
    superuser: bool = False
    window: str = ""


DEMO_ACCOUNTS = (
    DemoAccount("admin", "系统管理员", User.Role.SUPERVISOR, "dsjj", staff=True, superuser=True),
    DemoAccount("dsj", "王监管（政务大数据局）", User.Role.SUPERVISOR, "dsjj", staff=True),
    DemoAccount("scjg-bianji", "李编辑（区市场监管局）", User.Role.EDITOR, "scjgj", staff=True),
    DemoAccount("gaj-bianji", "赵编辑（公安局）", User.Role.EDITOR, "gaj", staff=True),
    DemoAccount("chuangkou", "陈窗口（综合窗口）", User.Role.CLERK, None, window="1号综合窗口"),
    DemoAccount("scjg-shenpi", "周审批（区市场监管局）", User.Role.REVIEWER, "scjgj"),
    DemoAccount("xf-shenpi", "吴审批（消防救援支队）", User.Role.REVIEWER, "xfzd"),
    DemoAccount("zhangsan", "张三（申请人）", User.Role.APPLICANT, None),
    DemoAccount("haowei", "卫滨区好味道餐饮有限公司（申请人）", User.Role.APPLICANT, None),
)

# The applicants behind the two applicant accounts (identity numbers are valid but invented).
DEMO_APPLICANTS = {
    "zhangsan": {
        "kind": "natural",
        "name": "张三",
        "id_number": "410702198503120017",
        "phone": "13800000001",
    },
    "haowei": {
        "kind": "legal",
        "name": "卫滨区好味道餐饮有限公司",
        "credit_code": "91410702MA9ABCDE1F",
        "legal_representative": "李四",
        "legal_representative_id": "410702198806150029",
        "phone": "13800000002",
    },
}

# Model permissions per staff role, for Django's admin; department scoping is enforced on
# top of these by the admin classes and the services.
GROUP_PERMISSIONS: dict[str, dict[str, list[str]]] = {
    User.Role.EDITOR: {
        # Materials and fields are shared by every department's items: an editor may add new
        # ones; changing an existing one is the supervisor's, as it changes other bundles too.
        "catalog": [
            "view_department",
            "view_material",
            "add_material",
            "view_field",
            "add_field",
            "view_serviceitem",
            "add_serviceitem",
            "change_serviceitem",
            "view_bundle",
            "change_bundle",
            "view_situation",
            "add_situation",
            "change_situation",
            "delete_situation",
            "view_bundleversion",
            "view_itemmaterial",
            "add_itemmaterial",
            "change_itemmaterial",
            "delete_itemmaterial",
            "view_itemfield",
            "add_itemfield",
            "change_itemfield",
            "delete_itemfield",
            "view_bundleitem",
            "add_bundleitem",
            "change_bundleitem",
            "delete_bundleitem",
            "view_situationoption",
            "add_situationoption",
            "change_situationoption",
            "delete_situationoption",
        ],
    },
    User.Role.SUPERVISOR: {
        "catalog": [
            "change_material",
            "change_field",
            "view_department",
            "add_department",
            "change_department",
            "view_material",
            "view_field",
            "view_serviceitem",
            "view_bundle",
            "add_bundle",
            "view_bundleversion",
            "change_bundleversion",
            "view_situation",
            "view_bundleitem",
        ],
        "workdays": [
            "view_calendaroverride",
            "add_calendaroverride",
            "change_calendaroverride",
            "delete_calendaroverride",
            "view_publishedyear",
            "add_publishedyear",
            "change_publishedyear",
        ],
        "audit": ["view_event"],
    },
}


def role_group(role: str) -> Group:
    group, _ = Group.objects.get_or_create(name=User.Role(role).label)
    perms = []
    for app, codenames in GROUP_PERMISSIONS.get(role, {}).items():
        perms += list(
            Permission.objects.filter(content_type__app_label=app, codename__in=codenames)
        )
    group.permissions.set(perms)
    return group


@transaction.atomic
def create_demo_accounts() -> list[User]:
    users = _department_reviewers()
    for account in DEMO_ACCOUNTS:
        department = Department.objects.get(code=account.department) if account.department else None
        user, created = User.objects.get_or_create(
            username=account.username,
            defaults={
                "display_name": account.display_name,
                "role": account.role,
                "department": department,
                "is_staff": account.staff,
                "is_superuser": account.superuser,
                "window": account.window,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        if account.staff and not account.superuser:
            user.groups.add(role_group(account.role))
        if account.username in DEMO_APPLICANTS:
            Applicant.objects.get_or_create(user=user, defaults=DEMO_APPLICANTS[account.username])
        users.append(user)
    return users


def _department_reviewers() -> list[User]:
    """One reviewer for every other department, ``<code>-shenpi``, so that every item case of
    the demo has someone to work it."""
    named = {a.department for a in DEMO_ACCOUNTS if a.role == User.Role.REVIEWER}
    users = []
    for department in Department.objects.filter(is_supervisor=False).exclude(code__in=named):
        user, created = User.objects.get_or_create(
            username=f"{department.code}-shenpi",
            defaults={
                "display_name": f"审批人员（{department.name}）",
                "role": User.Role.REVIEWER,
                "department": department,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        users.append(user)
    return users
