from __future__ import annotations

import io

import factory

from lianban.accounts.models import Applicant, User
from lianban.catalog import services as catalog_services
from lianban.catalog.models import Bundle
from lianban.catalog.tests.factories import UserFactory, restaurant_bundle


def _scan() -> bytes:
    # A real one-page PDF: results are sealed by amending the file, which needs a valid one.
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="scan")
    return bytes(pdf.output())


def _png() -> bytes:
    import io as _io

    from PIL import Image

    out = _io.BytesIO()
    Image.new("RGB", (40, 56), (250, 250, 250)).save(out, format="PNG")
    return out.getvalue()


PDF = _scan()
PNG = _png()
ELF = b"\x7fELF\x02\x01\x01" + b"\x00" * 64


def resident_id(seq: int) -> str:
    from lianban.common.identity import resident_id_check_char

    first17 = f"41070219850312{seq % 1000:03d}"
    return first17 + resident_id_check_char(first17)


class ApplicantFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Applicant

    kind = Applicant.Kind.LEGAL
    name = factory.Sequence(lambda n: f"卫滨区测试餐饮店{n}")
    credit_code = factory.Sequence(lambda n: f"92410702MA{n:07d}X"[:18])
    legal_representative = "张三"
    phone = "13812345678"
    user = factory.SubFactory(UserFactory)

    class Params:
        person = factory.Trait(
            kind=Applicant.Kind.NATURAL,
            credit_code="",
            id_number=factory.Sequence(resident_id),
            name=factory.Sequence(lambda n: f"李{n}"),
        )
        walk_in = factory.Trait(user=None)


def clerk() -> User:
    return UserFactory(role=User.Role.CLERK)


def published_restaurant() -> Bundle:
    return publish(restaurant_bundle())


def publish(bundle: Bundle) -> Bundle:
    version = catalog_services.bundle_submit_for_filing(bundle=bundle, actor=None)
    catalog_services.version_record(version=version, actor=None)
    catalog_services.version_publish(version=version, actor=None)
    return bundle


def pdf(data: bytes = PDF) -> io.BytesIO:
    return io.BytesIO(data)
