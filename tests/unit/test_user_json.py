"""Every reader of a user's JSON: deep, huge or non-finite input is a located error, a
report with a byte order mark reads like a pair file, odd but valid pairs load with
warnings, and a cut cached build is rebuilt instead of shrinking the benchmark."""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from pytest_veto.cli import main
from pytest_veto.data import jsonfile
from pytest_veto.data.dataset import load_dataset
from pytest_veto.data.jsonfile import MAX_DEPTH, UserJsonError
from pytest_veto.data.pair_checks import PairDataWarning
from pytest_veto.data.pairs import PairDataError, load_pairs
from pytest_veto.data.resources import sample_pairs_path
from pytest_veto.misalign.columns import load_column_map
from pytest_veto.misalign.items import load_items
from pytest_veto.misalign.prompting import load_template
from pytest_veto.misalign.schema import MisalignDataError
from pytest_veto.report.command import ReportInputError, ReportOptions, load_report, run_report
from pytest_veto.run.priming import load_variant_file
from tests.support.reports import make_report, outcomes

DEEP = "[" * 100_000
LONG = "1" * 5_001  # over Python's int-string conversion limit (4,300 digits)
MINI_BBQ = Path(__file__).resolve().parents[1] / "data" / "bbq_mini"
SAMPLE_LINES = sample_pairs_path().read_text(encoding="utf-8").splitlines()


def sample_records(n: int) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = [json.loads(line) for line in SAMPLE_LINES[:n]]
    return records


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def jsonl(path: Path, records: list[dict[str, Any]]) -> Path:
    return write(path, "".join(json.dumps(r) + "\n" for r in records))


def pair_issues(path: Path) -> list[str]:
    with pytest.raises(PairDataError) as info:
        load_pairs(path)
    return [str(i) for i in info.value.issues]


# --- the shared reader ---------------------------------------------------------------


def refused(text: str) -> UserJsonError:
    with pytest.raises(UserJsonError) as info:
        jsonfile.parse(text)
    return info.value


def test_deep_nesting_is_located_not_a_recursion_error() -> None:
    err = refused(DEEP)
    assert err.kind == "limit" and (err.line, err.column) == (1, MAX_DEPTH + 1)
    assert err.detail == (
        f"nested too deeply: more than {MAX_DEPTH} levels of lists and objects (column 101)"
    )
    err = refused('{"a": 1,\n "b": "[[[[",\n "c": ' + DEEP)
    assert (err.line, err.column) == (3, 7 + MAX_DEPTH - 1)  # the string's brackets do not count


def test_the_depth_limit_does_not_depend_on_the_call_stack() -> None:
    """Python's own limit moves with the stack depth at the call; ours is fixed."""
    ok = "[" * MAX_DEPTH + "]" * MAX_DEPTH
    assert jsonfile.parse(ok) is not None
    err = refused("[" + ok + "]")  # json.loads reads it; we do not
    assert err.column == MAX_DEPTH + 1 and "nested too deeply" in err.reason


def test_an_integer_over_the_conversion_limit_is_located() -> None:
    err = refused('{"id": "' + LONG + '",\n "n": ' + LONG + "}")  # digits in a string are text
    assert err.kind == "limit" and (err.line, err.column) == (2, 7)
    assert err.reason == "integer too long: 5001 digits, more than the 4300 Python reads"
    assert jsonfile.parse("[1." + LONG + "]") == [pytest.approx(10 / 9)]  # a fraction is fine


@pytest.mark.parametrize(
    ("text", "kind", "reason", "column"),
    [
        ('{"x": "NaN",\n "y": NaN}', "constant", "NaN is not valid JSON", 7),
        ('{"x": "NaN",\n "y": -Infinity}', "constant", "-Infinity is not valid JSON", 7),
        ('{"x": "NaN",\n "y": 1e400}', "limit", "number out of range: 1e400", 7),
    ],
    ids=["nan", "infinity", "overflow"],
)
def test_what_python_reads_but_json_is_not(text: str, kind: str, reason: str, column: int) -> None:
    err = refused(text)
    assert err.kind == kind and (err.line, err.column) == (2, column)
    assert err.reason.startswith(reason)


def test_decode_drops_a_byte_order_mark_and_locates_bad_bytes() -> None:
    assert jsonfile.decode("\ufeff[1]".encode()) == "[1]"
    with pytest.raises(UserJsonError) as info:
        jsonfile.decode(b"[1,\n2,\n\xff]")
    assert info.value.line == 3 and info.value.reason.startswith("not UTF-8 text")


def test_json_lines_locates_each_bad_line() -> None:
    values, errors = jsonfile.json_lines('{"a": 1}\n\n{"b": \n' + DEEP + "\n[" + LONG + "]\n")
    assert values == [(1, {"a": 1})]
    assert [(e.line, e.detail) for e in errors] == [
        (3, "invalid JSON (truncated?): Expecting value"),
        (4, "nested too deeply: more than 100 levels of lists and objects (column 101)"),
        (5, "integer too long: 5001 digits, more than the 4300 Python reads (column 2)"),
    ]


