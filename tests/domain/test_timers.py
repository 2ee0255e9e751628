"""Timers held as deadlines: tables of commands and queries, and random runs of pause, resume and extend."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from boards.actors import Actor, Role
from boards.errors import DomainError
from rooms.timers import (
    SYSTEM,
    Due,
    ExtendTimer,
    PauseTimer,
    ResetTimer,
    ResumeTimer,
    StartTimer,
    Timer,
    TimerChanged,
    TimerStatus,
    apply,
    decide,
    extend,
    finish,
    pause,
    reset,
    resume,
    start,
    tick,
    warn,
)

T0 = datetime(2026, 5, 6, 18, 30, tzinfo=UTC)
FAC = Actor("mb_fac", Role.FACILITATOR)
ORG = Actor("mb_org", Role.ORGANIZER)
ANNA = Actor("mb_anna", Role.PARTICIPANT)
OBS = Actor("mb_obs", Role.OBSERVER)


def s(seconds: float) -> timedelta:
    return timedelta(seconds=seconds)


def at(seconds: float) -> datetime:
    return T0 + s(seconds)


def run(timer: Timer, actor: Actor, command: Any) -> Timer:
    for event in decide(timer, actor, command):
        timer = apply(timer, event)
    return timer


def refused(timer: Timer, actor: Actor, command: Any, code: str) -> None:
    with pytest.raises(DomainError) as info:
        decide(timer, actor, command)
    assert info.value.code == code, info.value.message


def running(duration_s: int = 600, **kw: Any) -> Timer:
    return run(Timer(), FAC, StartTimer(duration_s, T0, **kw))


# -- start and the states --------------------------------------------------------------------


def test_starting_sets_the_deadline() -> None:
    [event] = decide(Timer("rm_2"), FAC, StartTimer(300, T0, label=" Gruppenarbeit "))
    assert isinstance(event, TimerChanged) and event.kind == "started" and event.actor == FAC and event.at == T0
    timer = apply(Timer("rm_2"), event)
    assert timer.status is TimerStatus.RUNNING and timer.deadline == at(300) and timer.label == "Gruppenarbeit"
    assert timer.scope == "room:rm_2" and Timer().scope == "event"
    assert timer.remaining(at(100)) == s(200)
    assert timer.remaining(at(301)) == s(0)  # never negative


@pytest.mark.parametrize("duration_s", [5, 60, 8 * 3600])
def test_durations_in_range_start(duration_s: int) -> None:
    assert running(duration_s).remaining(T0) == s(duration_s)


@pytest.mark.parametrize(
    ("command", "code"),
    [
        (StartTimer(4, T0), "invalid_timer"),
        (StartTimer(0, T0), "invalid_timer"),
        (StartTimer(-5, T0), "invalid_timer"),
        (StartTimer(8 * 3600 + 1, T0), "invalid_timer"),
        (StartTimer(True, T0), "invalid_timer"),
        (StartTimer(60, T0, warn_s=-1), "invalid_timer"),
        (StartTimer(60, T0, warn_s=3601), "invalid_timer"),
        (StartTimer(60, T0, label="x" * 81), "text_too_long"),
        (StartTimer(60, T0, label="a\nb"), "control_characters"),
        (PauseTimer(T0), "timer_not_running"),
        (ResumeTimer(T0), "timer_not_paused"),
        (ExtendTimer(60, T0), "timer_idle"),
        (ExtendTimer(0, T0), "invalid_timer"),
        (ExtendTimer(3601, T0), "invalid_timer"),
    ],
)
def test_bad_commands_on_an_idle_timer(command: Any, code: str) -> None:
    refused(Timer(), FAC, command, code)


@pytest.mark.parametrize(
    "command", [StartTimer(60, T0), PauseTimer(T0), ResumeTimer(T0), ExtendTimer(60, T0), ResetTimer(T0)]
)
@pytest.mark.parametrize("actor", [ANNA, OBS])
def test_only_moderators_run_timers(command: Any, actor: Actor) -> None:
    refused(running(), actor, command, "forbidden")


def test_organizers_run_timers_too() -> None:
    assert run(running(), ORG, PauseTimer(at(10))).status is TimerStatus.PAUSED


def test_a_running_or_paused_timer_is_not_started_again() -> None:
    timer = running()
    refused(timer, FAC, StartTimer(60, at(1)), "timer_running")
    refused(run(timer, FAC, PauseTimer(at(1))), FAC, StartTimer(60, at(2)), "timer_running")
    # once its time is up it may start again, even before the server's finish arrived
    assert run(timer, FAC, StartTimer(60, at(600))).deadline == at(660)


def test_pause_keeps_the_remaining_time_and_resume_sets_a_new_deadline() -> None:
    timer = run(running(600), FAC, PauseTimer(at(100)))
    assert timer.status is TimerStatus.PAUSED and timer.deadline is None
    assert timer.remaining(at(100)) == timer.remaining(at(5000)) == s(500)
    refused(timer, FAC, PauseTimer(at(101)), "timer_not_running")
    timer = run(timer, FAC, ResumeTimer(at(1000)))
    assert timer.status is TimerStatus.RUNNING and timer.deadline == at(1500)
    refused(timer, FAC, ResumeTimer(at(1001)), "timer_not_paused")


def test_a_timer_past_its_deadline_cannot_be_paused() -> None:
    refused(running(60), FAC, PauseTimer(at(60)), "timer_not_running")


# -- extend ----------------------------------------------------------------------------------


@pytest.mark.parametrize("seconds", [1, 60, 300, 3600])
def test_extending_a_running_timer_moves_the_deadline(seconds: int) -> None:
    timer = run(running(600), FAC, ExtendTimer(seconds, at(100)))
    assert timer.deadline == at(600 + seconds) and timer.run == s(600 + seconds)


def test_extending_a_paused_timer_adds_to_what_is_left() -> None:
    timer = run(run(running(600), FAC, PauseTimer(at(100))), FAC, ExtendTimer(300, at(200)))
    assert timer.status is TimerStatus.PAUSED and timer.remaining(at(999)) == s(800)


@pytest.mark.parametrize("when", [600, 700])
def test_extending_a_finished_timer_starts_it_again_with_that_amount(when: int) -> None:
    timer = running(600, label="Pause", warn_s=30)
    if when == 700:
        [event] = tick(timer, at(700))
        timer = apply(timer, event)
        assert timer.status is TimerStatus.FINISHED
    timer = run(timer, FAC, ExtendTimer(300, at(when)))
    assert timer.status is TimerStatus.RUNNING and timer.deadline == at(when + 300)
    assert (timer.label, timer.warn_s, timer.run, timer.warned) == ("Pause", 30, s(300), False)


def test_extending_beyond_eight_hours_left_is_refused() -> None:
    timer = running(8 * 3600 - 60)
    assert run(timer, FAC, ExtendTimer(60, T0)).remaining(T0) == s(8 * 3600)
    refused(timer, FAC, ExtendTimer(61, T0), "invalid_timer")
    assert run(timer, FAC, ExtendTimer(61, at(1))).remaining(at(1)) == s(8 * 3600)


def test_reset_is_stop_and_an_idle_reset_yields_nothing() -> None:
    timer = run(running(), FAC, ResetTimer(at(10)))
    assert timer == Timer() and timer.remaining(at(10)) == s(0)
    assert decide(timer, FAC, ResetTimer(at(11))) == []


# -- warning and finish ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration_s", "warn_s", "before"),
    [(600, 60, 60), (300, 60, 60), (120, 60, 24), (5, 60, 1), (600, 120, 120), (600, 0, None), (3600, 300, 300)],
)
def test_the_warning_comes_warn_s_before_the_end_or_at_a_fifth_of_the_run(
    duration_s: int, warn_s: int, before: int | None
) -> None:
    timer = running(duration_s, warn_s=warn_s)
    if before is None:
        assert timer.warning_at is None and timer.wake_at() == at(duration_s)
    else:
        assert timer.warning_at == at(duration_s - before) == timer.wake_at()


def test_due_says_what_the_server_must_fire() -> None:
    timer = running(600)
    assert timer.due(at(539)) is None and tick(timer, at(539)) == []
    assert timer.due(at(540)) is Due.WARNING
    [warned] = tick(timer, at(541))
    assert warned.kind == "warned" and warned.actor == SYSTEM
    timer = apply(timer, warned)
    assert timer.warned and timer.due(at(560)) is None and timer.wake_at() == at(600)
    assert timer.due(at(600)) is Due.FINISH
    [finished] = tick(timer, at(600))
    timer = apply(timer, finished)
    assert finished.kind == "finished" and timer.status is TimerStatus.FINISHED
    assert timer.remaining(at(600)) == s(0) and timer.due(at(700)) is None and timer.wake_at() is None


def test_a_late_server_fires_the_finish_not_the_warning() -> None:
    [event] = tick(running(600), at(900))
    assert event.kind == "finished"


def test_warn_and_finish_are_refused_when_not_due() -> None:
    with pytest.raises(DomainError):
        warn(running(600), at(10))
    with pytest.raises(DomainError):
        finish(running(600), at(599))
    assert finish(running(600), at(600)).status is TimerStatus.FINISHED


def test_an_extension_re_arms_the_warning_when_it_lies_ahead() -> None:
    timer = apply(running(600), tick(running(600), at(550))[0])
    assert timer.warned
    assert run(timer, FAC, ExtendTimer(300, at(560))).warned is False  # warns again at 840
    assert run(timer, FAC, ExtendTimer(10, at(560))).warned is True  # 50 s left: the warning stands
    paused = run(timer, FAC, PauseTimer(at(570)))  # 30 s left
    assert run(paused, FAC, ExtendTimer(10, at(580))).warned is True
    assert run(paused, FAC, ExtendTimer(60, at(580))).warned is False


def test_paused_and_idle_timers_are_never_due() -> None:
    assert Timer().due(at(10**6)) is None
    assert run(running(60), FAC, PauseTimer(at(10))).due(at(10**6)) is None


# -- the wire --------------------------------------------------------------------------------


def test_the_wire_form() -> None:
    epoch_t0 = int(T0.timestamp()) * 1000
    timer = running(600)
    assert timer.to_wire() == {
        "scope": "event",
        "room_id": None,
        "status": "running",
        "label": "",
        "duration_ms": 600_000,
        "deadline_ms": epoch_t0 + 600_000,
        "remaining_ms": None,
        "warning_at_ms": epoch_t0 + 540_000,
    }
    paused = run(timer, FAC, PauseTimer(T0 + timedelta(milliseconds=100_250)))
    assert paused.to_wire()["remaining_ms"] == 499_750 and paused.to_wire()["deadline_ms"] is None
    idle = Timer("rm_3").to_wire()
    assert (idle["scope"], idle["room_id"], idle["status"], idle["deadline_ms"], idle["remaining_ms"]) == (
        "room",
        "rm_3",
        "idle",
        None,
        0,
    )


# -- random runs -----------------------------------------------------------------------------

ops = st.lists(
    st.tuples(
        st.sampled_from(["pause", "resume", "extend", "wait"]),
        st.integers(0, 400_000),
        st.sampled_from([1, 60, 300, 3600]),
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(duration=st.integers(5, 8 * 3600), steps=ops)
def test_remaining_is_never_negative_and_is_the_deadline_less_now_while_running(
    duration: int, steps: list[tuple[str, int, int]]
) -> None:
    timer = start(Timer(), duration, T0)
    now = T0
    for op, gap_ms, seconds in steps:
        now += timedelta(milliseconds=gap_ms)
        before = timer.remaining(now)
        try:
            if op == "pause":
                timer = pause(timer, now)
            elif op == "resume":
                timer = resume(timer, now)
            elif op == "extend":
                timer = extend(timer, seconds, now)
        except DomainError:
            pass
        else:
            if op in ("pause", "resume"):
                assert timer.remaining(now) == before  # pausing or resuming keeps the time left
        remaining = timer.remaining(now)
        assert remaining >= timedelta(0)
        assert remaining <= s(8 * 3600)
        if timer.status is TimerStatus.RUNNING:
            assert timer.deadline is not None and remaining == max(timer.deadline - now, timedelta(0))
        if timer.status is TimerStatus.PAUSED:
            assert remaining > timedelta(0)


@settings(max_examples=100, deadline=None)
@given(duration=st.integers(5, 8 * 3600), run_ms=st.integers(0, 8 * 3600 * 1000), wait_ms=st.integers(0, 10**8))
def test_pausing_then_resuming_keeps_the_remaining_time(duration: int, run_ms: int, wait_ms: int) -> None:
    timer = start(Timer(), duration, T0)
    paused_at = T0 + timedelta(milliseconds=run_ms)
    try:
        paused = pause(timer, paused_at)
    except DomainError:
        assert run_ms >= duration * 1000  # only a timer whose time is up refuses the pause
        return
    resumed_at = paused_at + timedelta(milliseconds=wait_ms)
    resumed = resume(paused, resumed_at)
    assert resumed.remaining(resumed_at) == timer.remaining(paused_at) == paused.remaining(resumed_at)
    assert resumed.deadline == timer.deadline + timedelta(milliseconds=wait_ms)  # type: ignore[operator]
    assert reset(resumed) == Timer()
