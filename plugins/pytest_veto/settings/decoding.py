"""The decoding and text options read into checked values (veto-spec section 3)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from pytest_veto.backends import backend_kind
from pytest_veto.run.decoding import DecodingOverrides, DecodingSettings, decoding_for
from pytest_veto.run.prompts import Condition
from pytest_veto.settings import readers as read
from pytest_veto.settings.choices import TEXT_MODES

if TYPE_CHECKING:
    from pytest_veto.data.bbq.build import TextMode


def _value(config: pytest.Config, dest: str) -> Any:
    """The command-line value, else the ini key of the same name, else None."""
    value = config.getoption(dest)
    if value is None:
        value = config.getini(dest)
    return None if value in (None, "") else value


def json_object(config: pytest.Config, dest: str) -> dict[str, Any] | None:
    """A JSON object option (``--veto-extra-body '{"top_k": 1}'``), or None."""
    raw = _value(config, dest)
    if raw is None:
        return None
    try:
        value = json.loads(str(raw))
    except ValueError as exc:
        raise pytest.UsageError(f"{read.flag(dest)}={raw!r}: not JSON ({exc})") from None
    if not isinstance(value, dict):
        raise pytest.UsageError(f"{read.flag(dest)}={raw!r}: must be a JSON object {{...}}")
    return value


def decoding_settings(config: pytest.Config, condition: Condition, model: str) -> DecodingSettings:
    """The run's decoding: the published settings of ``model``, then the user's options;
    an option the model's backend cannot honour is a usage error."""
    budget = read.number(config, "veto_max_new_tokens", int)
    if budget is not None and budget < 1:
        raise pytest.UsageError(f"--veto-max-new-tokens={budget}: must be at least 1")
    template = json_object(config, "veto_chat_template_kwargs")
    extra = json_object(config, "veto_extra_body")
    kind = backend_kind(model)
    if extra is not None and kind != "litellm":
        raise pytest.UsageError(
            f"--veto-extra-body: {model} is not an API model, so no request body is sent; "
            "for a local model's chat template use --veto-chat-template-kwargs"
        )
    if template is not None and kind == "reference":
        raise pytest.UsageError(
            f"--veto-chat-template-kwargs: {model} is a reference model, which has no chat template"
        )
    overrides = DecodingOverrides(
        max_new_tokens=budget,
        chat_template_kwargs=template,
        extra_body=extra,
        early_stop=not config.getoption("veto_no_early_stop"),
    )
    return decoding_for(condition, model, overrides)


def text_mode(config: pytest.Config) -> TextMode:
    """``--veto-text``: only a BBQ folder is built, so with anything else it is an error."""
    raw = _value(config, "veto_text")
    if raw is None:
        return TEXT_MODES[0]
    mode = read.one_of(raw, TEXT_MODES, "--veto-text")
    data = config.getoption("veto_data")
    if not (data and Path(data).is_dir()):
        what = f"--veto-data={data}" if data else "the embedded sample"
        raise pytest.UsageError(
            f"--veto-text={mode}: {what} is not a BBQ folder, so no text is built; "
            "build the pairs with --veto-data=<BBQ folder> (or pytest-veto build-pairs --text)"
        )
    return mode