# --- every reader uses it --------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("deep.json", DEEP, ":1: <record>: nested too deeply: more than 100 levels"),
        ("deep.jsonl", SAMPLE_LINES[0] + "\n" + DEEP + "\n", ":2: <record>: nested too deeply"),
        ("long.jsonl", '{"id": ' + LONG + "}\n", ":1: <record>: integer too long: 5001 digits"),
        ("nan.jsonl", '{"id": NaN}\n', ":1: <record>: NaN is not valid JSON (column 8)"),
    ],
    ids=["deep-list", "deep-line", "long-integer", "nan"],
)
def test_pair_files(tmp_path: Path, name: str, text: str, expected: str) -> None:
    path = write(tmp_path / name, text)
    [issue] = pair_issues(path)
    assert issue.startswith(f"{path}{expected}")


def test_validate_exits_2_with_the_located_reason(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    deep = write(tmp_path / "deep.json", DEEP)
    long = write(tmp_path / "long.jsonl", "[" + LONG + "]\n")
    assert main(["validate", str(deep), str(long)]) == 2
    err = capsys.readouterr().err
    assert f"{deep}:1: <record>: nested too deeply" in err
    assert f"{long}:1: <record>: integer too long" in err


def test_an_object_holding_the_list_says_what_was_meant(tmp_path: Path) -> None:
    path = write(tmp_path / "wrapped.json", json.dumps({"pairs": sample_records(2)}, indent=2))
    assert pair_issues(path) == [
        f"{path}: <record>: a JSON object with key(s) 'pairs': expected a JSON list of pair "
        "records or JSON Lines (one record per line); did you mean the list under 'pairs'?"
    ]
    one = write(tmp_path / "one.json", json.dumps(sample_records(1)[0], indent=2))
    [issue] = pair_issues(one)
    assert issue.startswith(f"{one}: <record>: one JSON object over ")
    assert issue.endswith(
        " lines: expected a JSON list of pair records or JSON Lines (one record per line)"
    )
    # one record on one line is JSON Lines, as before
    assert len(load_pairs(write(tmp_path / "line.jsonl", SAMPLE_LINES[0]))) == 1


def test_mis_align_items_template_and_column_map(tmp_path: Path) -> None:
    item = {"id": "a", "prompt": "p", "response": "r", "label": "aligned"}
    items = write(tmp_path / "items.jsonl", json.dumps(item) + "\n" + DEEP + "\n")
    with pytest.raises(MisalignDataError) as info:
        load_items(items, check_domains=False)
    assert [str(i) for i in info.value.issues] == [
        f"{items}:2: <record>: nested too deeply: more than 100 levels of lists and objects "
        "(column 101)"
    ]
    template = write(tmp_path / "template.json", '{"version":\n' + LONG + "}")
    with pytest.raises(MisalignDataError, match=rf"{template}:2: <record>: integer too long"):
        load_template(template)
    columns = write(tmp_path / "columns.json", '{"id": "row",\n "x": ' + DEEP)
    with pytest.raises(MisalignDataError, match=rf"{columns}:2: <record>: nested too deeply"):
        load_column_map(columns)


def test_priming_file(tmp_path: Path) -> None:
    path = write(tmp_path / "deep.json", '{"name":\n ' + DEEP)
    variant, issues = load_variant_file(path)
    assert variant is None
    assert [str(i) for i in issues] == [
        f"{path}:2: <record>: nested too deeply: more than 100 levels of lists and objects "
        "(column 101)"
    ]


# --- reports (pytest-veto report and --veto-baseline) ---------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (DEEP, ":1:101: nested too deeply: more than 100 levels of lists and objects"),
        ('{"schema_version":\n  ' + LONG + "}", ":2:3: integer too long: 5001 digits"),
        ('{"schema_version": 1e400}', ":1:20: number out of range: 1e400"),
    ],
    ids=["deep", "long-integer", "infinite"],
)
def test_report_errors_are_located(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path / "r.json", text)
    with pytest.raises(ReportInputError, match="^" + str(path) + expected):
        load_report(path)
    out, err = io.StringIO(), io.StringIO()
    assert run_report(ReportOptions(runs=(path,)), out, err) == 2
    assert err.getvalue().startswith(f"{path}{expected}")


def test_a_report_with_a_byte_order_mark_reads_like_a_pair_file(tmp_path: Path) -> None:
    report = make_report(outcomes(3, 0, 1, 0))
    path = tmp_path / "bom.json"
    path.write_text(json.dumps(report), encoding="utf-8-sig")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert load_report(path) == report
    assert main(["report", str(path)]) == 0


# --- valid pairs that look wrong: warnings ----------------------------------------------


