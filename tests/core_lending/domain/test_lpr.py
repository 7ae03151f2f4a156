from __future__ import annotations

from datetime import date

import pytest

from core_lending.domain import DEFAULT_LPR, DomainError, LprSchedule, LprUnavailable, ValidationError


@pytest.mark.parametrize(("day", "bps"), [
    (date(2020, 4, 1), 385),
    (date(2021, 11, 30), 385),
    (date(2021, 12, 1), 380),
    (date(2022, 1, 31), 370),
    (date(2022, 8, 15), 365),
    (date(2023, 6, 1), 355),
    (date(2023, 8, 1), 345),
    (date(2024, 7, 1), 335),
    (date(2024, 10, 1), 310),
    (date(2025, 4, 30), 310),
    (date(2025, 5, 1), 300),
    (date(2030, 1, 1), 300),
])
def test_default_schedule_is_the_domain_list(day: date, bps: int) -> None:
    assert DEFAULT_LPR.on(day) == bps


def test_before_the_first_entry_raises_a_domain_error() -> None:
    with pytest.raises(LprUnavailable) as err:
        DEFAULT_LPR.on(date(2020, 3, 31))
    assert isinstance(err.value, DomainError)
    assert err.value.fields() == {"day": "2020-03-31"}
    with pytest.raises(LprUnavailable):
        LprSchedule([]).on(date(2025, 1, 1))


def test_exact_dates_from_configuration() -> None:
    s = LprSchedule.from_mapping({"2025-05-20": 300, "2024-10-21": 310, date(2024, 7, 22): 335})
    assert s.on(date(2025, 5, 19)) == 310
    assert s.on(date(2025, 5, 20)) == 300
    assert s.entries[0] == (date(2024, 7, 22), 335)
    assert s == LprSchedule(s.entries) and hash(s) == hash(LprSchedule(s.entries))


@pytest.mark.parametrize("entries", [
    [(date(2025, 1, 1), 0)],
    [(date(2025, 1, 1), 3.1)],
    [(date(2025, 1, 1), 300), (date(2025, 1, 1), 310)],
    [("January", 300)],
])
def test_bad_entries_are_refused(entries: list) -> None:
    with pytest.raises(ValidationError):
        LprSchedule(entries)
