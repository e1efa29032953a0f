"""Sealing benchmark: official documents rendered and sealed as the platform issues them — a
receipt-like :class:`~lianban.documents.render.Document` rendered by fpdf2, then
:func:`lianban.signing.services.issue_document` inside ``transaction.atomic()`` (seal image,
PAdES signature with the platform's timestamp, register row, audit event, stored file).

    .venv/bin/python -m bench.signing                       # SQLite (scratch database)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/lianban_bench .venv/bin/python -m bench.signing

Four kinds of work, each in one process and in BENCH_WORKERS (default 2) worker processes
sharing the database: render only; seal only (a rendered PDF sealed again and again under
new numbers); render + seal; and a result as a department returns it (an uploaded PDF with
the reviewer's personal signature, a QR code and the department's seal). Prints documents
per second (wall clock, all processes together) and p50/p95 per document. BENCH_N (default
120) documents per kind and configuration. Target: ≥ 20 documents/s for render + seal."""

from __future__ import annotations

import logging
import multiprocessing as mp
import os
import statistics
import sys
import time
from typing import Any

from bench.common import core_speed, machine, use_scratch_database

N = int(os.environ.get("BENCH_N", "120"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
WARMUP = 3
TARGET_PER_SECOND = 20.0
KINDS = ("render", "seal", "render+seal", "result")
LABELS = {
    "render": "render only",
    "seal": "seal only",
    "render+seal": "render + seal (receipt)",
    "result": "result: personal signature + seal",
}

MATERIALS = [
    ("申请人居民身份证", "C 申请人上传", "第1版"),
    ("经营场所租赁合同", "B 原件核验", "第2版"),
    ("经营场所平面图", "C 申请人上传", "第1版"),
    ("门头设计效果图", "C 申请人上传", "第1版"),
    ("食品安全管理制度", "容缺", "承诺于2026年12月4日前补交"),
]
ITEMS = [
    ("营业执照登记", "区市场监管局", "3个工作日"),
    ("食品经营许可核发", "区市场监管局", "10个工作日"),
    ("公众聚集场所投入使用、营业前消防安全检查", "消防救援支队", "8个工作日"),
    ("设置大型户外广告审批", "城管局", "5个工作日"),
]


def receipt(number: str) -> Any:
    """A 收件回执 like the window's: two tables and the notes, on one page."""
    from django.utils import timezone

    from lianban.documents.render import Document, Section, Table
    from lianban.signing.services import verify_url

    return Document(
        title="收件回执",
        number=number,
        issued_at=timezone.now(),
        issuer="政务服务大厅“一件事一次办”综合窗口",
        recipient="卫滨区好味道餐饮店",
        sections=[
            Section(
                "",
                paragraphs=[
                    f"申请事项：我要开饭店　收件编号：{number}　"
                    "申请人：卫滨区好味道餐饮店（92410702******001X）",
                    "您提交的“我要开饭店”申请材料齐全、符合法定形式，本窗口已予收件，"
                    "并分送以下部门办理。",
                ],
            ),
            Section(
                "一、已收材料",
                table=Table(
                    ("序号", "材料名称", "形式", "备注"),
                    [(str(n), *m) for n, m in enumerate(MATERIALS, start=1)],
                ),
            ),
            Section(
                "二、办理事项",
                table=Table(
                    ("序号", "事项名称", "办理部门", "承诺时限"),
                    [(str(n), *i) for n, i in enumerate(ITEMS, start=1)],
                ),
            ),
            Section(
                "三、说明",
                paragraphs=[
                    "各部门自收件后1个工作日内作出受理决定；按关键路径计，承诺办结时限合计"
                    "14个工作日（受理当日不计入）。",
                    "扫描下方二维码可核验本回执的真实性，并随时查看办理进度。",
                ],
            ),
        ],
        verify_url=verify_url(number),
        footer=f"收件回执 {number}",
    )


def uploaded_result() -> bytes:
    """A department's result as uploaded: a one-page licence PDF of its own layout."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=14)
    for n in range(30):
        pdf.cell(
            text=f"Food business licence JY14107020001 - line {n}", new_x="LMARGIN", new_y="NEXT"
        )
    return bytes(pdf.output())


class Work:
    """One process's means to make documents of each kind, numbered uniquely."""

    def __init__(self, tag: str) -> None:
        from lianban.accounts.models import User
        from lianban.catalog.models import Department
        from lianban.documents.render import render_pdf

        self.tag = tag
        self.count = 0
        self.department = Department.objects.get(code="bench")
        self.reviewer = User.objects.get(username="bench-reviewer")
        self.rendered = render_pdf(receipt(f"SJ{tag}-00000"))
        self.result = uploaded_result()

    def number(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.tag}-{self.count:05d}"

    def do(self, kind: str) -> None:
        from django.db import transaction

        from lianban.documents.render import SEAL_BOX, SEAL_PAGE, render_pdf
        from lianban.signing.models import IssuedDocument
        from lianban.signing.pdfsign import Stamp
        from lianban.signing.services import issue_document

        if kind == "result":
            number = self.number("JG")
            with transaction.atomic():
                issue_document(
                    pdf=self.result,
                    number=number,
                    kind=IssuedDocument.Kind.RESULT,
                    title="食品经营许可证",
                    department=self.department,
                    actor=self.reviewer,
                    personal=True,
                    qr=True,
                )
            return
        number = self.number("SJ")
        pdf = self.rendered if kind == "seal" else render_pdf(receipt(number))
        if kind == "render":
            return
        with transaction.atomic():
            issue_document(
                pdf=pdf,
                number=number,
                kind=IssuedDocument.Kind.RECEIPT,
                title="收件回执",
                department=None,
                actor=None,
                stamp=Stamp(SEAL_PAGE, SEAL_BOX.pdf_points()),
            )


def run(work: Work, kind: str, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        work.do(kind)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def prepare() -> None:
    """The department, its reviewer, and every key made once (as on a running platform)."""
    from lianban.accounts.models import User
    from lianban.catalog.models import Department
    from lianban.signing import keys
    from lianban.signing.services import seal_for

    department = Department.objects.create(code="bench", name="卫滨区市场监督管理局")
    reviewer = User.objects.create(
        username="bench-reviewer", role=User.Role.REVIEWER, department=department
    )
    seal_for(None)
    seal_for(department)
    keys.timestamp_authority()
    keys.personal_credential(reviewer)


def quiet() -> None:
    # pyHanko warns for every QR stamp that its caption's margin does not fit.
    logging.getLogger("pyhanko").setLevel(logging.ERROR)


def _worker(tag: str, kind: str, n: int, barrier: Any, results: Any) -> None:
    import django

    django.setup()
    quiet()
    work = Work(tag)
    for _ in range(WARMUP):  # keys decrypted, fonts and seal images loaded once per process
        work.do(kind)
    barrier.wait()
    start = time.perf_counter()
    samples = run(work, kind, n)
    results.put((tag, samples, time.perf_counter() - start))


def in_workers(kind: str, n: int, workers: int) -> tuple[list[float], float]:
    """n documents of ``kind`` over ``workers`` processes; per-document times and wall time."""
    from django.db import connections

    connections.close_all()
    ctx = mp.get_context("spawn")  # each worker sets Django up afresh
    barrier = ctx.Barrier(workers + 1)
    results = ctx.Queue()
    share = [n // workers + (1 if i < n % workers else 0) for i in range(workers)]
    processes = [
        ctx.Process(
            target=_worker,
            args=(f"W{KINDS.index(kind)}{i}", kind, share[i]),
            kwargs={"barrier": barrier, "results": results},
        )
        for i in range(workers)
    ]
    for p in processes:
        p.start()
    barrier.wait()
    start = time.perf_counter()
    samples: list[float] = []
    for _ in processes:
        _, got, _ = results.get(timeout=600)
        samples += got
    wall = time.perf_counter() - start
    for p in processes:
        p.join()
        if p.exitcode != 0:
            raise SystemExit(f"a worker failed (exit code {p.exitcode})")
    return samples, wall


def line(label: str, samples: list[float], wall: float) -> str:
    ordered = sorted(samples)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]

    text = (
        f"{label:<48} n={len(samples):<4} {len(samples) / wall:6.1f} docs/s  "
        f"p50={pct(50):7.1f} ms  p95={pct(95):7.1f} ms  mean={statistics.fmean(samples):7.1f} ms"
    )
    print(text, flush=True)
    return text


def main() -> None:
    use_scratch_database()
    quiet()
    from django.db import connection

    print(f"machine: {machine()}; database: {connection.vendor}; {N} documents per line")
    # Before and after: these VMs' speed drifts within minutes.
    print(f"core speed: {core_speed()}")
    prepare()
    figures: dict[tuple[str, int], float] = {}

    work = Work("P")
    for kind in KINDS:
        run(work, kind, WARMUP)
        start = time.perf_counter()
        samples = run(work, kind, N)
        wall = time.perf_counter() - start
        line(f"{LABELS[kind]}, 1 process", samples, wall)
        figures[(kind, 1)] = N / wall
    for kind in KINDS:
        samples, wall = in_workers(kind, N, WORKERS)
        line(f"{LABELS[kind]}, {WORKERS} processes", samples, wall)
        figures[(kind, WORKERS)] = N / wall

    from lianban.signing.models import IssuedDocument

    issued = IssuedDocument.objects.count()
    expected = (WARMUP + N) * 3 + len(KINDS[1:]) * (N + WARMUP * WORKERS)
    print(f"register: {issued} documents (expected {expected})")
    best = max(figures[("render+seal", 1)], figures[("render+seal", WORKERS)])
    verdict = "OK" if best >= TARGET_PER_SECOND else "MISSED"
    print(f"render + seal: {best:.1f} documents/s, target ≥ {TARGET_PER_SECOND:g}: {verdict}")
    print(f"core speed after: {core_speed()}")
    if issued != expected:
        sys.exit("the register does not hold every sealed document")


if __name__ == "__main__":
    main()
