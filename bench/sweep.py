"""``lianban sweep_files`` over many stored files: how long the nightly sweep takes.

    .venv/bin/python -m bench.sweep                      # 100,000 materials, 1 % orphans
    BENCH_FILES=1000000 DATABASE_URL=postgres://... .venv/bin/python -m bench.sweep

Makes one application through the services, then ``BENCH_FILES`` material rows with their files
spread over twelve month folders (rows written in bulk, files of 1 kB), and ``BENCH_ORPHANS``
files no row names (1 % by default), all older than the grace period. Times the dry run and the
sweep, checks that exactly the orphans went, and prints files examined per second and the
process's peak memory before and after the sweeps (one folder's names are held at a time)."""

from __future__ import annotations

import os
import resource
import time
from pathlib import Path

from bench.common import core_speed, machine, use_scratch_database
from bench.intake import make_applicants, restaurant_draft

FILES = int(os.environ.get("BENCH_FILES", "100000"))
ORPHANS = int(os.environ.get("BENCH_ORPHANS", str(max(1, FILES // 100))))
MONTHS = 12
BODY = b"%PDF-1.4\n" + b"0" * 1000 + b"\n%%EOF\n"


def _application():  # type: ignore[no-untyped-def]
    from lianban.accounts.models import Applicant
    from lianban.catalog import loader

    loader.load(loader.read())
    (name,) = make_applicants(1, "bench")
    applicant = Applicant.objects.get(credit_code=name)
    return restaurant_draft(applicant), applicant.user


def _fill(root: Path, app, user) -> set[str]:  # type: ignore[no-untyped-def]
    from lianban.applications.models import MaterialFile

    old = time.time() - 3 * 24 * 3600
    orphans: set[str] = set()
    rows = []
    for i in range(FILES + ORPHANS):
        name = f"materials/2026/{i % MONTHS + 1:02d}/{app.pk}-m{i}-v1.pdf"
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(BODY)
        os.utime(path, (old, old))
        if i >= FILES:
            orphans.add(name)
            continue
        rows.append(
            MaterialFile(
                application=app,
                material_code=f"m{i}",
                version=1,
                file=name,
                original_name="扫描件.pdf",
                content_type="application/pdf",
                size=len(BODY),
                sha256="0" * 64,
                uploaded_by=user,
            )
        )
        if len(rows) == 10_000:
            MaterialFile.objects.bulk_create(rows)
            rows = []
    MaterialFile.objects.bulk_create(rows)
    return orphans


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    use_scratch_database()
    from django.conf import settings
    from django.db import connection

    from lianban.backup.sweep import sweep

    print(f"machine: {machine()}; {core_speed()}; database: {connection.vendor}")
    root = Path(settings.MEDIA_ROOT)
    start = time.perf_counter()
    app, user = _application()
    orphans = _fill(root, app, user)
    made_peak = _peak_mib()
    print(
        f"made {FILES:,} stored materials and {len(orphans):,} orphans in "
        f"{time.perf_counter() - start:.1f} s"
    )

    for label, remove in (("dry run", False), ("sweep", True)):
        start = time.perf_counter()
        done = sweep(remove=remove)
        seconds = time.perf_counter() - start
        assert set(done.orphans) == orphans, "the sweep found other files than the orphans"
        print(
            f"{label:<8} {done.examined:>9,} files in {seconds:6.2f} s "
            f"({done.examined / seconds:,.0f} files/s), {len(done.orphans):,} orphans, "
            f"peak RSS now {_peak_mib():.0f} MiB"
        )
    left = sum(len(files) for _, _, files in os.walk(root))
    assert left == FILES, (left, FILES)
    print(f"every stored material kept ({left:,}); peak RSS {made_peak:.0f} MiB before the sweeps")


if __name__ == "__main__":
    main()
