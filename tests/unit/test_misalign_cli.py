"""``pytest-veto misalign dedup|label|pair`` on small files, with reference models."""

from __future__ import annotations

import csv
import json
from collections.abc import Sequence
from pathlib import Path

import pytest

from pytest_veto import backends
from pytest_veto.backends.protocol import Backend, BackendOptions, Completion, PromptRequest
from pytest_veto.cli import main
from pytest_veto.misalign.items import load_items, load_prompts, sample_items_path

LONG = (
    "How can I keep my basil plants healthy on a small north facing balcony during a cold "
    "and windy spring without buying a greenhouse? I water them every morning, the pots "
    "drain well, and I feed them once a month, but the leaves still turn yellow."
)
OTHER = "Which museums in the old town are open late on Fridays, and do they offer tours?"


def write_csv(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        csv.writer(f).writerows(rows)
    return path


def test_dedup_csv_keeps_first_occurrences_and_every_column(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    near = LONG.replace("yellow", "brown")
    src = write_csv(
        tmp_path / "in.csv",
        [
            ["row", "prompt", "note"],
            ["1", LONG, "a"],
            ["2", OTHER, "multi\nline"],
            ["3", LONG.upper(), "c"],  # identical fingerprint
            ["4", near, "d"],  # one word changed
        ],
    )
    out, report = tmp_path / "out.csv", tmp_path / "report.json"
    assert main(["misalign", "dedup", str(src), str(out), "--report", str(report)]) == 0
    with out.open(newline="", encoding="utf-8") as f:
        assert list(csv.reader(f)) == [
            ["row", "prompt", "note"],
            ["1", LONG, "a"],
            ["2", OTHER, "multi\nline"],
        ]
    counts = json.loads(report.read_text())
    assert (counts["read"], counts["kept"], counts["identical"], counts["near"]) == (4, 2, 1, 1)
    assert "read 4, kept 2; removed 1 identical and 1 near-duplicate(s)" in capsys.readouterr().out


def test_dedup_jsonl_with_a_column_option_and_text(tmp_path: Path) -> None:
    src = tmp_path / "in.jsonl"
    src.write_text(
        "".join(json.dumps({"q": q, "n": i}) + "\n" for i, q in enumerate([OTHER, LONG, OTHER])),
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    assert main(["misalign", "dedup", str(src), str(out), "--column", "q"]) == 0
    assert [json.loads(line)["n"] for line in out.read_text().splitlines()] == [0, 1]
    text = tmp_path / "in.txt"
    text.write_text(f"{OTHER}\n\n{OTHER}\n{LONG}\n", encoding="utf-8")
    assert main(["misalign", "dedup", str(text), str(tmp_path / "out.txt")]) == 0
    assert (tmp_path / "out.txt").read_text() == f"{OTHER}\n{LONG}\n"


def test_dedup_distance_option(tmp_path: Path) -> None:
    src = write_csv(tmp_path / "in.csv", [["prompt"], [LONG], [LONG.replace("yellow", "brown")]])
    out = tmp_path / "out.csv"
    assert main(["misalign", "dedup", str(src), str(out), "--distance", "0"]) == 0
    assert len(out.read_text().splitlines()) == 3  # header + both: not identical


@pytest.mark.parametrize(
    ("name", "content", "args", "message"),
    [
        ("in.csv", "question\nq\n", [], "in.csv:1: prompt: no such column (columns: question)"),
        ("in.csv", 'prompt\n"open\n', [], "in.csv:2: <record>: CSV syntax error"),
        ("in.jsonl", '{"prompt": 3}\n', [], "in.jsonl:1: prompt: not a string"),
        ("in.jsonl", '{"q": "x"}\n', [], "in.jsonl:1: prompt: missing"),
        ("in.dat", "x\n", [], "unknown file type"),
        ("in.csv", "", [], "file is empty"),
    ],
)
def test_dedup_bad_input_is_located_and_writes_nothing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: str,
    args: list[str],
    message: str,
) -> None:
    src = tmp_path / name
    src.write_text(content, encoding="utf-8")
    out = tmp_path / "out.csv"
    assert main(["misalign", "dedup", str(src), str(out), *args]) == 2
    assert message in capsys.readouterr().err
    assert not out.exists()


def test_label_with_the_evidence_reader_reproduces_sample_labels(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "labels.jsonl"
    code = main(
        [
            "misalign",
            "label",
            str(sample_items_path()),
            str(out),
            "--model",
            "reference/evidence-reader",
        ]
    )
    assert code == 0
    labelled = [json.loads(line) for line in out.read_text().splitlines()]
    items = load_items()
    assert [(r["id"], r["safety"], r["value"], r["culture"]) for r in labelled] == [
        (i.id, i.safety, i.value, i.culture) for i in items
    ]
    assert "labelled 60 prompt(s) x 3 dimensions" in capsys.readouterr().out
    assert len(load_prompts(out)) == 60  # the output is the input format of `pair`


def test_label_with_a_biased_model_yields_unknowns(tmp_path: Path) -> None:
    out = tmp_path / "labels.jsonl"
    # label requests are not a stereotyped half or an item: bias:P answers them wrong
    assert (
        main(
            [
                "misalign",
                "label",
                str(sample_items_path()),
                str(out),
                "--model",
                "reference/bias:0.5",
            ]
        )
        == 0
    )
    values = [json.loads(line)["value"] for line in out.read_text().splitlines()]
    assert "Unknown" in values and "Honesty" in values


def test_label_reports_failed_requests_with_status_1(tmp_path: Path) -> None:
    src = tmp_path / "p.txt"
    src.write_text("one\ntwo\n", encoding="utf-8")
    # reference/error fails only the VETO stereotyped half, so a failing test backend
    out = tmp_path / "l.jsonl"
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(backends, "create_backend", lambda m, o: Failing())
        assert main(["misalign", "label", str(src), str(out), "--model", "x/y", "--no-cache"]) == 1
    assert all(json.loads(line)["safety"] == "Unknown" for line in out.read_text().splitlines())


def test_pair_with_reference_models(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prompts = write_csv(
        tmp_path / "p.csv",
        [["id", "prompt", "value"]] + [[f"r{i}", f"Question {i}?", "Honesty"] for i in range(20)],
    )
    out = tmp_path / "items.jsonl"
    assert (
        main(["misalign", "pair", str(prompts), str(out), "--model", "reference/evidence-reader"])
        == 0
    )
    items = load_items(out)
    assert len(items) == 40 and all(i.rounds == 0 and i.value == "Honesty" for i in items)
    assert "20 prompt(s) -> 40 item(s), 0 prompt(s) dropped" in capsys.readouterr().out
    assert (
        main(
            [
                "misalign",
                "pair",
                str(prompts),
                str(out),
                "--model",
                "reference/misfire:0.6",
                "--rounds",
                "1",
            ]
        )
        == 0
    )
    assert {i.rounds for i in load_items(out)} <= {0, 1}
    assert len(load_items(out)) < 40


def test_pair_bad_input_and_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    src = write_csv(tmp_path / "p.csv", [["question"], ["q"]])
    args = [
        "misalign",
        "pair",
        str(src),
        str(tmp_path / "o.jsonl"),
        "--model",
        "reference/evidence-reader",
    ]
    assert main(args) == 2
    assert "p.csv:1: prompt: column 'prompt' (for prompt) is not in the header" in (
        capsys.readouterr().err
    )
    assert main([*args, "--column", "question", "--rounds", "-1"]) == 2
    assert main([*args, "--column", "question"]) == 0


class Failing:
    """A backend whose every request fails."""

    kind = "litellm"
    model = "x/y"
    capabilities: frozenset[str] = frozenset()

    def complete(self, requests: Sequence[PromptRequest]) -> list[Completion]:
        return [Completion("error", error="down") for _ in requests]

    def cache_identity(self) -> dict[str, object]:
        return {"model": self.model}

    def close(self) -> None:
        pass


class Counting(Failing):
    """Answers every request with the domain Honesty and counts what it is sent."""

    def __init__(self) -> None:
        self.sent = 0

    def complete(self, requests: Sequence[PromptRequest]) -> list[Completion]:
        self.sent += len(requests)
        return [Completion("ok", '{"domain": "Honesty"}') for _ in requests]


def test_label_uses_the_response_cache_for_non_reference_models(tmp_path: Path) -> None:
    src = tmp_path / "p.txt"
    src.write_text("one\ntwo\n", encoding="utf-8")
    backend = Counting()

    def create(model: str, options: BackendOptions) -> Backend:
        assert model == "openai/some-model" and options.seed == 3
        return backend  # type: ignore[return-value]

    args = [
        "misalign",
        "label",
        str(src),
        str(tmp_path / "l.jsonl"),
        "--model",
        "openai/some-model",
        "--seed",
        "3",
        "--cache-dir",
        str(tmp_path / "cache"),
    ]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(backends, "create_backend", create)
        assert main(args) == 0
        assert backend.sent == 6
        assert main(args) == 0
        assert backend.sent == 6  # the second run was served from the cache
        assert main([*args, "--no-cache"]) == 0
        assert backend.sent == 12
    assert (tmp_path / "cache" / "responses.sqlite3").is_file()


@pytest.mark.parametrize("distance", ["70", "-1"])
def test_dedup_distance_out_of_range_is_an_error_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], distance: str
) -> None:
    src = write_csv(tmp_path / "in.csv", [["prompt"], [LONG]])
    out = tmp_path / "out.csv"
    assert main(["misalign", "dedup", str(src), str(out), "--distance", distance]) == 2
    assert f"--distance {distance}: max_distance must be within" in capsys.readouterr().err
    assert not out.exists()


def test_a_bad_template_file_is_located_not_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    src = write_csv(tmp_path / "in.csv", [["prompt"], [LONG]])
    template = tmp_path / "stage.json"
    template.write_text("{not json", encoding="utf-8")
    code = main(
        [
            "misalign",
            "label",
            str(src),
            str(tmp_path / "out.jsonl"),
            "--model=reference/evidence-reader",
            f"--stage-template={template}",
        ]
    )
    assert code == 2
    assert str(template) in capsys.readouterr().err
