"""Settings: defaults, overridden by PAXSILICA_* environment variables, overridden by arguments.

Each setting names the converter that reads it from text (an environment variable) or from a
value (an argument), so that adding a setting means saying how it is read.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields, replace
from functools import cached_property
from typing import Any

from paxsilica import iris

ENV_PREFIX = "PAXSILICA_"


class SettingsError(ValueError):
    """A setting has a value that cannot be used; says which setting and why."""


def _text(raw: Any) -> str:
    return str(raw)


def _optional_text(raw: Any) -> str | None:
    return str(raw) if raw != "" else None


def _integer(raw: Any) -> int:
    if isinstance(raw, bool):
        raise ValueError("a number, not a truth value")
    return int(raw)


def _number(raw: Any) -> float:
    return float(raw)


def _list_with(separator: str) -> Callable[[Any], tuple[str, ...]]:
    def convert(raw: Any) -> tuple[str, ...]:
        parts = raw.split(separator) if isinstance(raw, str) else list(raw)
        return tuple(str(part) for part in parts if part)

    return convert


def _setting(default: Any, convert: Callable[[Any], Any]) -> Any:
    return field(default=default, metadata={"convert": convert})


@dataclass(frozen=True)
class Settings:
    """Everything the server and the CLI can be configured with."""

    host: str = _setting("127.0.0.1", _text)
    port: int = _setting(5000, _integer)
    base_iri: str = _setting(iris.CANONICAL_BASE, _text)
    # Paths separated by ':' in the environment, as PATH is.
    data_files: tuple[str, ...] = _setting((), _list_with(os.pathsep))
    store_path: str | None = _setting(None, _optional_text)
    endpoint: str | None = _setting(None, _optional_text)
    endpoint_graph: str | None = _setting(None, _optional_text)
    endpoint_user: str | None = _setting(None, _optional_text)
    query_timeout: float = _setting(30.0, _number)
    max_rows: int = _setting(100_000, _integer)
    max_body_bytes: int = _setting(1024 * 1024, _integer)
    max_query_string_bytes: int = _setting(16 * 1024, _integer)
    service_allow: tuple[str, ...] = _setting((), _list_with(","))
    # --- paxsilica serve (web.server, web.event_loop) ---
    # Processes that run /sparql requests, one at a time each; None: 4 per CPU.
    query_slots: int | None = _setting(None, _integer)
    # Processes that serve everything else (documents, pages, dumps); None: 1 per CPU, 2 or more.
    document_slots: int | None = _setting(None, _integer)
    # Queries one client address may have running or waiting at once; more are answered 429.
    queries_per_client: int = _setting(4, _integer)
    # Queries that may wait for a busy slot (None: as many as there are query slots), and for
    # how many seconds; beyond either, 503 with Retry-After.
    query_queue: int | None = _setting(None, _integer)
    queue_timeout: float = _setting(0.5, _number)
    # Seconds a client has to send its request's headers, then its body (else 408), and that
    # an idle kept-alive connection stays open.
    header_timeout: float = _setting(10.0, _number)
    body_timeout: float = _setting(30.0, _number)
    keepalive_timeout: float = _setting(5.0, _number)
    # MiB of memory all running queries together may add; past it the largest is stopped
    # (503). None: 40% of the machine's memory.
    query_memory_mib: int | None = _setting(None, _integer)
    # A slot that has grown by this many MiB (copies of the pages of the in-memory store it
    # read, results it built) is replaced while idle; 0: never.
    query_worker_recycle_mib: int = _setting(1024, _integer)
    # Seconds SIGTERM leaves requests in flight to finish before they are answered 503;
    # None: the query timeout plus 5.
    graceful_timeout: float | None = _setting(None, _number)
    # Where to log one line per answer (Common Log Format, with the time taken): a file, or
    # "-" for standard error; None: no access log.
    access_log: str | None = _setting(None, _optional_text)

    @property
    def queries_may_connect(self) -> bool:
        """Whether running a query may open a connection: to an allow-listed SERVICE, or to the
        remote SPARQL server the data lives in. Otherwise queries run without a network."""
        return bool(self.service_allow) or self.endpoint is not None

    @cached_property
    def site(self) -> iris.Site:
        """The IRIs of this deployment, under its base."""
        return iris.Site(self.base_iri)


def _convert(name: str, raw: Any) -> Any:
    spec = next(spec for spec in fields(Settings) if spec.name == name)
    try:
        return spec.metadata["convert"](raw)
    except (TypeError, ValueError) as error:
        raise SettingsError(f"setting {name}: {raw!r} is not a valid value ({error})") from None


_POSITIVE = (
    "port",
    "max_rows",
    "max_body_bytes",
    "max_query_string_bytes",
    "queries_per_client",
    "header_timeout",
    "body_timeout",
    "keepalive_timeout",
)
# Settings that may be left unset (None: a default computed from the machine) but not zero.
_POSITIVE_IF_SET = ("query_slots", "document_slots", "query_memory_mib", "graceful_timeout")


def _check(settings: Settings) -> Settings:
    base = settings.base_iri
    if not (base.startswith("http://") or base.startswith("https://")) or not base.endswith("/"):
        raise SettingsError(f"setting base_iri: {base!r} must be an http(s) URL ending with '/'")
    for name in _POSITIVE:
        if getattr(settings, name) <= 0:
            raise SettingsError(f"setting {name}: must be a positive number")
    for name in _POSITIVE_IF_SET:
        value = getattr(settings, name)
        if value is not None and value <= 0:
            raise SettingsError(f"setting {name}: must be a positive number")
    for name in ("query_queue", "queue_timeout"):
        value = getattr(settings, name)
        if value is not None and value < 0:
            raise SettingsError(f"setting {name}: must be 0 or more")
    if settings.query_worker_recycle_mib < 0:
        raise SettingsError("setting query_worker_recycle_mib: must be 0 (never) or more")
    if settings.query_timeout <= 0:
        raise SettingsError("setting query_timeout: must be a positive number of seconds")
    return settings


def load_settings(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Return settings from defaults < environment (``PAXSILICA_*``) < keyword arguments.

    Keyword arguments whose value is None are ignored, so that unset command-line options
    leave the environment's value in place.
    """
    environ = os.environ if environ is None else environ
    names = [spec.name for spec in fields(Settings)]
    unknown = set(overrides) - set(names)
    if unknown:
        raise SettingsError(f"unknown settings: {', '.join(sorted(unknown))}")
    values: dict[str, Any] = {}
    for name in names:
        raw = environ.get(ENV_PREFIX + name.upper())
        if raw is not None and raw != "":
            values[name] = _convert(name, raw)
        if overrides.get(name) is not None:
            values[name] = _convert(name, overrides[name])
    return _check(replace(Settings(), **values))


__all__ = ["Settings", "SettingsError", "load_settings"]
