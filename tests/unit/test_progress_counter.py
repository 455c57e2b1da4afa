"""Progress lines of a phase, counted from finished cases: when a line is due and what it
says (a fake clock: no timing)."""

from __future__ import annotations

from pytest_veto.run.progress import Counter, rate_line


def lines_of(counter: Counter, times: list[float]) -> list[tuple[int, str]]:
    out = []
    for t in times:
        line = counter.finish(t)
        if line is not None:
            out.append((counter.done, line))
    return out


def test_a_line_per_tenth_and_at_the_end() -> None:
    counter = Counter("VETO pairs", 100, started=0.0, every_s=1e9, quiet_s=0)
    shown = lines_of(counter, [float(i) for i in range(1, 101)])
    assert [done for done, _ in shown] == [10, 20, 30, 40, 50, 60, 70, 80, 90, 100]
    assert shown[4][1] == "VETO pairs: 50/100, 1.0/s (50 s, about 50 s left)"
    assert shown[-1][1] == "VETO pairs: 100/100, 1.0/s (1 min 40 s)"
    assert all("\r" not in line for _, line in shown)


def test_a_slow_phase_gets_a_line_every_interval() -> None:
    counter = Counter("Mis-Align items", 1000, started=0.0, every_s=30, quiet_s=0)
    # one case every 20 s: the tenth (100 cases) would take 2000 s
    shown = lines_of(counter, [20.0 * i for i in range(1, 8)])
    assert [done for done, _ in shown] == [2, 4, 6]  # at 40, 80, 120 s: >= 30 s apart


def test_a_short_run_prints_nothing() -> None:
    counter = Counter("VETO pairs", 64, started=0.0, quiet_s=10)
    assert lines_of(counter, [0.1 * i for i in range(1, 65)]) == []


def test_the_rate_and_estimate() -> None:
    assert rate_line("x", 0, 10, 5.0) == "x: 0/10 (5 s)"
    assert rate_line("x", 5, 10, 10.0) == "x: 5/10, 0.5/s (10 s, about 10 s left)"


def test_each_case_kind_has_its_own_progress_phase() -> None:
    """Controls were counted as VETO pairs in the plan line and the counters."""
    from pytest_veto.controller import PHASES, _phase

    suite = "pytest_veto/suite"
    assert _phase(f"{suite}/test_pairs.py::test_pair[age_q1_p0]", "pair") == "VETO pairs"
    assert _phase(f"{suite}/test_pairs.py::test_pair[age_q1_p0+trigger]", "pair") == (
        "primed pairs"
    )
    assert _phase(f"{suite}/test_controls.py::test_control[age_q1_p0]", "control") == (
        "control questions"
    )
    assert _phase(f"{suite}/test_misalign.py::test_misalign_item[x]", "item") == ("Mis-Align items")
    assert _phase(f"{suite}/test_explore.py::test_explore[age_t1a]", "explore") == (
        "explored templates"
    )
    assert set(PHASES) == {
        "VETO pairs",
        "primed pairs",
        "control questions",
        "Mis-Align items",
        "explored templates",
    }
