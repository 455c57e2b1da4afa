"""Scrubbing credentials from every string that leaves a backend or enters a report.

Three kinds of secret are replaced by ``***``:

- the value of every environment variable whose name ends in ``_API_KEY``, ``_TOKEN``,
  ``_KEY`` or ``_SECRET`` (values shorter than ``MIN_SECRET_LEN`` are not credentials),
  plus any extra values the caller knows (the credentials inside its ``--api-base``);
- credentials inside URLs: the user info of ``scheme://user:pass@host`` and the value of
  a query parameter whose name says it is one (``api_key=``, ``key=``, ``token=``,
  ``secret=``, ``password=``, ``sig=``...);
- text shaped like a key: ``sk-...`` and what follows ``Bearer``.

Scrub a string before cutting it: a cut first leaves the head of a key that no longer
matches the whole value.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from urllib.parse import unquote

__all__ = [
    "MIN_SECRET_LEN",
    "SECRET_SUFFIXES",
    "scrub_argv",
    "scrub_secrets",
    "scrub_url",
    "secret_values",
    "url_secrets",
]

#: Environment variables whose values are secrets (by name suffix).
SECRET_SUFFIXES = ("_API_KEY", "_TOKEN", "_KEY", "_SECRET")
#: Shorter values are not credentials, and replacing them would garble messages.
MIN_SECRET_LEN = 6
#: A query parameter whose name holds one of these words carries a credential.
_KEYLIKE_PARAM = re.compile(r"(?i)key|token|secret|password|passwd|pwd|sig|credential|auth")
#: Lengths are bounded so that a multi-megabyte answer is scrubbed in linear time.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]{0,31}://)[^\s/?#@]*(?:@[^\s/?#@]*)*@")
#: A value ends at the next parameter or at what ends a URL in prose (quote, bracket,
#: comma); a key holding such a character is still replaced whole when it is a known value.
_QUERY_PARAM = re.compile(r"([?&;])([\w.\-]{1,64})=([^&#\s'\"<>()\[\]{},]+)")
_KEY_SHAPED = re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}")
_BEARER = re.compile(r"(?i)(bearer\s+)\S+")


def secret_values(environ: Mapping[str, str] | None = None) -> frozenset[str]:
    """The values of secret-looking environment variables (``os.environ`` by default)."""
    env = os.environ if environ is None else environ
    return frozenset(
        value
        for name, value in env.items()
        if name.upper().endswith(SECRET_SUFFIXES) and len(value) >= MIN_SECRET_LEN
    )


def url_secrets(url: str | None) -> frozenset[str]:
    """The credentials written into ``url`` (or into a ``--option=URL`` argument): its user
    info, user name and password, and the values of its key-like query parameters, as
    written and percent-decoded. Parsed by hand: a malformed URL raises nothing."""
    if not url:
        return frozenset()
    _, sep, rest = url.partition("://")
    authority = re.split(r"[/?#]", rest, maxsplit=1)[0] if sep else ""
    userinfo = authority.rpartition("@")[0]
    found = [userinfo, *userinfo.split(":", 1)] if userinfo else []
    query = url.partition("?")[2].partition("#")[0]
    for param in re.split(r"[&;]", query) if query else ():
        name, _, value = param.partition("=")
        if _KEYLIKE_PARAM.search(name):
            found.append(value)
    values = {v for f in found for v in (f, unquote(f))}
    return frozenset(v for v in values if len(v) >= MIN_SECRET_LEN)


def _query_value(match: re.Match[str]) -> str:
    sep, name, _ = match.groups()
    return f"{sep}{name}=***" if _KEYLIKE_PARAM.search(name) else match.group(0)


def scrub_secrets(
    text: str, environ: Mapping[str, str] | None = None, extra: Iterable[str] = ()
) -> str:
    """``text`` with every secret (see the module docstring) replaced by ``***``.

    ``extra`` are more literal values to replace (shorter than ``MIN_SECRET_LEN``: kept).
    """
    values = secret_values(environ) | {v for v in extra if len(v) >= MIN_SECRET_LEN}
    for value in sorted(values, key=len, reverse=True):  # longest first: no partial leaks
        if value in text:
            text = text.replace(value, "***")
    text = _USERINFO.sub(r"\1***@", text)
    text = _QUERY_PARAM.sub(_query_value, text)
    text = _KEY_SHAPED.sub("***", text)
    return _BEARER.sub(r"\1***", text)


def scrub_url(url: str, environ: Mapping[str, str] | None = None) -> str:
    """``url`` with its user info, key-like query values and any other secret as ``***``."""
    return scrub_secrets(url, environ, url_secrets(url))


def scrub_argv(argv: Sequence[str], environ: Mapping[str, str] | None = None) -> tuple[str, ...]:
    """A command line fit for a report: every argument scrubbed, URL credentials included
    (``--api-base=https://user:pass@host/v1?api_key=...``)."""
    found = frozenset().union(*(url_secrets(a) for a in argv))
    return tuple(scrub_secrets(a, environ, found) for a in argv)
