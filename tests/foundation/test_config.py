"""Settings: defaults < environment < arguments, and clear errors for bad values."""

from __future__ import annotations

from dataclasses import fields

import pytest

from paxsilica.config import Settings, SettingsError, load_settings


def test_defaults() -> None:
    assert load_settings({}) == Settings()


def test_environment_overrides_defaults_and_arguments_override_environment() -> None:
    environ = {
        "PAXSILICA_PORT": "8001",
        "PAXSILICA_QUERY_SLOTS": "3",
        "PAXSILICA_QUERY_TIMEOUT": "2.5",
        "PAXSILICA_QUEUE_TIMEOUT": "0.25",
    }
    settings = load_settings(environ, port=9000, query_slots=None, queries_per_client=2)
    assert settings.port == 9000
    assert settings.query_slots == 3
    assert settings.query_timeout == 2.5
    assert settings.queue_timeout == 0.25
    assert settings.queries_per_client == 2


def test_recycling_query_workers_can_be_turned_off_from_the_environment() -> None:
    assert Settings().query_worker_recycle_mib > 0
    assert load_settings({"PAXSILICA_QUERY_WORKER_RECYCLE_MIB": "0"}).query_worker_recycle_mib == 0


def test_lists_from_environment() -> None:
    settings = load_settings(
        {"PAXSILICA_DATA_FILES": "a.ttl:b.nt", "PAXSILICA_SERVICE_ALLOW": "http://a/,http://b/"}
    )
    assert settings.data_files == ("a.ttl", "b.nt")
    assert settings.service_allow == ("http://a/", "http://b/")


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"port": "eighty"}, "setting port"),
        ({"port": 0}, "setting port"),
        ({"base_iri": "ftp://example.org/"}, "setting base_iri"),
        ({"base_iri": "http://example.org"}, "ending with '/'"),
        ({"query_timeout": -1}, "setting query_timeout"),
        ({"query_worker_recycle_mib": -1}, "setting query_worker_recycle_mib"),
        ({"query_slots": 0}, "setting query_slots"),
        ({"query_slots": "many"}, "setting query_slots"),
        ({"queries_per_client": 0}, "setting queries_per_client"),
        ({"header_timeout": 0}, "setting header_timeout"),
        ({"query_queue": -1}, "setting query_queue"),
        ({"query_memory_mib": 0}, "setting query_memory_mib"),
        ({"colour": "blue"}, "unknown settings: colour"),
    ],
)
def test_bad_values_say_which_setting(overrides: dict, message: str) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({}, **overrides)


def test_bad_environment_value_is_reported() -> None:
    with pytest.raises(SettingsError, match="setting max_rows"):
        load_settings({"PAXSILICA_MAX_ROWS": "many"})


def test_every_setting_reads_its_own_type_from_the_environment() -> None:
    # Each setting names its converter: a value from the environment (text) becomes the type
    # of the setting's default, whatever the annotation says.
    samples = {
        "host": "0.0.0.0",
        "port": "8080",
        "base_iri": "http://127.0.0.1:8080/",
        "data_files": "a.ttl",
        "store_path": "store",
        "endpoint": "http://127.0.0.1:8890/sparql",
        "endpoint_graph": "http://example.org/g",
        "endpoint_user": "dba",
        "query_timeout": "2.5",
        "max_rows": "10",
        "max_body_bytes": "100",
        "max_query_string_bytes": "100",
        "service_allow": "http://a/",
        "query_slots": "3",
        "document_slots": "2",
        "queries_per_client": "2",
        "query_queue": "4",
        "queue_timeout": "0.25",
        "header_timeout": "5",
        "body_timeout": "20",
        "keepalive_timeout": "3",
        "query_memory_mib": "512",
        "query_worker_recycle_mib": "0",
        "graceful_timeout": "12.5",
        "access_log": "-",
    }
    names = {spec.name for spec in fields(Settings)}
    assert names == set(samples), "a new setting needs a sample here"
    expected_types = {
        "store_path": str,
        "endpoint": str,
        "query_slots": int,
        "document_slots": int,
        "query_queue": int,
        "query_memory_mib": int,
        "graceful_timeout": float,
    }
    for name, raw in samples.items():
        settings = load_settings({"PAXSILICA_" + name.upper(): raw})
        default = getattr(Settings(), name)
        kind = expected_types.get(name) or (type(default) if default is not None else str)
        assert isinstance(getattr(settings, name), kind), name
