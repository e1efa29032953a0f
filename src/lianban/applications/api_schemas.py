"""Request and response bodies of ``/api/v1/applications`` (and what ``/api/v1/window``
shares with it), every field described in Chinese. Names start with ``Application`` so that
they cannot clash with other routers' schemas in the one OpenAPI document."""

from __future__ import annotations

import datetime as dt
from typing import Any

from ninja import Schema
from pydantic import Field

from lianban.api.errors import FieldError
from lianban.applications.models import Application

Status = Application.Status

EXPECTED_DOC = "客户端所见的申请当前状态；与实际状态不符时返回 409（申请已有变化，请重新读取）"


class ApplicationBundleOut(Schema):
    code: str = Field(description="一件事编码")
    name: str = Field(description="一件事名称")
    version: int = Field(description="申请所依据的一件事版本号")


class ApplicationApplicantOut(Schema):
    kind: str = Field(description="申请人类型：natural 自然人、legal 法人及其他组织")
    name: str = Field(description="姓名或名称")
    identifier: str = Field(
        description="居民身份证号码或统一社会信用代码：列表中脱敏，读取单件申请时完整显示（同页面）"
    )
    phone: str = Field(description="手机号码：列表中脱敏，读取单件申请时完整显示")


class ApplicationFormFieldOut(Schema):
    key: str = Field(description="字段键，保存申请表时用作 form 的键")
    label: str = Field(description="字段名称")
    type: str = Field(description="字段类型，如 text、integer、decimal、date、phone、id_number")
    required: bool = Field(description="是否必填")
    help: str = Field(description="填写说明")
    unit: str = Field(description="单位")
    choices: Any = Field(description="可选项（选择类字段）")
    value: Any = Field(description="已保存的值；未填写为 null")
    display: str = Field(description="按页面显示的值")
    editable: bool = Field(description="现在是否可以修改（草稿全部可改；补正时仅补正告知所列）")
    items: list[str] = Field(description="需要该字段的事项名称")


class ApplicationFileOut(Schema):
    id: int = Field(description="材料文件编号，下载时使用")
    version: int = Field(description="版本号：每次上传新增一个版本，旧版本保留")
    original_name: str = Field(description="上传时的文件名")
    content_type: str = Field(description="按内容检查得到的文件类型")
    size: int = Field(description="大小（字节）")
    sha256: str = Field(description="SHA-256 摘要（十六进制）")
    evidence: str = Field(description="证据等级：A 共享、B 窗口核验原件、C 申请人上传、D 承诺替代")
    uploaded_at: dt.datetime = Field(description="上传时间")


class ApplicationReviewOut(Schema):
    verdict: str = Field(
        description="窗口审查结论：accepted 合格、missing 缺少、irregular 不符合要求、deferred 容缺后补"
    )
    verdict_label: str = Field(description="审查结论的中文名称")
    reason: str = Field(description="理由")
    round: int = Field(description="审查轮次")
    reviewed_at: dt.datetime = Field(description="审查时间")


class ApplicationMaterialOut(Schema):
    code: str = Field(description="材料编码，上传时使用")
    name: str = Field(description="材料名称")
    description: str = Field(description="材料说明")
    secondary: bool = Field(description="是否次要材料（可容缺受理）")
    items: list[str] = Field(description="需要该材料的事项名称")
    editable: bool = Field(description="现在是否可以上传新版本")
    files: list[ApplicationFileOut] = Field(description="已提交的各版本，最新的在前")
    review: ApplicationReviewOut | None = Field(
        description="窗口的审查结论：申请人在待补正时看到导致补正的结论；窗口看到本轮结论"
    )


class ApplicationNoticeOut(Schema):
    id: int = Field(description="文书编号（内部），下载时使用")
    kind: str = Field(
        description="类型：receipt 收件回执、correction 补正告知书、commitment 容缺受理承诺书、"
        "acceptance 受理通知书、refusal 不予受理通知书"
    )
    kind_label: str = Field(description="类型的中文名称")
    number: str = Field(description="文书编号")
    issued_at: dt.datetime = Field(description="出具时间")
    resolved_at: dt.datetime | None = Field(description="补正完成时间（仅补正告知书）")
    content: dict[str, Any] = Field(description="文书所列内容（如补正告知所列材料和字段）")
    has_pdf: bool = Field(description="是否已生成可下载的 PDF 文书")


class ApplicationCommitmentOut(Schema):
    material_code: str = Field(description="容缺后补的材料编码")
    material_name: str = Field(description="材料名称")
    due: dt.date = Field(description="承诺补交日期")
    statement: str = Field(description="书面承诺内容")
    fulfilled_at: dt.datetime | None = Field(description="补交时间；尚未补交为空")


class ApplicationResultOut(Schema):
    id: int = Field(description="办理结果编号，下载时使用")
    kind: str = Field(
        description="类型：licence 许可证、certificate 证明、decision 决定书、notice 通知书"
    )
    title: str = Field(description="名称")
    number: str = Field(description="文号")
    downloadable: bool = Field(description="现在能否由调用者下载")


class ApplicationCaseOut(Schema):
    id: int = Field(description="办件编号")
    item_code: str = Field(description="事项编码")
    item_name: str = Field(description="事项名称")
    department: str = Field(description="办理部门")
    status: str = Field(description="办件状态")
    status_label: str = Field(description="办件状态的中文名称")
    due: dt.date | None = Field(description="当前计时的到期日；未在计时为空")
    light: str = Field(
        description="灯色：green 正常、yellow 即将到期、red 已超期、paused 已中止；无计时为空"
    )
    extended: bool = Field(description="是否已延期")
    results: list[ApplicationResultOut] = Field(description="办理结果")


