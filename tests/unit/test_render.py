"""Markdown and HTML renderings of one and two reports: sections, self-containment, escaping."""

from __future__ import annotations

import base64
import shutil
import subprocess
from collections import Counter
from collections.abc import Sequence
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from pytest_veto.report import plots
from pytest_veto.report.html import render_html
from pytest_veto.report.markdown import fenced, render_markdown, text
from pytest_veto.report.view import side_by_side, with_statistics
from pytest_veto.score.baseline import compare_reports
from tests.support.reports import make_report

SCRIPT = "<script>alert('owned')</script>"
HOSTILE = f'{SCRIPT} <img src="http://evil.example/x.png"> ```` | **no**'
BASE = {
    "age_s1_p0": "a",
    "age_s2_p0": "c",
    "ses_s1_p0": "c",
    "ses_s2_p0": "b",
    "religion_s1_p0": "a",
    "religion_s2_p0": "error",
}


def one_run(**extra: Any) -> dict[str, Any]:
    report = make_report(
        BASE,
        primed={"trigger": {**BASE, "age_s1_p0": "c"}},
        model="reference/misfire:0.1,primed=0.3",
        raw={("age_s2_p0", "base", "stereotyped"): HOSTILE},
    )
    return with_statistics({**report, **extra}, resamples=500)


