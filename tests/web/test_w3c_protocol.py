"""The W3C SPARQL 1.1 Protocol tests that apply to a read-only endpoint, against a real server.

The requests and the expected responses are read from the W3C manifest kept in
tests/w3c/sparql11-protocol/ (see tests/w3c/NOTICE.md); the test data goes in the named
graphs the manifest names. Every test applies but those that expect an update to succeed:
the query operation's tests, and the bad update requests (which a read-only endpoint refuses
as it refuses every update, with a 4xx).
"""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import rdflib
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS

from publication_support import live_server
from sparql_results import TESTS_DIR

SUITE = TESTS_DIR / "w3c" / "sparql11-protocol"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
HTS = rdflib.Namespace("http://www.w3.org/2011/http-statusCodes#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
UT = rdflib.Namespace("http://www.w3.org/2009/sparql/tests/test-update#")
# The tests that expect an update to succeed: they cannot apply to a read-only endpoint.
UPDATE_TESTS = "update_"
RESULTS_TYPES = {
    "application/sparql-results+json",
    "application/sparql-results+xml",
    "text/csv",
    "text/tab-separated-values",
}
RDF_TYPES = {
    "text/turtle",
    "application/n-triples",
    "application/rdf+xml",
    "application/ld+json",
    "application/n-quads",
    "application/trig",
}


@dataclass(frozen=True)
class ProtocolRequest:
    """One request of a test, and what its response must be."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes | None
    statuses: frozenset[str]
    expected_format: str | None
    expected_boolean: bool | None


def _manifest() -> rdflib.Graph:
    return rdflib.Graph().parse(SUITE / "manifest.ttl", format="turtle")


def _requests(manifest: rdflib.Graph, test: rdflib.term.Node) -> list[ProtocolRequest]:
    action = manifest.value(test, MF.action)
    requests = []
    for node in Collection(manifest, manifest.value(action, HT.requests)):
        headers_list = manifest.value(node, HT.headers)
        headers = {
            str(manifest.value(h, HT.fieldName)): str(manifest.value(h, HT.fieldValue))
            for h in (Collection(manifest, headers_list) if headers_list is not None else [])
        }
        body_node = manifest.value(node, HT.body)
        body = None
        if body_node is not None:
            encoding = str(manifest.value(body_node, CNT.characterEncoding) or "UTF-8")
            body = str(manifest.value(body_node, CNT.chars)).encode(encoding)
        response = manifest.value(node, HT.resp)
        boolean = manifest.value(response, MF.expectedBoolean)
        expected_format = manifest.value(response, MF.expectedFormat)
        requests.append(
            ProtocolRequest(
                method=str(manifest.value(node, HT.methodName)),
                path=str(manifest.value(node, HT.absolutePath)),
                headers=headers,
                body=body,
                statuses=frozenset(
                    str(s).rsplit("StatusCode", 1)[-1]
                    for s in manifest.objects(response, MF.expectedStatus)
                ),
                expected_format=str(expected_format) if expected_format is not None else None,
                expected_boolean=boolean.toPython() if boolean is not None else None,
            )
        )
    return requests


def _applicable_tests() -> dict[str, list[ProtocolRequest]]:
    manifest = _manifest()
    entries = manifest.value(next(manifest.subjects(RDF.type, MF.Manifest)), MF.entries)
    tests = {}
    for test in Collection(manifest, entries):
        name = str(test).rsplit("#", 1)[-1]
        if not name.startswith(UPDATE_TESTS):
            tests[name] = _requests(manifest, test)
    return tests


TESTS = _applicable_tests()


def test_every_applicable_test_of_the_manifest_is_run() -> None:
    # 13 tests of the query operation, 7 of its bad requests, 7 bad update requests
    # (bad_multiple_updates among them).
    assert len(TESTS) == 27
    assert sum(name.startswith("query_") for name in TESTS) == 13
    assert sum("update" in name for name in TESTS) == 7


def _dataset(path: Path) -> Path:
    """Write the manifest's test data as N-Quads, each file in the graph the manifest names."""
    manifest = _manifest()
    lines = []
    for data in manifest.objects(None, UT.graphData):
        graph = str(manifest.value(data, RDFS.label))
        source = SUITE / Path(str(manifest.value(data, UT.graph))).name
        for line in source.read_text(encoding="utf-8").splitlines():
            if line.strip():
                lines.append(line.rstrip().removesuffix(".").rstrip() + f" <{graph}> .")
    path.write_text("\n".join(sorted(set(lines))) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    data = _dataset(tmp_path_factory.mktemp("w3c") / "protocol-data.nq")
    with live_server(["--data", str(data)]) as base:
        yield base


def _send(base: str, request: ProtocolRequest) -> tuple[int, str, bytes]:
    address = urlsplit(base)
    connection = http.client.HTTPConnection(address.hostname, address.port, timeout=30)
    try:
        connection.request(request.method, request.path, body=request.body, headers=request.headers)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type", ""), response.read()
    finally:
        connection.close()


def _check_format(request: ProtocolRequest, content_type: str, body: bytes) -> None:
    mime = content_type.split(";")[0].strip()
    if request.expected_format == "RDF":
        assert mime in RDF_TYPES, content_type
    elif request.expected_format in ("boolean", "tabular"):
        assert mime in RESULTS_TYPES, content_type
    if request.expected_boolean is not None:
        assert mime == "application/sparql-results+json", content_type
        assert json.loads(body)["boolean"] is request.expected_boolean


@pytest.mark.parametrize("name", TESTS)
def test_w3c_protocol(server: str, name: str) -> None:
    for request in TESTS[name]:
        status, content_type, body = _send(server, request)
        assert f"{status // 100}xx" in request.statuses, (name, status, body[:300])
        _check_format(request, content_type, body)
