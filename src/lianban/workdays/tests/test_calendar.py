"""Working-day arithmetic against the State Council's published schedules, 2024–2026."""

import datetime as dt

import pytest

from lianban.workdays import calendar as cal

D = dt.date
LIB = cal.library_calendar()


def add(start: dt.date, days: int) -> cal.WorkdayResult:
    return cal.add_workdays(start, days, LIB)


def test_the_start_day_is_not_counted():
    # Monday 2026-11-23 + 1 working day is Tuesday.
    assert add(D(2026, 11, 23), 1) == cal.WorkdayResult(D(2026, 11, 24), False)


def test_zero_days_is_the_start_day_itself():
    assert add(D(2026, 11, 23), 0).date == D(2026, 11, 23)


def test_weekend_is_skipped():
    assert add(D(2026, 11, 27), 1).date == D(2026, 11, 30)  # Friday → Monday


def test_decision_clock_skips_national_day_2026():
    # 2026-10-01..07 off; Saturday 10-10 is a make-up working day.
    assert add(D(2026, 9, 30), 1).date == D(2026, 10, 8)
    assert add(D(2026, 9, 30), 2).date == D(2026, 10, 9)
    assert add(D(2026, 9, 30), 3).date == D(2026, 10, 10)
    assert add(D(2026, 9, 30), 4).date == D(2026, 10, 12)


def test_make_up_sunday_before_national_day_2026_is_a_working_day():
    assert LIB.is_workday(D(2026, 9, 20))
    assert add(D(2026, 9, 19), 1).date == D(2026, 9, 20)


def test_spring_festival_2026():
    # Saturday 02-14 is worked; 02-15..02-23 off; Saturday 02-28 is worked.
    assert add(D(2026, 2, 13), 1).date == D(2026, 2, 14)
    assert add(D(2026, 2, 14), 1).date == D(2026, 2, 24)
    assert add(D(2026, 2, 27), 1).date == D(2026, 2, 28)
    assert not LIB.is_workday(D(2026, 2, 16))


def test_spring_festival_2024_new_years_eve_is_worked():
    # 2024: 02-10..17 off, Sunday 02-04 and 02-18 worked, 除夕 02-09 a working day.
    assert add(D(2024, 2, 8), 1).date == D(2024, 2, 9)
    assert add(D(2024, 2, 9), 1).date == D(2024, 2, 18)
    assert add(D(2024, 2, 3), 1).date == D(2024, 2, 4)


def test_national_day_2024_with_make_up_days():
    # 2024: 10-01..07 off, Sunday 09-29 and Saturday 10-12 worked.
    assert add(D(2024, 9, 28), 1).date == D(2024, 9, 29)
    assert add(D(2024, 9, 30), 1).date == D(2024, 10, 8)
    assert add(D(2024, 10, 11), 1).date == D(2024, 10, 12)


def test_spring_festival_2025():
    # 2025: 01-28..02-04 off, Sunday 01-26 and Saturday 02-08 worked.
    assert add(D(2025, 1, 25), 1).date == D(2025, 1, 26)
    assert add(D(2025, 1, 27), 1).date == D(2025, 2, 5)
    assert add(D(2025, 2, 7), 1).date == D(2025, 2, 8)


def test_mid_autumn_and_national_day_2025():
    # 2025: 10-01..08 off, Sunday 09-28 and Saturday 10-11 worked.
    assert add(D(2025, 9, 30), 1).date == D(2025, 10, 9)
    assert add(D(2025, 9, 27), 1).date == D(2025, 9, 28)


def test_long_limit_across_year_end_2025():
    # 20 working days from 2025-12-15 (Mon): 12-16..12-31 = 12 days, 2026-01-01..03 off,
    # Sunday 01-04 worked (13), then 01-05..01-13 (14..20).
    assert add(D(2025, 12, 15), 20).date == D(2026, 1, 13)


def test_unknown_year_is_computed_on_weekends_and_flagged_provisional():
    result = add(D(2026, 12, 30), 3)
    assert result == cal.WorkdayResult(D(2027, 1, 4), True)


def test_unknown_year_never_raises():
    assert add(D(2031, 5, 1), 5).provisional is True


def test_known_year_result_is_not_provisional():
    assert add(D(2026, 12, 28), 3).provisional is False


def test_overrides_win_over_the_library_and_publish_a_year():
    calendar = LIB.with_overrides(
        holidays={D(2027, 1, 1), D(2026, 10, 8)},
        workdays={D(2026, 10, 4)},
        published_years={2027},
    )
    assert cal.add_workdays(D(2026, 9, 30), 1, calendar).date == D(2026, 10, 4)
    assert cal.add_workdays(D(2026, 10, 4), 1, calendar).date == D(2026, 10, 9)
    assert cal.add_workdays(D(2026, 12, 30), 3, calendar) == cal.WorkdayResult(D(2027, 1, 5), False)


def test_count_workdays_excludes_start_includes_end():
    assert cal.count_workdays(D(2026, 9, 30), D(2026, 10, 12), LIB) == cal.Count(4, False)
    assert cal.count_workdays(D(2026, 10, 12), D(2026, 10, 12), LIB).days == 0
    assert cal.count_workdays(D(2026, 12, 31), D(2027, 1, 8), LIB) == cal.Count(6, True)


def test_count_is_the_inverse_of_add():
    start = D(2024, 1, 1)
    for days in (1, 5, 20, 60, 250):
        end = add(start, days).date
        assert cal.count_workdays(start, end, LIB).days == days


def test_workdays_left_is_negative_when_overdue():
    assert cal.workdays_left(D(2026, 10, 8), D(2026, 10, 9), LIB) == 1
    assert cal.workdays_left(D(2026, 10, 9), D(2026, 10, 9), LIB) == 0
    assert cal.workdays_left(D(2026, 10, 12), D(2026, 9, 30), LIB) == -4


@pytest.mark.parametrize("days", [-1, cal.MAX_DAYS + 1])
def test_out_of_range_days_are_refused(days):
    with pytest.raises(ValueError):
        add(D(2026, 1, 5), days)
