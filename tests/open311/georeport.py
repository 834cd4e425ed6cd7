"""Validation of responses against the Open311 GeoReport v2 JSON schemas (see schemas/NOTICE.md)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Any

from jsonschema import Draft7Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

SCHEMAS = Path(__file__).parent / "schemas"
_registry: Registry = Registry()
for _path in SCHEMAS.glob("*.json"):
    _registry = _registry.with_resource(
        _path.name, DRAFT7.create_resource(json.loads(_path.read_text()))
    )


def _schema(name: str) -> dict[str, Any]:
    return json.loads((SCHEMAS / name).read_text())


def validate(name: str, document: Any) -> None:
    """Raise when ``document`` does not validate against schema ``name`` (e.g. requests.json);
    date-times are checked too (ISO 8601 with a zone), which jsonschema leaves out by default."""
    Draft7Validator(_schema(name), registry=_registry).validate(document)
    for item in document if isinstance(document, list) else [document]:
        for key in ("requested_datetime", "updated_datetime", "expected_datetime"):
            value = item.get(key) if isinstance(item, dict) else None
            if value is not None:
                assert datetime.fromisoformat(value).tzinfo is not None, value
