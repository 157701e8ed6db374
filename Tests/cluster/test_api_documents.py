"""docs/openapi.json is a valid OpenAPI 3.1 document (openapi-spec-validator) that carries every
failure API.md and docs/api.md list, with their status, text and code; docs/asyncapi.json parses and
names API.md §5's frame kinds. Which routes it covers is APIDocumentTests' (Swift) job, against the router."""
import json
import re

from openapi_spec_validator import validate

from conftest import ROOT

OPENAPI = ROOT / "docs" / "openapi.json"
ASYNCAPI = ROOT / "docs" / "asyncapi.json"
CONTRACTS = [ROOT.parent / "shared" / "API.md", ROOT / "docs" / "api.md"]


def contract_failures():
    """(status, text, code) of every failure the contracts spell out: `409 `text` (`code`)` in
    prose, and table rows `| … | status | `text` | `code` |` or `| status | … | `text` / … | `code` |`."""
    found = set()
    for path in CONTRACTS:
        assert path.exists(), f"{path}: the contract is read from the shared folder beside the repository"
        text = path.read_text()
        found |= set(re.findall(r"(\d{3})\s+`([^`]+)`\s+\(`([a-z_]+)`\)", text))
        found |= set(re.findall(r"^\|[^|\n]*\| (\d{3}) \| `([^`]+)` \| `([a-z_]+)` \|$", text, re.M))
        for status, texts, code in re.findall(r"^\| (\d{3}) \|[^|\n]*\| (`.+?`) \| `([a-z_]+)` \|$", text, re.M):
            found |= {(status, one, code) for one in re.findall(r"`([^`]+)`", texts)}
    return found


def documented_failures(document):
    found = set()
    for operations in document["paths"].values():
        for operation in operations.values():
            for status, response in operation["responses"].items():
                for example in response.get("content", {}).get("application/json", {}).get("examples", {}).values():
                    value = example["value"]
                    if value.get("msg") == "fail":
                        found.add((status, value["data"], value["code"]))
    return found


def test_the_openapi_document_is_valid_openapi_3_1():
    document = json.loads(OPENAPI.read_text())
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_failure_of_the_contracts_is_documented_with_its_status_text_and_code():
    wanted = contract_failures()
    assert len(wanted) > 20, wanted  # the patterns still read the contracts
    missing = wanted - documented_failures(json.loads(OPENAPI.read_text()))
    assert not missing, f"in API.md or docs/api.md but not in docs/openapi.json: {sorted(missing)}"


def test_every_operation_answers_the_envelope():
    document = json.loads(OPENAPI.read_text())
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            statuses = set(operation["responses"])
            assert statuses & {"101", "200"}, f"{method.upper()} {path}: no success"
            assert {"500", "503"} <= statuses, f"{method.upper()} {path}: the failures every route has"
            if operation.get("security"):
                assert "401" in statuses, f"{method.upper()} {path}: authenticated without a 401"


def test_the_asyncapi_document_names_the_frames_of_api_md():
    """The kinds of API.md §5, and those of an acknowledging socket (docs/api.md §7): numbered
    inbox frames to it, `ack` frames from it."""
    document = json.loads(ASYNCAPI.read_text())
    assert document["asyncapi"].startswith("3.")
    assert set(document["channels"]["socket"]["messages"]) == {"ok", "recall", "moment", "updateApplyList", "fail",
                                                               "numbered", "ack"}
    assert {row["close_code"] for row in document["x-close-codes"]} == {4401, 4403, 4404, 4409, 4410, 1001, 1009, 1013}
