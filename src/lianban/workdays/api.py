import datetime as dt

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from lianban.api.errors import ErrorOut
from lianban.common.errors import DomainError
from lianban.workdays import calendar, selectors

router = Router(tags=["工作日"])


EARLIEST = dt.date(1949, 10, 1)
LATEST = dt.date(2199, 12, 31)


def _in_range(day: dt.date, path: str) -> None:
    if not EARLIEST <= day <= LATEST:
        raise DomainError(f"日期应在{EARLIEST:%Y-%m-%d}至{LATEST:%Y-%m-%d}之间。", path=path)


class AddIn(Schema):
    start: dt.date = Field(description="起算日（当日不计入），1949-10-01 至 2199-12-31")
    days: int = Field(ge=0, le=calendar.MAX_DAYS, description="工作日数")


class AddOut(Schema):
    date: dt.date
    provisional: bool = Field(
        description="涉及国务院尚未公布（或本系统尚未录入）安排的年份，仅按周末推算"
    )


class CountIn(Schema):
    start: dt.date = Field(description="起算日（当日不计入），1949-10-01 至 2199-12-31")
    end: dt.date = Field(description="截止日（计入），1949-10-01 至 2199-12-31")


class CountOut(Schema):
    days: int
    provisional: bool


@router.get("/add", response={200: AddOut, 400: ErrorOut}, summary="起算日加 N 个工作日")
def add(request: HttpRequest, params: Query[AddIn]) -> AddOut:
    _in_range(params.start, "start")
    result = selectors.add_workdays(params.start, params.days)
    return AddOut(date=result.date, provisional=result.provisional)


@router.get(
    "/count",
    response={200: CountOut, 400: ErrorOut},
    summary="两日期之间的工作日数（起算日不计入，截止日计入）",
)
def count(request: HttpRequest, params: Query[CountIn]) -> CountOut:
    _in_range(params.start, "start")
    _in_range(params.end, "end")
    if (params.end - params.start).days > 2 * calendar.MAX_DAYS:
        raise DomainError("日期区间过长。", path="end")
    if params.end < params.start:
        raise DomainError("截止日不能早于起算日。", path="end")
    result = selectors.count_workdays(params.start, params.end)
    return CountOut(days=result.days, provisional=result.provisional)
