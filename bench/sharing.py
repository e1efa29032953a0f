"""信息共享: the cost of the shared-data paths, on a scratch database.

    .venv/bin/python -m bench.sharing
    BENCH_N=500 .venv/bin/python -m bench.sharing

Loads the first-batch catalog and the shipped directory, puts a married couple in the reference
registry, and makes one received 出生一件事 through the real services. Then measures:

- **department read, allowed**: ``selectors.read_for_case`` of 户籍信息 by a 公安局 reviewer
  (grant check, reference registry, access log row);
- **department read, denied**: the same by a 民政局 reviewer (refused and logged);
- **HTTP registry fetch**: ``HttpRegistry.fetch`` against a loopback registry server (signed
  request, verified signature, ``RegistryCall`` row);
- **consent + prefill**: ``services.consent_give`` on a new draft (three registry reads, five
  fields, three 核验单 PDFs rendered and stored at evidence level A).
"""

from __future__ import annotations

import logging
import os

from bench.common import machine, report, timed, use_scratch_database

N = int(os.environ.get("BENCH_N", "300"))


def main() -> None:
    use_scratch_database()
    from django.db import transaction

    from lianban.cases.models import ItemCase
    from lianban.catalog import loader
    from lianban.common.errors import NotAllowed
    from lianban.sharing import selectors, services
    from lianban.sharing.directory import ensure_directory
    from lianban.sharing.models import DataItem, Registry
    from lianban.sharing.registries.http import HttpRegistry
    from lianban.sharing.tests import helpers
    from lianban.sharing.tests.registry_server import RegistryServer, running

    print(machine(), flush=True)
    # Each registry call is logged at INFO for operations; here it would drown the figures.
    logging.getLogger("lianban.sharing").setLevel(logging.WARNING)
    loader.load(loader.read())
    ensure_directory()
    helpers.parents()
    father = helpers.applicant()
    app = helpers.birth_draft(father)
    with transaction.atomic():
        services.consent_give(application=app, actor=father.user)
    helpers.complete_and_receive(app)
    case = ItemCase.objects.get(application=app, item_code="GAJ-001")
    household = DataItem.objects.select_related("provider").get(code="household_registration")
    gaj, mzj = helpers.reviewer("gaj"), helpers.reviewer("mzj")

    report(
        "department read, allowed (reference)",
        timed(lambda: selectors.read_for_case(reader=gaj, case=case, data_item=household), N),
        target_ms=50,
    )

    def denied() -> None:
        try:
            selectors.read_for_case(reader=mzj, case=case, data_item=household)
        except NotAllowed:
            return
        raise AssertionError("the read was not refused")

    report("department read, denied", timed(denied, N), target_ms=50)

    server = RegistryServer("bench", {("household_registration", helpers.FATHER_ID): {"a": 1}})
    with running(server) as url:
        registry = Registry.objects.create(
            code="bench-http",
            name="bench",
            kind=Registry.Kind.HTTP,
            base_url=url,
            key_id="bench",
            secret="bench",
            timeout_seconds=2,
        )
        connector = HttpRegistry(registry)
        report(
            "HTTP registry fetch (loopback)",
            timed(lambda: connector.fetch(household, helpers.FATHER_ID), N),
            target_ms=100,
        )

    def consent() -> None:
        draft = helpers.birth_draft(father)
        services.consent_give(application=draft, actor=father.user)

    report(
        "consent + prefill (3 reads, 3 PDFs)",
        timed(consent, max(N // 15, 10), warmup=2),
        target_ms=3000,
    )


if __name__ == "__main__":
    main()
