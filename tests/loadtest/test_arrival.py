"""The open model's schedule and dispatch, with time passed in."""

from __future__ import annotations

from loadtest.arrival import ArrivalSchedule, Dispatcher


def test_a_constant_rate_issues_that_many_starts_evenly() -> None:
    schedule = ArrivalSchedule(lambda t: 10.0 if t < 5 else None)
    slots = schedule.due(4.999)
    assert len(slots) == 50
    assert all(abs((b - a) - 0.1) < 1e-9 for a, b in zip(slots, slots[1:]))
    assert schedule.due(10) == [] and schedule.finished


def test_starts_follow_the_schedule_even_when_looked_at_late() -> None:
    # The pacer may wake late (a busy machine): overdue starts still come out, with
    # their scheduled times, instead of silently shifting the whole schedule.
    schedule = ArrivalSchedule(lambda t: 4.0)
    assert schedule.due(0.0) == [0.0]
    assert schedule.due(1.0) == [0.25, 0.5, 0.75, 1.0]


def test_the_process_share_scales_the_rate() -> None:
    schedule = ArrivalSchedule(lambda t: 10.0, share=lambda: 0.5)
    assert len(schedule.due(1.999)) == 10


def test_a_zero_rate_issues_nothing_until_it_rises() -> None:
    schedule = ArrivalSchedule(lambda t: 0.0 if t < 1 else 2.0)
    assert schedule.due(0.99) == []
    assert len(schedule.due(2.0)) >= 2


def test_a_start_without_an_idle_user_is_dropped_and_counted() -> None:
    dispatcher = Dispatcher()
    dispatcher.user_idle()
    assert [dispatcher.offer(), dispatcher.offer()] == [True, False]
    dispatcher.user_idle()
    dispatcher.user_gone()
    assert dispatcher.offer() is False
    assert (dispatcher.scheduled, dispatcher.dropped) == (3, 2)
