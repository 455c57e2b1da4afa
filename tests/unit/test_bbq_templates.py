"""The BBQ template loader: typed templates from the CSVs, located errors for bad ones."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest

from pytest_veto.data.bbq.templates import (
    TemplateDataError,
    load_templates,
    parse_slot_lists,
)
from pytest_veto.data.resources import fixtures_dir
from tests.shared_data import SHARED_BBQ

FIXTURE = fixtures_dir() / "explore"


def test_the_original_fixture_set_has_usable_templates_in_every_category() -> None:
    ts = load_templates(FIXTURE)
    assert {t.category for t in ts.templates} == {
        "Age",
        "Disability_status",
        "Gender_identity",
        "Physical_appearance",
        "Race_ethnicity",
        "Religion",
        "SES",
        "Sexual_orientation",
    }
    assert ts.skipped == ()
    assert ts.fillers
    age = next(t for t in ts.templates if t.id == "age_t1a")
    assert age.answer_slot == "NAME1"
    assert age.stereotyped_words == ("retiree", "grandmother")
    assert age.contrast_words == ("teenager", "college student")
    assert age.wordings == (("WORD1", ("computer class", "coding workshop")),)


def test_vocabulary_words_are_split_by_their_label_and_subcategory() -> None:
    ts = load_templates(FIXTURE)
    ses = next(t for t in ts.templates if t.id == "ses_t2")
    assert ses.stereotyped_words == ("janitor", "dishwasher")  # Info lowSES
    assert ses.contrast_words == ("surgeon", "professor")
    religion = next(t for t in ts.templates if t.id == "religion_t1")
    assert religion.stereotyped_words == ("Muslim",)
    assert "Muslim" not in religion.contrast_words


def test_slot_lists_parse_with_or_without_braces() -> None:
    assert parse_slot_lists("NAME1: [a, b]; {{NAME2}}: [c]") == {
        "NAME1": ("a", "b"),
        "NAME2": ("c",),
    }
    assert parse_slot_lists("") == {}
    assert parse_slot_lists("NAME1 [a]") is None
    assert parse_slot_lists("NAME1: [a, ]") is None


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / "templates"
    shutil.copytree(FIXTURE, folder)
    return folder


def _edit(path: Path, row: int, column: str, value: str) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
        header = list(rows[0].keys())
    rows[row][column] = value
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, header)
        w.writeheader()
        w.writerows(rows)


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("Q_id", "one", "is not a whole number"),
        ("Known_stereotyped_groups", "old", "not a JSON list"),
        ("Names", "NAME1 grandson", "not 'SLOT: [a, b]; SLOT: [c]' lists"),
        ("Answer_negative", "The person", "exactly one of NAME1, NAME2"),
        ("Question_negative_stereotype", " ", "empty"),
    ],
)
def test_a_bad_field_is_reported_with_file_line_and_field(
    tmp_path: Path, column: str, value: str, reason: str
) -> None:
    folder = _copy(tmp_path)
    path = folder / "new_templates - Age.csv"
    _edit(path, 1, column, value)
    with pytest.raises(TemplateDataError) as info:
        load_templates(folder)
    (issue,) = info.value.issues
    assert issue.path == str(path)
    assert issue.location == "line 3"  # the header is line 1, the first row line 2
    assert issue.field == column
    assert reason in issue.reason
    assert f"{path}:3: {column}:" in str(info.value)


def test_a_missing_column_is_a_located_error(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    path = folder / "new_templates - Religion.csv"
    text = path.read_text(encoding="utf-8").replace("Answer_negative", "Answer_neg", 1)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(TemplateDataError, match=r"Religion.csv:1: Answer_negative: missing column"):
        load_templates(folder)


def test_a_template_we_cannot_fill_is_skipped_with_its_reason(tmp_path: Path) -> None:
    folder = _copy(tmp_path)
    _edit(folder / "new_templates - Age.csv", 0, "Proper_nouns_only", "TRUE")
    _edit(folder / "new_templates - Religion.csv", 0, "Known_stereotyped_groups", '["Pagan"]')
    ts = load_templates(folder)
    assert dict(ts.skipped) == {
        "age_t1a": "proper names only",
        "religion_t1": "no vocabulary word on one side of the stereotyped groups",
    }
    assert "age_t1a" not in {t.id for t in ts.templates}


def test_a_folder_without_template_files_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(TemplateDataError, match=r"no 'new_templates - <Category>\.csv' file"):
        load_templates(tmp_path)


def test_the_bbq_release_templates_load() -> None:
    folder = SHARED_BBQ / "templates"
    if not folder.is_dir():
        pytest.skip(f"BBQ's templates are not at {folder}")
    ts = load_templates(folder)
    assert len(ts.templates) > 200
    assert all(t.stereotyped_words and t.contrast_words for t in ts.templates)
    assert len({t.id for t in ts.templates}) == len(ts.templates)
