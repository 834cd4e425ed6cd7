"""GeoReport's two formats and its errors: JSON (top-level arrays) and XML, and a route class
that answers every error under /open311/ in the GeoReport error format."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any
from xml.etree import ElementTree as ET

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.formparsers import MultiPartException

from civicdesk.errors import DomainError, RateLimited
from civicdesk.web.errors import status_for

FORMATS = ("json", "xml")
# The element name of a list's items in XML (GeoReport's examples).
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
}


class Open311Error(Exception):
    def __init__(self, code: int, description: str) -> None:
        super().__init__(description)
        self.code = code
        self.description = description


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise Open311Error(404, f"unknown format '{fmt[:10]}': use .json or .xml")
    return fmt


def _element(tag: str, value: Any) -> ET.Element:
    node = ET.Element(tag)
    if isinstance(value, dict):
        for key, item in value.items():
            node.append(_element(key, item))
    elif isinstance(value, list):
        child = ITEM_NAMES.get(tag, "item")
        for item in value:
            node.append(_element(child, item))
    elif isinstance(value, bool):
        node.text = "true" if value else "false"
    elif value is not None:
        node.text = str(value)
    return node


def to_xml(root: str, value: Any) -> bytes:
    return b'<?xml version="1.0" encoding="utf-8"?>' + ET.tostring(
        _element(root, value), encoding="utf-8", xml_declaration=False
    )


def respond(fmt: str, root: str, value: Any, status_code: int = 200) -> Response:
    """``value`` as JSON, or as XML under ``root`` (e.g. "services", "service_requests")."""
    if fmt == "xml":
        return Response(to_xml(root, value), status_code, media_type="text/xml; charset=utf-8")
    return JSONResponse(value, status_code)


def error_response(request: Request, code: int, description: str) -> Response:
    fmt = "xml" if request.url.path.endswith(".xml") else "json"
    response = respond(fmt, "errors", [{"code": code, "description": description}], code)
    if code == 429:
        response.headers["Retry-After"] = "60"
    return response


def _status(exc: DomainError) -> int:
    # GeoReport knows 400, 403, 404 (and 500); a refused rule is the client's bad request.
    status = status_for(exc)
    return status if status in (403, 404, 429, 503) else 400


class Open311Route(APIRoute):
    """Every error of an Open311 route, ours or the framework's, in GeoReport's format."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except Open311Error as exc:
                return error_response(request, exc.code, exc.description)
            except RateLimited as exc:
                return error_response(request, 429, exc.message)
            except DomainError as exc:
                return error_response(request, _status(exc), exc.message)
            except RequestValidationError as exc:
                fields = ", ".join(".".join(map(str, e["loc"][1:])) for e in exc.errors())
                return error_response(request, 400, f"invalid parameter(s): {fields}")
            except MultiPartException:
                return error_response(request, 400, "send the request form-encoded, without files")
            except HTTPException as exc:
                return error_response(request, exc.status_code, str(exc.detail))

        return route