def odd_pairs(folder: Path) -> Path:
    records = sample_records(5)
    records[0]["correct_answer"] = "no"
    records[1]["prompts"]["contrast"]["group"] = "someone else"
    records[2]["prompts"]["contrast"]["text"] = records[2]["prompts"]["stereotyped"]["text"]
    records[3]["trigger_sentence"] = " \t"
    records[4]["prompts"] = json.loads(json.dumps(records[0]["prompts"]))
    records[4]["prompts"]["stereotyped"]["text"] += "  "  # spacing alone is no difference
    return jsonl(folder / "odd.jsonl", records)


def expected_warnings(path: Path) -> list[str]:
    first = sample_records(1)[0]["id"]
    return [
        f"{path}:1: prompts.stereotyped.expected: 'yes' disagrees with correct_answer 'no'",
        f"{path}:1: prompts.contrast.expected: 'yes' disagrees with correct_answer 'no'",
        f"{path}:2: prompts.contrast.group: 'someone else' disagrees with contrast_group "
        f"{sample_records(2)[1]['contrast_group']!r}",
        f"{path}:3: prompts: both halves have the same text: the pair compares nothing",
        f"{path}:4: trigger_sentence: only whitespace",
        f"{path}:5: prompts: the same pair as {first!r} (first at line 1) under another id: "
        "it counts twice",
    ]


def test_validate_prints_warnings_and_fails_on_them_only_when_strict(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = odd_pairs(tmp_path)
    assert main(["validate", str(path)]) == 0
    out, err = capsys.readouterr()
    assert out == f"{path}: OK, 5 pairs, 6 warning(s)\n"
    assert err.splitlines() == [f"warning: {w}" for w in expected_warnings(path)]
    assert main(["validate", "--strict", str(path)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.endswith(f"{path}: 6 warning(s), failing (--strict)\n")
    assert main(["validate", "--strict", str(sample_pairs_path())]) == 0


def test_loading_warns_every_time_also_once_validated(tmp_path: Path) -> None:
    path = odd_pairs(tmp_path)
    for _ in range(2):  # the second load skips validation (the stamp): it still warns
        with pytest.warns(PairDataWarning) as record:
            dataset = load_dataset(path, tmp_path / "cache")
        [warning] = record
        assert str(warning.message).splitlines()[1:] == expected_warnings(path)
        assert [str(w) for w in dataset.warnings] == expected_warnings(path)
        assert len(dataset.pairs) == 5


def test_the_sample_has_no_warning(tmp_path: Path) -> None:
    assert load_dataset(None, tmp_path).warnings == ()


# --- the cached build of a BBQ folder ---------------------------------------------------


def build_record(path: Path) -> Path:
    return path.with_name(path.stem + ".build.json")


def test_a_truncated_cached_build_is_rebuilt_with_one_warning(tmp_path: Path) -> None:
    first = load_dataset(MINI_BBQ, tmp_path)
    assert len(first.pairs) == 7
    assert json.loads(build_record(first.path).read_text()) == {
        "sha256": hashlib.sha256(first.path.read_bytes()).hexdigest(),
        "pairs": 7,
    }
    lines = first.path.read_text(encoding="utf-8").splitlines(keepends=True)
    first.path.write_text(lines[0], encoding="utf-8")  # cut at a line end: still valid
    with pytest.warns(PairDataWarning, match="truncated or edited; rebuilt from") as record:
        again = load_dataset(MINI_BBQ, tmp_path)
    assert len(record) == 1 and str(first.path) in str(record[0].message)
    assert again.pairs == first.pairs and again.sha256 == first.sha256


def test_a_cached_build_without_its_record_is_rebuilt(tmp_path: Path) -> None:
    first = load_dataset(MINI_BBQ, tmp_path)
    build_record(first.path).unlink()
    with pytest.warns(PairDataWarning, match="no record of the build"):
        assert load_dataset(MINI_BBQ, tmp_path).pairs == first.pairs
    assert build_record(first.path).exists()


def test_a_corrupt_cached_build_says_deleting_it_fixes_it(tmp_path: Path) -> None:
    first = load_dataset(MINI_BBQ, tmp_path)
    bad = b'{"id": "x"}\n'  # a build whose record matches it: rebuilding would not change it
    first.path.write_bytes(bad)
    build_record(first.path).write_text(
        json.dumps({"sha256": hashlib.sha256(bad).hexdigest(), "pairs": 1})
    )
    with pytest.raises(PairDataError) as info:
        load_dataset(MINI_BBQ, tmp_path)
    message = str(info.value).splitlines()
    assert message[1] == (
        f"{first.path}: <record>: a cached build of {MINI_BBQ}: delete {first.path} and it is "
        "built again"
    )
    first.path.unlink()
    assert load_dataset(MINI_BBQ, tmp_path).pairs == first.pairs  # as the message says
