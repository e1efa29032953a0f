"""The request and response bodies of the 系统接入 API, every field described in Chinese."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from lianban.cases.models import ItemCase, Suspension


class TokenOut(Schema):
    access_token: str = Field(description="访问令牌，调用其他接口时放在 Authorization: Bearer 头中")
    token_type: str = Field(description="令牌类型，固定为 Bearer")
    expires_in: int = Field(description="有效期（秒）")
    scope: str = Field(description="令牌的权限范围，空格分隔")


class CaseSummaryOut(Schema):
    id: int = Field(description="办件编号")
    status: str = Field(description="办件状态")
    outcome: str = Field(description="决定：approved 准予、denied 不予；未决定时为空")
    item_code: str = Field(description="事项编码")
    item_name: str = Field(description="事项名称")
    receipt_number: str = Field(description="一件事申请的收件编号")
    applicant_name: str = Field(description="申请人姓名或名称")
    applicant_identifier: str = Field(description="申请人证件号码（列表中一律脱敏）")
    running_due: dt.date | None = Field(description="当前计时的到期日；未在计时为空")
    extended: bool = Field(description="是否已延期")
    dispatched_at: dt.datetime | None = Field(description="分送本部门的时间")


class CasePageOut(Schema):
    count: int = Field(description="符合条件的办件总数")
    page: int = Field(description="当前页码")
    page_size: int = Field(description="每页条数")
    pages: int = Field(description="总页数")
    results: list[CaseSummaryOut] = Field(description="本页办件，按当前计时到期日升序")


class CaseFilter(Schema):
    status: str | None = Field(
        None, description="按状态筛选，多个用逗号分隔，如 dispatched,accepted"
    )
    item: str | None = Field(None, description="按事项编码筛选")
    due_before: dt.date | None = Field(None, description="当前计时到期日不晚于该日")
    due_after: dt.date | None = Field(None, description="当前计时到期日不早于该日")
    page: int = Field(1, ge=1, description="页码，从 1 开始")
    page_size: int = Field(50, ge=1, le=100, description="每页条数，1 至 100")


class DepartmentOut(Schema):
    code: str = Field(description="部门编码")
    name: str = Field(description="部门名称")


class ApplicantOut(Schema):
    kind: str = Field(description="申请人类型：natural 自然人、legal 法人及其他组织")
    name: str = Field(description="姓名或名称")
    identifier: str = Field(description="证件号码；仅当本事项的表单需要时完整显示，否则脱敏")


class ClockOut(Schema):
    kind: str = Field(description="时限：acceptance 受理、decision 办理、return 结果送回窗口")
    started_on: dt.date = Field(description="起算日（当日不计入）")
    limit_days: int = Field(description="时限（工作日）")
    due: dt.date = Field(description="到期日（已计入中止与延期）")
    provisional: bool = Field(description="涉及尚未公布节假日安排的年份，仅按周末推算")
    paused_days: int = Field(description="中止计时不计入的工作日数")
    extended_days: int = Field(description="经批准延长的工作日数")
    stopped_at: dt.datetime | None = Field(description="完成时间；仍在计时为空")
    light: str = Field(description="灯色：green 正常、yellow 即将到期、red 已超期、paused 已中止")


class FieldValueOut(Schema):
    key: str = Field(description="字段键")
    label: str = Field(description="字段名称")
    type: str = Field(description="字段类型")
    value: Any = Field(description="申请人填写的值（按类型的规范形式）；未填为 null")


class MaterialFileOut(Schema):
    id: int = Field(description="文件编号")
    version: int = Field(description="版本（补正时递增）")
    content_type: str = Field(description="文件类型")
    size: int = Field(description="大小（字节）")
    sha256: str = Field(description="SHA-256 摘要")
    evidence: str = Field(description="证据等级：A 共享、B 窗口核验原件、C 申请人上传、D 承诺替代")
    uploaded_at: dt.datetime = Field(description="上传时间")
    download: str = Field(description="下载地址（需 materials:read 权限）")


class MaterialOut(Schema):
    code: str = Field(description="材料编码")
    name: str = Field(description="材料名称")
    secondary: bool = Field(description="次要材料，可容缺受理")
    files: list[MaterialFileOut] = Field(description="各版本文件，最新在前")
    committed_by: dt.date | None = Field(description="容缺受理时申请人承诺补交的日期")


class ResultOut(Schema):
    id: int = Field(description="结果文件编号")
    kind: str = Field(
        description="类型：licence 许可证、certificate 证明、decision 决定书、notice 通知书"
    )
    title: str = Field(description="名称")
    number: str = Field(description="文号")
    sha256: str = Field(description="SHA-256 摘要")


class CaseOut(Schema):
    id: int = Field(description="办件编号")
    status: str = Field(description="办件状态")
    status_label: str = Field(description="办件状态（中文）")
    outcome: str = Field(description="决定：approved 准予、denied 不予；未决定时为空")
    reason: str = Field(description="不予受理、不予许可或取消的理由")
    item_code: str = Field(description="事项编码")
    item_name: str = Field(description="事项名称")
    department: DepartmentOut = Field(description="办理部门")
    receipt_number: str = Field(description="收件编号")
    bundle_name: str = Field(description="一件事名称")
    applicant: ApplicantOut = Field(description="申请人")
    dispatched_at: dt.datetime | None = Field(description="分送时间")
    accepted_at: dt.datetime | None = Field(description="受理时间")
    decided_at: dt.datetime | None = Field(description="决定时间")
    returned_at: dt.datetime | None = Field(description="结果送回窗口时间")
    extended: bool = Field(description="是否已延期（只能延期一次）")
    running_due: dt.date | None = Field(description="当前计时的到期日")
    clocks: list[ClockOut] = Field(description="各项法定时限")
    fields: list[FieldValueOut] = Field(description="本事项需要的表单字段及其值（最小必要）")
    materials: list[MaterialOut] = Field(description="本事项需要的申请材料")
    results: list[ResultOut] = Field(description="已上传的办理结果")
    allowed_commands: list[str] = Field(description="当前状态允许的操作")


class ExpectedIn(Schema):
    expected_status: ItemCase.Status = Field(
        description="客户端所见的办件当前状态；与实际不符时返回 409"
    )


class RefuseIn(ExpectedIn):
    reason: str = Field(description="不予受理的理由（将写入不予受理通知书）")


class SupplementIn(ExpectedIn):
    material_codes: list[str] = Field(description="需要补正的材料编码（须为本事项的材料）")
    reason: str = Field(description="需要补正的内容")


class SuspendIn(ExpectedIn):
    kind: Suspension.Kind = Field(
        description="中止事由：检验、检测、检疫、鉴定、专家评审、听证（行政许可法第四十五条）"
    )
    reason: str = Field(description="中止计时的具体事由")


class ExtendIn(ExpectedIn):
    days: int = Field(description="延长的工作日数，1 至 10")
    approver: str = Field(description="批准延期的本部门负责人")
    reason: str = Field(description="延期理由")


class DecideIn(ExpectedIn):
    outcome: ItemCase.Outcome = Field(description="决定：approved 准予、denied 不予")
    reason: str = Field("", description="不予许可时必须说明理由")


class EventTypeOut(Schema):
    type: str = Field(description="事件类型")
    label: str = Field(description="说明")


class SubscriptionOut(Schema):
    id: int = Field(description="订阅编号")
    url: str = Field(description="接收地址")
    event_types: list[str] = Field(description="订阅的事件类型")
    active: bool = Field(description="是否有效")
    created_at: dt.datetime = Field(description="创建时间")


class SubscriptionCreatedOut(SubscriptionOut):
    secret: str = Field(
        description="签名密钥，仅此一次返回。每次投递带 Lianban-Signature: t=时间戳,v1=签名，"
        "签名为以此密钥对“时间戳.请求体”计算的 HMAC-SHA256（十六进制）"
    )


class SubscriptionIn(Schema):
    url: str = Field(description="接收地址，http:// 或 https:// 开头")
    event_types: list[str] = Field(description="订阅的事件类型，见 GET /webhooks/event-types")


# ---- 平台互联 ------------------------------------------------------------------------------


class ForwardApplicantIn(Schema):
    kind: str = Field(description="申请人类型：natural 自然人、legal 法人及其他组织")
    name: str = Field(max_length=128, description="姓名或名称")
    id_number: str = Field("", max_length=18, description="居民身份证号码（自然人）")
    credit_code: str = Field("", max_length=18, description="统一社会信用代码（法人）")
    legal_representative: str = Field("", max_length=64, description="法定代表人")
    legal_representative_id: str = Field("", max_length=18, description="法定代表人身份证号码")
    phone: str = Field(max_length=20, description="手机号码")


class ForwardMaterialIn(Schema):
    code: str = Field(max_length=64, description="材料编码")
    name: str = Field(max_length=200, description="原文件名")
    evidence: str = Field("C", max_length=1, description="证据等级 A、B、C、D")
    sha256: str = Field("", max_length=64, description="文件的 SHA-256（可选，供核对）")
    content_base64: str = Field(description="文件内容，Base64")


class ForwardOriginIn(Schema):
    receipt_number: str = Field(max_length=20, description="下级平台的收件编号")
    case_id: int = Field(ge=1, le=2**63 - 1, description="下级平台的办件编号")


class ForwardIn(Schema):
    bundle_code: str = Field(max_length=64, description="一件事编码")
    answers: dict[str, list[str]] = Field(default_factory=dict, description="情形回答")
    item_code: str = Field(max_length=32, description="转送办理的事项编码")
    applicant: ForwardApplicantIn = Field(description="申请人")
    form: dict[str, Any] = Field(default_factory=dict, description="该事项可见的申请表字段")
    materials: list[ForwardMaterialIn] = Field(
        default_factory=list, description="该事项的申请材料（最新版本）"
    )
    origin: ForwardOriginIn = Field(description="下级平台的收件编号和办件编号")


class ForwardedClockOut(Schema):
    kind: str = Field(description="时限：acceptance 受理、decision 办理、return 结果送回")
    started_on: dt.date = Field(description="起算日（当日不计）")
    due: dt.date = Field(description="到期日（已计入中止和延期）")
    stopped_at: dt.datetime | None = Field(description="完成时间；仍在计时为空")
    met: bool | None = Field(description="是否按时完成；未完成为空")


class ForwardedCaseOut(Schema):
    id: int = Field(description="本平台的办件编号")
    receipt_number: str = Field(description="本平台的收件编号")
    status: str = Field(description="办件状态")
    outcome: str = Field(description="决定：approved 准予、denied 不予；未决定时为空")
    running_due: dt.date | None = Field(description="当前计时的到期日")
    clocks: list[ForwardedClockOut] = Field(description="各项计时")


class ForwardedResultOut(Schema):
    kind: str = Field(description="结果类型")
    title: str = Field(description="名称")
    number: str = Field(description="文号")
    sha256: str = Field(description="文件的 SHA-256")
    name: str = Field(description="文件名")
    content_base64: str = Field(description="已签章的文件，Base64")


class MirrorOut(Schema):
    result: str = Field(description="applied 已应用、duplicate 重复投递、ignored 无需应用")
