"""Request and response bodies of ``/api/v1/window``, every field described in Chinese."""

from __future__ import annotations

import datetime as dt

from ninja import Schema
from pydantic import Field

from lianban.applications.api_schemas import (
    EXPECTED_DOC,
    ApplicationApplicantOut,
    ApplicationOut,
    Status,
)


class WindowQueueRowOut(Schema):
    id: int = Field(description="申请编号")
    receipt_number: str | None = Field(description="收件编号")
    bundle_name: str = Field(description="一件事名称")
    applicant: ApplicationApplicantOut = Field(description="申请人（证件号码和手机号码脱敏）")
    submitted_at: dt.datetime | None = Field(description="提交时间")
    intake_due: dt.date | None = Field(description="收件期限（提交后 1 个工作日）")
    intake_due_provisional: bool = Field(description="期限涉及未公布节假日安排的年份，仅按周末推算")
    light: str = Field(
        description="灯色：green 正常、yellow 即将到期（不超过 1 个工作日）、red 已超期"
    )
    review_round: int = Field(description="审查轮次（补正后重新提交的为 2 及以上）")


class WindowQueuePageOut(Schema):
    count: int = Field(description="待收件的申请总数")
    page: int = Field(description="当前页码")
    page_size: int = Field(description="每页条数")
    pages: int = Field(description="总页数")
    results: list[WindowQueueRowOut] = Field(description="本页申请，收件期限最早（最紧急）的在前")


class WindowDeferrableOut(Schema):
    code: str = Field(description="材料编码")
    name: str = Field(description="材料名称")
    limit_days: int = Field(description="需要该材料的事项中最短的承诺时限（工作日）")
    latest_due: dt.date = Field(description="承诺补交日期最晚可以是哪天")


class WindowApplicationOut(ApplicationOut):
    deferrable: list[WindowDeferrableOut] = Field(
        description="尚未提交、可以容缺受理的次要材料（收件时可在 commitments 中列出）"
    )


class WindowVerdictIn(Schema):
    expected_status: Status = Field(description=EXPECTED_DOC)
    material: str = Field(max_length=64, description="材料编码")
    verdict: str = Field(
        max_length=12, description="审查结论：accepted 合格、missing 缺少、irregular 不符合要求"
    )
    reason: str = Field("", max_length=1000, description="理由；不符合要求时必填，至多 300 字")


class WindowFieldFixIn(Schema):
    key: str = Field(max_length=64, description="需要更正的申请表字段键")
    reason: str = Field(max_length=1000, description="需要如何更正")


class WindowCorrectionIn(Schema):
    expected_status: Status = Field(description=EXPECTED_DOC)
    fields: list[WindowFieldFixIn] = Field(
        [],
        max_length=200,
        description="需要更正的申请表字段；审查为缺少或不符合要求的材料自动列入补正告知",
    )


class WindowCommitmentIn(Schema):
    material: str = Field(max_length=64, description="容缺后补的次要材料编码")
    due: dt.date = Field(description="申请人承诺补交的日期，不晚于相关事项的承诺时限")
    statement: str = Field(max_length=2000, description="申请人的书面承诺内容")


class WindowReceiveIn(Schema):
    expected_status: Status = Field(description=EXPECTED_DOC)
    commitments: list[WindowCommitmentIn] = Field(
        [],
        max_length=200,
        description="容缺受理：尚未提交的次要材料及申请人的书面承诺；为空即全部材料合格后收件",
    )


class WindowDeliverIn(Schema):
    expected_status: Status = Field(description=EXPECTED_DOC)
    recipient: str = Field("", max_length=1000, description="领取人（窗口领取时必填，至多 64 字）")
    tracking_number: str = Field(
        "", max_length=1000, description="邮件号（邮寄送达时必填，至多 40 字）"
    )
