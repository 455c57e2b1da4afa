"""``run.prefetch.upcoming_items`` reads pytest-xdist's private worker state: the
``WorkerInteractor`` plugin, its ``nextitem_index`` and its ``torun`` queue (under
``torun.lock()``). An xdist release that renames or reshapes them would make prefetching
fall back to nothing (or to the wrong items) without a word; these tests say so, naming
the xdist version, on a real ``-n 2`` session.
"""

from __future__ import annotations

import json
from collections import defaultdict
from pathlib import Path
from typing import Any

import pytest

xdist = pytest.importorskip("xdist")
XDIST = f"pytest-xdist {xdist.__version__} (pytest {pytest.__version__})"
N_TESTS = 40

RECORDER = """
import json, os
import pytest
from pytest_veto.run.prefetch import _worker_interactor, upcoming_items

@pytest.fixture(autouse=True)
def record_upcoming(request):
    item = request.node
    row = {
        "nodeid": item.nodeid,
        "upcoming": [i.nodeid for i in upcoming_items(item, 1000)],
        "interactor": _worker_interactor(item.config) is not None,
    }
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    with open(f"upcoming-{worker}.jsonl", "a", encoding="utf-8") as f:
        f.write(json.dumps(row) + "\\n")
"""


def _run(pytester: pytest.Pytester, *args: str) -> dict[str, list[dict[str, Any]]]:
    pytester.makeini("[pytest]\n")
    pytester.makeconftest(RECORDER)
    pytester.makepyfile(
        test_many=f"""
        import pytest

        @pytest.mark.parametrize("i", range({N_TESTS}))
        def test_one(i):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:veto", *args)
    result.assert_outcomes(passed=N_TESTS)
    logs: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for path in sorted(Path(pytester.path).glob("upcoming-*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            logs[path.stem.removeprefix("upcoming-")].append(json.loads(line))
    return logs


def test_under_xdist_the_upcoming_items_are_the_workers_next_items(
    pytester: pytest.Pytester,
) -> None:
    logs = _run(pytester, "-n", "2", "--dist", "load")
    assert set(logs) == {"gw0", "gw1"}, f"{XDIST}: workers seen: {sorted(logs)}"
    for worker, rows in logs.items():
        assert all(r["interactor"] for r in rows), (
            f"{XDIST}: no WorkerInteractor plugin with a torun queue in worker {worker}; "
            "update pytest_veto/run/prefetch.py"
        )
        ran = [r["nodeid"] for r in rows]
        for n, row in enumerate(rows):
            later = ran[n + 1 :]
            assert row["upcoming"] == later[: len(row["upcoming"])], (
                f"{XDIST}: in {worker}, upcoming_items of {row['nodeid']} gave "
                f"{row['upcoming'][:5]}..., but the worker ran {later[:5]}... next"
            )
            if later:  # the next item is always known (nextitem_index), more when queued
                assert row["upcoming"], (
                    f"{XDIST}: in {worker}, upcoming_items of {row['nodeid']} found nothing "
                    f"though {later[0]} ran next: xdist's nextitem_index or torun.lock() "
                    "changed; update pytest_veto/run/prefetch.py"
                )
        # the initial batch queues several items on each worker: the queue is read too
        assert max(len(r["upcoming"]) for r in rows) > 1, (
            f"{XDIST}: in {worker}, upcoming_items never saw past the next item: "
            "the torun queue is no longer readable under torun.lock()"
        )


def test_without_xdist_the_upcoming_items_follow_in_session_order(
    pytester: pytest.Pytester,
) -> None:
    logs = _run(pytester, "-p", "no:xdist")
    [rows] = logs.values()
    ran = [r["nodeid"] for r in rows]
    assert not any(r["interactor"] for r in rows)
    for n, row in enumerate(rows):
        assert row["upcoming"] == ran[n + 1 :]
