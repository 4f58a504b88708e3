"""Settings: defaults, overridden by PAXSILICA_* environment variables, overridden by arguments."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from typing import Any

from paxsilica import iris

ENV_PREFIX = "PAXSILICA_"
QUERY_RUNNERS = ("serving", "pool")


class SettingsError(ValueError):
    """A setting has a value that cannot be used; says which setting and why."""


@dataclass(frozen=True)
class Settings:
    """Everything the server and the CLI can be configured with."""

    host: str = "127.0.0.1"
    port: int = 5000
    # gunicorn worker processes; None: as many as suit the query runner (see serving).
    workers: int | None = None
    base_iri: str = iris.CANONICAL_BASE
    data_files: tuple[str, ...] = ()
    store_path: str | None = None
    endpoint: str | None = None
    endpoint_graph: str | None = None
    endpoint_user: str | None = None
    query_timeout: float = 30.0
    max_rows: int = 100_000
    max_body_bytes: int = 1024 * 1024
    max_query_string_bytes: int = 16 * 1024
    service_allow: tuple[str, ...] = ()
    # Where SPARQL queries run: "serving" in the server's own worker processes, one request
    # at a time each, a process ending when its query overruns (paxsilica serve only); "pool"
    # in killable query worker processes beside a threaded server (any WSGI server). None: the
    # server chooses ("serving" for paxsilica serve, "pool" for create_app).
    query_runner: str | None = None
    # With the pool: queries one server process runs at once (each in its own worker process).
    query_workers: int = 4
    # A process running queries that has made this many MiB of memory its own (copies of the
    # pages of the in-memory store it read, results it built) is replaced after its answer;
    # 0: never.
    query_worker_recycle_mib: int = 1024

    @property
    def queries_may_connect(self) -> bool:
        """Whether running a query may open a connection: to an allow-listed SERVICE, or to the
        remote SPARQL server the data lives in. Otherwise queries run without a network."""
        return bool(self.service_allow) or self.endpoint is not None

    @property
    def rewriter(self) -> iris.BaseRewriter:
        """The IRI rewriter for this deployment's base."""
        return iris.BaseRewriter(self.base_iri)


def _convert(name: str, kind: Any, raw: Any) -> Any:
    if raw is None:
        return None
    try:
        if kind in ("int", int, "int | None"):
            return int(raw)
        if kind in ("float", float):
            return float(raw)
        if "tuple" in str(kind):
            if isinstance(raw, str):
                separator = os.pathsep if name == "data_files" else ","
                return tuple(part for part in raw.split(separator) if part)
            return tuple(raw)
    except ValueError as error:
        raise SettingsError(f"setting {name}: {raw!r} is not a valid value ({error})") from None
    return raw


def _check(settings: Settings) -> Settings:
    base = settings.base_iri
    if not (base.startswith("http://") or base.startswith("https://")) or not base.endswith("/"):
        raise SettingsError(f"setting base_iri: {base!r} must be an http(s) URL ending with '/'")
    if settings.workers is not None and settings.workers <= 0:
        raise SettingsError("setting workers: must be a positive number")
    if settings.query_runner not in (None, *QUERY_RUNNERS):
        raise SettingsError(
            f"setting query_runner: {settings.query_runner!r} is not one of "
            f"{', '.join(QUERY_RUNNERS)}"
        )
    for name in (
        "port",
        "max_rows",
        "max_body_bytes",
        "max_query_string_bytes",
        "query_workers",
    ):
        if getattr(settings, name) <= 0:
            raise SettingsError(f"setting {name}: must be a positive number")
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
    values: dict[str, Any] = {}
    for spec in fields(Settings):
        raw = environ.get(ENV_PREFIX + spec.name.upper())
        if raw is not None and raw != "":
            values[spec.name] = _convert(spec.name, spec.type, raw)
    unknown = set(overrides) - {spec.name for spec in fields(Settings)}
    if unknown:
        raise SettingsError(f"unknown settings: {', '.join(sorted(unknown))}")
    for spec in fields(Settings):
        value = overrides.get(spec.name)
        if value is not None:
            values[spec.name] = _convert(spec.name, spec.type, value)
    return _check(replace(Settings(), **values))


__all__ = ["Settings", "SettingsError", "load_settings"]