class ApplicationDeliveryOut(Schema):
    method: str = Field(
        description="送达方式：together 全部办结后统一领取、each 分别领取、post 邮寄、self_print 网上自助打印"
    )
    method_label: str = Field(description="送达方式的中文名称")
    address: str = Field(description="邮寄地址（仅邮寄送达）")
    delivered_items: list[str] = Field(description="已送达结果的事项名称")


class ApplicationOut(Schema):
    id: int = Field(description="申请编号")
    receipt_number: str | None = Field(description="收件编号；提交或收件前为空")
    bundle: ApplicationBundleOut = Field(description="一件事")
    applicant: ApplicationApplicantOut = Field(description="申请人")
    channel: str = Field(description="申请渠道：online 网上、window 窗口、node 下级平台转入")
    status: Status = Field(description="申请状态")
    status_label: str = Field(description="申请状态的中文名称")
    answers: dict[str, Any] = Field(description="情形回答")
    created_at: dt.datetime = Field(description="创建时间")
    submitted_at: dt.datetime | None = Field(description="提交时间")
    intake_due: dt.date | None = Field(
        description="收件期限：网上提交后 1 个工作日内收件或一次性告知补正"
    )
    intake_due_provisional: bool = Field(
        description="收件期限涉及未公布节假日安排的年份，仅按周末推算"
    )
    intake_light: str = Field(description="收件计时灯色：green、yellow、red；无计时为空")
    received_at: dt.datetime | None = Field(description="收件时间")
    conditional: bool = Field(description="是否容缺受理")
    review_round: int = Field(description="窗口审查轮次")
    planned_completion: dt.date | None = Field(description="预计办结日期")
    completed_at: dt.datetime | None = Field(description="办结时间")
    form: list[ApplicationFormFieldOut] = Field(description="合并后的申请表")
    materials: list[ApplicationMaterialOut] = Field(description="申请材料及其各版本")
    notices: list[ApplicationNoticeOut] = Field(
        description="收件文书和各部门的受理、不予受理通知书"
    )
    commitments: list[ApplicationCommitmentOut] = Field(description="容缺承诺")
    cases: list[ApplicationCaseOut] = Field(description="收件后各事项的办件")
    delivery: ApplicationDeliveryOut = Field(description="送达")
    warnings: list[FieldError] = Field(
        [], description="本次操作的提示（如校验位不符），带字段路径；读取时为空"
    )


class ApplicationSummaryOut(Schema):
    id: int = Field(description="申请编号")
    receipt_number: str | None = Field(description="收件编号")
    bundle_name: str = Field(description="一件事名称")
    status: str = Field(description="申请状态")
    status_label: str = Field(description="申请状态的中文名称")
    created_at: dt.datetime = Field(description="创建时间")
    submitted_at: dt.datetime | None = Field(description="提交时间")
    intake_due: dt.date | None = Field(description="收件期限")


class ApplicationPageOut(Schema):
    count: int = Field(description="总数")
    page: int = Field(description="当前页码")
    page_size: int = Field(description="每页条数")
    pages: int = Field(description="总页数")
    results: list[ApplicationSummaryOut] = Field(description="本页的申请，最新的在前")


class ApplicationPageIn(Schema):
    page: int = Field(1, ge=1, le=100000, description="页码，从 1 开始")
    page_size: int = Field(20, ge=1, le=100, description="每页条数，1 至 100")


# ---- Requests --------------------------------------------------------------------------


class ApplicationStartIn(Schema):
    bundle: str = Field(max_length=64, description="一件事编码")
    answers: dict[str, Any] = Field(
        description="情形回答：{问题键: 选项键}，多选题为选项键的列表；出错时 errors 的路径为 answers.<问题键>"
    )


class DeliveryChoiceIn(Schema):
    method: str = Field(
        max_length=12,
        description="送达方式：together 统一领取、each 分别领取、post 邮寄、self_print 网上自助打印",
    )
    address: str = Field("", max_length=1000, description="邮寄地址（邮寄送达时必填，至多 200 字）")


class ApplicationAtOnceIn(Schema):
    """The ``application`` part of a one-request submission."""

    bundle: str = Field(max_length=64, description="一件事编码")
    answers: dict[str, Any] = Field(description="情形回答，同“开始申请”；出错路径 answers.<问题键>")
    form: dict[str, Any] = Field(
        description="申请表 {字段键: 值}，同“保存申请表”；出错路径 form.<字段键>"
    )
    delivery: DeliveryChoiceIn = Field(
        description="送达方式；出错路径 delivery.method、delivery.address"
    )


class ApplicationExpectedIn(Schema):
    expected_status: Status = Field(description=EXPECTED_DOC)


class ApplicationFormIn(Schema):
    expected_status: Status = Field(description=EXPECTED_DOC)
    form: dict[str, Any] = Field(
        description="要保存的字段 {字段键: 值}；值为空字符串或 null 即清空。"
        "出错时 errors 的路径为 form.<字段键>"
    )


class ApplicationWithdrawIn(Schema):
    expected_status: Status = Field(description=EXPECTED_DOC)
    reason: str = Field("", max_length=200, description="撤回原因（可不填）")


class ApplicationDeliveryIn(DeliveryChoiceIn):
    expected_status: Status = Field(description=EXPECTED_DOC)
