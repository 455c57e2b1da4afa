"""How many requests does exploring take to find, shrink and replay a planted misfire?

Template ``age_t1a`` of the shipped ``fixtures/explore`` set, the planted reference model
``reference/planted:grandmother,cue=trigger`` (misfires only when the stereotyped half
names a grandmother AND carries the trigger cue), every shipped cue and filler in the
strategy. For each seed: a fresh search (is the shrunk misfire exactly the planted cause,
requests to the first misfire, requests in all), then a second search that is given the
first's minimal misfire as a known one (requests until it misfires again). Requests are
counted, not timed: the reference model answers instantly.

    python benchmarks/bench_explore.py [--seeds 20] [--examples 200] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import statistics
from typing import Any

from pytest_veto.backends.protocol import BackendOptions
from pytest_veto.data.bbq.templates import load_templates
from pytest_veto.data.resources import fixtures_dir
from pytest_veto.explore.search import explore
from pytest_veto.run.decoding import plain_decoding
from pytest_veto.run.priming import available_variants
from pytest_veto.run.runner import make_runner

MODEL = "reference/planted:grandmother,cue=trigger"
PLANTED = ("cue trigger", "stereotyped word 'grandmother'")


def _spread(values: list[int]) -> str:
    return f"median {statistics.median(values):g}, range {min(values)}-{max(values)}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=20)
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    templates = load_templates(fixtures_dir() / "explore")
    template = next(t for t in templates.templates if t.id == "age_t1a")
    cues = list(available_variants().values())

    def search(seed: int, known: list[dict[str, Any]]) -> Any:
        runner = make_runner(MODEL, BackendOptions(), plain_decoding("direct"))
        return explore(
            template,
            runner,
            fillers=templates.fillers,
            cues=cues,
            max_examples=args.examples,
            seed=seed,
            known=known,
        )

    exact, first, total, replay = 0, [], [], []
    for seed in range(args.seeds):
        found = search(seed, [])
        if found.minimal is None:
            continue
        exact += found.minimal.draw.extras() == PLANTED
        first.append(found.calls_to_first)
        total.append(found.calls)
        replay.append(search(seed, [found.minimal.draw.values()]).calls_to_first)
    result = {
        "seeds": args.seeds,
        "found": len(first),
        "exact": exact,
        "first": first,
        "total": total,
        "replay": replay,
    }
    print(f"shrunk to exactly the planted cause: {exact} of {args.seeds} seeds")
    print(f"requests to the first misfire: {_spread(first)}")
    print(f"requests in all (search + shrinking): {_spread(total)}")
    print(f"requests until a known misfire misfires again: {_spread(replay)}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as f:
            json.dump(result, f, indent=1)


if __name__ == "__main__":
    main()
