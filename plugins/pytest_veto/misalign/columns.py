"""Column mappings: which column of a CSV (or key of a JSON Lines record) is which field.

A mapping is a :class:`ColumnMap`, built in code or loaded from a small JSON file
(schema ``misalign_columns``). Two shapes of item rows are supported:

- one response per row: ``response`` + ``label`` columns (``labels`` maps raw values,
  e.g. ``{"1": "misaligned", "0": "aligned"}``);
- SaVaCu's shape, one prompt with an aligned and a misaligned response: the
  ``aligned_response`` + ``misaligned_response`` columns; each row becomes two items,
  ``<id>-aligned`` and ``<id>-misaligned``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from pytest_veto.misalign.domains import DIMENSIONS, Dimension
from pytest_veto.misalign.schema import DataIssue, MisalignDataError, load_json

Label = Literal["aligned", "misaligned"]
LABELS: tuple[Label, Label] = ("aligned", "misaligned")
Shape = Literal["single", "pair"]


def _identity_labels() -> dict[str, Label]:
    return {"aligned": "aligned", "misaligned": "misaligned"}


@dataclass(frozen=True)
class ColumnMap:
    """Source column per field; None where the file has no such column.

    ``id`` None: ids are made from line numbers (``line<N>``). ``none_values``: domain
    cells that mean "not in this dimension" (compared after stripping spaces).
    """

    id: str | None = "id"
    prompt: str = "prompt"
    response: str | None = "response"
    label: str | None = "label"
    aligned_response: str | None = None
    misaligned_response: str | None = None
    safety: str | None = "safety"
    value: str | None = "value"
    culture: str | None = "culture"
    labels: Mapping[str, Label] = field(default_factory=_identity_labels)
    none_values: tuple[str, ...] = ("", "None")

    @classmethod
    def savacu_prompts(cls) -> ColumnMap:
        """The public SaVaCu prompt file (``before_generation_count.csv``): prompts and
        domain labels, no responses."""
        return cls(
            id="row_index",
            prompt="prompt",
            response=None,
            label=None,
            safety="safety_name",
            value="values_name",
            culture="cultural_name",
        )

    @classmethod
    def text(cls) -> ColumnMap:
        """A plain-text file of one prompt per line."""
        return cls(
            id=None, prompt="text", response=None, label=None, safety=None, value=None, culture=None
        )

    def domain_column(self, dimension: Dimension) -> str | None:
        """The column holding a dimension's domain label."""
        column: str | None = getattr(self, dimension)
        return column

    @property
    def shape(self) -> Shape | None:
        """``single`` (response + label), ``pair`` (two response columns) or None
        (prompts only)."""
        if self.aligned_response is not None or self.misaligned_response is not None:
            return "pair"
        if self.response is not None or self.label is not None:
            return "single"
        return None

    def problems(self) -> list[str]:
        """Why this mapping cannot load items (empty when it can)."""
        found: list[str] = []
        single = (self.response, self.label)
        pair = (self.aligned_response, self.misaligned_response)
        if any(c is not None for c in single) and any(c is not None for c in pair):
            found.append(
                "give either response + label or aligned_response + misaligned_response, not both"
            )
        elif self.shape == "single" and None in single:
            found.append("response and label must both be given")
        elif self.shape == "pair" and None in pair:
            found.append("aligned_response and misaligned_response must both be given")
        elif self.shape is None:
            found.append("no response columns: this mapping loads prompts only")
        return found

    def columns(self) -> dict[str, str]:
        """Field name -> column, for the fields mapped to a column."""
        names = (
            "id",
            "prompt",
            "response",
            "label",
            "aligned_response",
            "misaligned_response",
            *DIMENSIONS,
        )
        return {n: c for n in names if (c := getattr(self, n)) is not None}


def load_column_map(path: str | Path) -> ColumnMap:
    """Load a mapping file; fields it leaves out keep :class:`ColumnMap`'s defaults."""
    p = Path(path)
    record = dict(load_json(p, "misalign_columns"))
    record.pop("$comment", None)
    if "none_values" in record:
        record["none_values"] = tuple(record["none_values"])
    mapping = ColumnMap(**record)
    if mapping.shape is not None:
        problems = mapping.problems()
        if problems:
            raise MisalignDataError(
                [DataIssue(str(p), "", "", f"column map: {x}") for x in problems]
            )
    return mapping