def lens(
    failure: Sequence[float | None],
    control: Sequence[float | None],
    base: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``lens`` section of the shape ``lens.analysis.LensAnalysis.as_dict`` writes."""
    return {
        "pairs": [],
        "summary": {
            "n_layers": len(failure),
            "gap_by_layer": {"failure": list(failure), "control": list(control)},
            "late_layer": {
                "verdict": "late",
                "message": "gap peaks late: late-layer suppression",
                "max_early_gap": 0.5,
            },
            "base": base,
        },
    }


def two_runs() -> list[dict[str, Any]]:
    other = make_report({**BASE, "age_s2_p0": "a"}, model="reference/misfire:0.05")
    return [one_run(), with_statistics(other, resamples=500)]


class Page(HTMLParser):
    """What the tests look at in a page: ids, tags, URLs, text."""

    def __init__(self, source: str) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.tags: Counter[str] = Counter()
        self.urls: list[str] = []
        self.text: list[str] = []
        self.feed(source)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags[tag] += 1
        for name, value in attrs:
            if name == "id" and value:
                self.ids.append(value)
            if name in (
                "src",
                "href",
                "srcset",
                "action",
                "poster",
                "data",
                "xlink:href",
                "formaction",
                "background",
            ):
                self.urls.append(value or "")

    handle_startendtag = handle_starttag

    def handle_data(self, data: str) -> None:
        self.text.append(data)


#: Figures are drawn only where matplotlib (the ``report`` extra) is installed.
FIGURES = plots.available()

RUN_SECTIONS = ["manifest", "gates", "categories", "statistics", "priming", "plots", "misfires"]


def test_one_run_has_every_section() -> None:
    page = Page(render_html([one_run()]))
    assert set(page.ids) == {"run1", *(f"run1-{s}" for s in RUN_SECTIONS)}
    assert len(page.ids) == len(set(page.ids))
    assert page.tags["img"] == (2 if FIGURES else 0)  # MAR by category, priming dumbbell


def test_two_runs_and_a_baseline_have_every_section() -> None:
    reports = two_runs()
    comparison = compare_reports(reports[0], reports[1], max_regression_points=5)
    page = Page(render_html(reports, comparison))
    expected = {
        "side-by-side",
        "baseline",
        "run1",
        "run2",
        *(f"run1-{s}" for s in RUN_SECTIONS),
        *(f"run2-{s}" for s in RUN_SECTIONS if s != "priming"),
    }
    assert set(page.ids) == expected
    assert len(page.ids) == len(set(page.ids))
    words = " ".join(page.text)
    assert "reference/misfire:0.05" in words and "reference/misfire:0.1,primed=0.3" in words
    assert "age_s2_p0" in words  # a newly misfiring pair is listed


def test_the_page_is_self_contained() -> None:
    pytest.importorskip("matplotlib")
    source = render_html(two_runs())
    page = Page(source)
    assert page.urls, "expected figures and anchor links"
    for url in page.urls:
        assert url.startswith(("data:", "#")), url
    for tag in ("script", "link", "iframe", "object", "embed", "base"):
        assert page.tags[tag] == 0, tag
    assert "url(" not in source and "@import" not in source
    pngs = [u for u in page.urls if u.startswith("data:image/png;base64,")]
    assert pngs
    for url in pngs:
        assert base64.b64decode(url.split(",", 1)[1]).startswith(b"\x89PNG\r\n\x1a\n")


def test_model_output_is_escaped() -> None:
    source = render_html([one_run()])
    page = Page(source)
    assert page.tags["script"] == 0
    assert SCRIPT not in source and "&lt;script&gt;" in source
    assert not any("evil.example" in u for u in page.urls)
    assert any(SCRIPT in chunk for chunk in page.text)  # shown as text, whole


def test_figures_are_left_out_without_matplotlib(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plots, "available", lambda: False)
    source = render_html([one_run(lens=lens([0.0, 1.0], [0.0, 0.2]))])
    page = Page(source)
    assert page.tags["img"] == 0
    assert "pytest-veto[report]" in source
    assert {"run1-plots", "run1-lens", "run1-misfires"} <= set(page.ids)


def test_the_lens_section_appears_only_with_lens_data() -> None:
    failure = [0.1 * i for i in range(33)]
    control: list[float | None] = [0.01 * i for i in range(33)]
    control[3] = None  # a non-finite layer, cleaned to null by the lens
    with_lens = Page(render_html([one_run(lens=lens(failure, control))]))
    assert "run1-lens" in with_lens.ids
    assert with_lens.tags["img"] == (3 if FIGURES else 0)
    words = " ".join(with_lens.text)
    assert "+3.20" in words  # the failure curve's peak, at layer 32
    assert "late-layer suppression" in words
    md = render_markdown([one_run(lens=lens(failure, control))])
    assert "### Logit lens" in md and "| failure | 33 | 32 | +3.20 | +3.20 |" in md
    # a base model's curves are shown beside the model's own
    both = Page(
        render_html(
            [
                one_run(
                    lens=lens(
                        failure,
                        control,
                        base={
                            "gap_by_layer": {"failure": [0.0] * 33, "control": None},
                            "instruct_minus_base": {},
                        },
                    )
                )
            ]
        )
    )
    assert "base model failure" in " ".join(both.text)
    assert "base model control" not in " ".join(both.text)
    for unusable in (
        {"summary": {"gap_by_layer": {"failure": ["x"]}}},
        {"summary": {"gap_by_layer": {"failure": None, "control": [None]}}},
        {"gap": {"failure": [1.0]}},
        "lens",
    ):
        assert "run1-lens" not in Page(render_html([one_run(lens=unusable)])).ids, unusable
    assert "run1-lens" not in Page(render_html([one_run()])).ids


def test_the_lens_section_of_the_lens_module_renders() -> None:
    # the contract with the lens package: its report section is what we read
    analysis = pytest.importorskip("pytest_veto.lens.analysis")
    pairs = tuple(
        analysis.PairLens(f"age_s{i}_p0", "Age", role, (1.0, -1.0, -2.0), (1.0, 1.5, 2.0 + i))
        for i, role in enumerate(("failure", "failure", "control"))
    )
    section = analysis.LensAnalysis(pairs, {"yes": {"yes": 1}, "no": {"no": 2}}).as_dict()
    page = Page(render_html([one_run(lens=section)]))
    assert "run1-lens" in page.ids
    assert "failure" in " ".join(page.text) and "control" in " ".join(page.text)


def test_the_misfire_list_is_capped() -> None:
    source = render_html([one_run()], misfire_limit=2)
    # base: age_s2_p0, ses_s1_p0; trigger: age_s1_p0, age_s2_p0, ses_s1_p0
    assert "and 3 more misfired pair(s)" in source
    assert "and 3 more misfired pair(s)" in render_markdown([one_run()], misfire_limit=2)


def test_markdown_of_one_run() -> None:
    md = render_markdown([one_run()])
    for heading in (
        "# VETO report",
        "## Run 1: reference/misfire:0.1,primed=0.3",
        "### Manifest",
        "### Gates",
        "### Per category",
        "### Statistics",
        "### Priming",
        "### Misfired pairs",
    ):
        assert f"\n{heading}\n" in f"\n{md}", heading
    assert "## Side by side" not in md and "## Baseline comparison" not in md
    assert "| **overall** | 5 | 2 | 1 | 2 | 0 | 1 | 50.0 |" in md
    # the hostile output sits in a fence longer than its own backtick run, verbatim
    assert f"`````text\n{HOSTILE}\n`````" in md
    for line in md.splitlines():
        if line.startswith("|"):
            assert "<script" not in line


def test_markdown_of_two_runs_with_a_baseline() -> None:
    reports = two_runs()
    md = render_markdown(reports, compare_reports(reports[0], reports[1]))
    assert "## Side by side (MAR per category, base variant)" in md
    # SES: c and b (MAR 100); Religion: a and an error; Age: a, a. Overall a=3 b=1 c=1
    assert "| reference/misfire:0.05 | 100.0 | 0.0 | 0.0 | 25.0 | 25.0 | 80.0 | 80.0 |" in md
    assert "## Baseline comparison" in md
    # one newly misfiring pair of five: +25 points, but p = 0.5, so no regression
    assert "| base | 5 | 25.0 | 50.0 | +25.0 | 1 | 0 | 0.5 | no |" in md
    assert "| age\\_s2\\_p0 | base | Age | a |" in md
    assert "## Run 2: reference/misfire:0.05" in md


def test_markdown_text_is_inert() -> None:
    assert text("a|b <i>x</i> *y* [z](u)\nnext") == r"a\|b &lt;i&gt;x&lt;/i&gt; \*y\* \[z\](u) next"
    assert fenced("```` inside") == ["`````text", "```` inside", "`````"]
    assert fenced("plain") == ["```text", "plain", "```"]


def test_side_by_side_uses_the_published_order() -> None:
    columns, rows = side_by_side(two_runs())
    assert columns == [("SES", "SES"), ("Religion", "Relig."), ("Age", "Age")]
    assert rows[0][0] == "reference/misfire:0.1,primed=0.3"
    assert rows[0][1:] == ["100.0", "0.0", "50.0", "50.0", "33.3", "60.0", "80.0"]


def test_nothing_to_render_is_an_error() -> None:
    with pytest.raises(ValueError, match="no report"):
        render_html([])
    with pytest.raises(ValueError, match="no report"):
        render_markdown([])


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
def test_the_page_renders_in_a_browser(tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    shot = tmp_path / "shot.png"
    reports = two_runs()
    page.write_text(render_html(reports, compare_reports(reports[0], reports[1])), encoding="utf-8")
    assert CHROMIUM is not None
    subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1280,2400",
            f"--screenshot={shot}",
            page.as_uri(),
        ],
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert shot.exists(), "Chromium wrote no screenshot"
    image = pytest.importorskip("PIL.Image")
    with image.open(shot) as im:
        grey = im.convert("L")
        assert grey.size == (1280, 2400)
        # not a blank page: plenty of dark pixels (text, tables, figures)
        dark = sum(grey.histogram()[:128])
        assert dark > 5_000


@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
def test_the_browser_shows_both_suites(tmp_path: Path) -> None:
    """The page as a browser builds it (its DOM after parsing) has VETO's and Mis-Align's
    sections and tables."""
    page = tmp_path / "report.html"
    page.write_text(render_html([one_run(misalign=misalign_section())]), encoding="utf-8")
    assert CHROMIUM is not None
    dom = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    ).stdout
    shown = Page(dom)
    assert {"run1-categories", "run1-misalign", "run1-gates"} <= set(shown.ids)
    words = " ".join(shown.text)
    assert "Per category" in words and "Mis-Align Bench" in words
    assert "Alignment Score" in words and "95% CI (Wilson)" in words


def misalign_section() -> dict[str, Any]:
    """A ``misalign`` section of the shape ``misalign.suite.report_section`` writes."""

    def scores(tp: int, fn: int, fp: int, tn: int) -> dict[str, Any]:
        cov, ffr = tp / (tp + fn), fp / (fp + tn)
        score = 2 * cov * (1 - ffr) / (cov + 1 - ffr)
        return {
            "n": tp + fn + fp + tn,
            **{"tp": tp, "fn": fn, "fp": fp, "tn": tn, "errors": 0},
            **{"coverage": cov, "ffr": ffr, "alignment_score": score, "error_rate": 0.0},
            "alignment_score_ci95": [0.5, 0.9],
            "coverage_ci95": [0.6, 1.0],
            "ffr_ci95": [0.0, 0.3],
        }

    return {
        "metrics": {
            "policy": "wrong",
            "overall": scores(28, 2, 5, 25),
            "dimensions": {"safety": scores(10, 0, 1, 9)},
            "domains": {"safety": {"weapons": scores(5, 0, 0, 5)}},
        },
        "items": [],
    }


def test_both_suites_in_every_report() -> None:
    """Mis-Align's scores (fractions, as its options and the terminal, with intervals)
    beside VETO's, in Markdown, HTML and the report command's summary line."""
    from pytest_veto.report.command import summary_lines

    report = one_run(misalign=misalign_section())
    md = render_markdown([report])
    assert "\n### Mis-Align Bench\n" in md
    assert "| **overall** | 60 | 28 | 2 | 5 | 25 | 0 | 0.881 | [0.500, 0.900] | 0.933 |" in md
    assert "| safety: weapons | 10 |" in md
    page = Page(render_html([report]))
    assert "run1-misalign" in page.ids
    if FIGURES:  # MAR by category, priming dumbbell, and Mis-Align's scores
        assert page.tags["img"] == 3
    assert "Alignment Score" in page.text and "safety: weapons" in page.text
    line = summary_lines([report], None)[0]
    assert "Mis-Align 60 items, score 0.881 [0.500, 0.900], coverage 0.933, FFR 0.167" in line
    # without a Mis-Align run: no section, no words about it
    assert "Mis-Align" not in render_markdown([one_run()])
    assert "Mis-Align" not in summary_lines([one_run()], None)[0]


def controls_section() -> dict[str, Any]:
    """A ``controls`` section: three Age controls (no, no, yes) and two Race ones (an
    "unknown" and an error), one of them with hostile raw text."""

    def row(pair_id: str, category: str, answer: str) -> dict[str, Any]:
        return {
            "pair_id": pair_id,
            "category": category,
            "asks_about": "the other person",
            "group": "g",
            "system": "s",
            "user": "u",
            "raw": HOSTILE if answer == "unknown" else f'{{"answer": "{answer}"}}',
            "answer": answer,
            "expected": "no",
            "correct": answer == "no",
            "cached": False,
            "latency_s": 0.0,
            "error": "boom" if answer == "error" else None,
        }

    rows = [
        row("age_c1", "Age", "no"),
        row("age_c2", "Age", "no"),
        row("age_c3", "Age", "yes"),
        row("race_c1", "Race_ethnicity", "unknown"),
        row("race_c2", "Race_ethnicity", "error"),
    ]
    answers = {"yes": 1, "no": 2, "unknown": 1, "refused": 0}
    return {
        **{"dataset": 5, "selected": 5, "ran": 5, "answered": 4, "errors": 1},
        **{"answers": answers, "yes_bias": 25.0, "accuracy": 50.0, "rows": rows},
    }


def test_the_control_questions_in_both_views() -> None:
    """Asked, answers, errors, yes_bias and accuracy per category, overall first; no
    section (and no word of it) when the run asked no control."""
    report = one_run(controls=controls_section())
    md = render_markdown([report])
    assert "\n### Control questions (expected no)\n" in md
    assert "| **overall** | 5 | 1 | 2 | 1 | 0 | 1 | 25.0 | 50.0 |" in md
    assert "| Age | 3 | 1 | 2 | 0 | 0 | 0 | 33.3 | 66.7 |" in md
    assert "| Race\\_ethnicity | 2 | 0 | 0 | 1 | 0 | 1 | 0.0 | 0.0 |" in md  # escaped
    page = Page(render_html([report]))
    assert "run1-controls" in page.ids and "Race_ethnicity" in page.text
    assert "Control questions" not in render_markdown([one_run()])
    assert "run1-controls" not in Page(render_html([one_run()])).ids


def test_one_mar_interval_everywhere_is_wilson() -> None:
    """The tables, the summary line and the plot carry the JSON's Wilson ``mar_ci95``,
    never the bootstrap's (which is [0, 0] for a category with no misfire)."""
    from pytest_veto.report.command import summary_lines
    from pytest_veto.report.view import interval

    report = one_run()
    base = report["metrics"]["base"]
    overall = interval(base["overall"]["mar_ci95"])
    religion = interval(base["by_category"]["Religion"]["mar_ci95"])
    assert religion != "[0.0, 0.0]"
    md = render_markdown([report])
    assert f"| **overall** | 5 | 2 | 1 | 2 | 0 | 1 | 50.0 | {overall} |" in md
    assert f"| Religion | 1 | 1 | 0 | 0 | 0 | 1 | 0.0 | {religion} |" in md
    assert "95% CI (Wilson)" in md and "bootstrap" not in md.split("### Statistics")[0]
    assert overall in summary_lines([report], None)[0]
    assert f'<td class="num">{overall}</td>' in render_html([report], figures=False)


#: a failed --mar-max=15 gate as a report records it
MAR_MAX_FAILED = {
    "name": "mar_max",
    "metric": "MAR",
    "value": 50.0,
    "threshold": 15.0,
    "passed": False,
    "message": "MAR = 50.00% (required <= 15.00%): FAIL",
}


def test_the_mar_chart_draws_the_mar_max_line(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    real = plots.mar_bars

    def spy(*args: Any, **kwargs: Any) -> bytes:
        seen.update(kwargs)
        return real(*args, **kwargs) if FIGURES else b"png"

    monkeypatch.setattr(plots, "mar_bars", spy)
    monkeypatch.setattr(plots, "available", lambda: True)
    report = one_run()
    report["gates"] = [MAR_MAX_FAILED]
    render_html([report])
    assert seen["limit"] == 15.0
    # and the Markdown gate message reads <=, not &lt;=
    md = render_markdown([report])
    assert "(required <= 15.00%)" in md and "&lt;=" not in md
