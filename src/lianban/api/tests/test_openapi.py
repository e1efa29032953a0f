"""The committed OpenAPI document is the contract: it must match what the code serves."""

import json
from pathlib import Path

from openapi_spec_validator import validate

from lianban.api.main import api

COMMITTED = Path(__file__).resolve().parents[4] / "docs" / "openapi.json"


def test_committed_openapi_matches_the_code():
    served = api.get_openapi_schema(path_prefix="/api/v1")
    committed = json.loads(COMMITTED.read_text(encoding="utf-8"))
    assert json.loads(json.dumps(served)) == committed, (
        "docs/openapi.json is out of date: run `make openapi` and commit the result"
    )


def test_openapi_document_is_valid_openapi_3():
    validate(json.loads(COMMITTED.read_text(encoding="utf-8")))


def test_openapi_is_served(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "lianban 联办 API"
