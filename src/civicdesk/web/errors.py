"""The one table mapping domain errors to HTTP statuses, and the handlers that use it."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response

from civicdesk.errors import (
    AuthenticationRequired,
    ConfigurationError,
    Conflict,
    DomainError,
    IllegalTransition,
    InvalidInput,
    NotFound,
    PermissionDenied,
    RateLimited,
)

STATUS_BY_ERROR: dict[type[DomainError], int] = {
    AuthenticationRequired: 401,
    PermissionDenied: 403,
    NotFound: 404,
    Conflict: 409,
    IllegalTransition: 409,
    InvalidInput: 422,
    ConfigurationError: 503,  # the platform needs an administrator, not the user
    RateLimited: 429,
}


def status_for(error: DomainError) -> int:
    for kind in type(error).__mro__:
        if kind in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[kind]  # type: ignore[index]
    return 400


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/open311/")) or "application/json" in (
        request.headers.get("accept", "")
    )


async def domain_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, DomainError)
    status = status_for(exc)
    if _wants_json(request):
        body: dict[str, object] = {"detail": exc.message}
        if exc.field:
            body["field"] = exc.field
        if isinstance(exc, Conflict) and exc.existing_id is not None:
            body["existing_id"] = exc.existing_id
        return JSONResponse(body, status_code=status)
    if isinstance(exc, AuthenticationRequired):
        return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
    from civicdesk.web.deps import render

    # The citizen portal has its own public page frame (no staff header); /portal/inbox is staff's.
    citizen = request.url.path.startswith("/portal") and not request.url.path.startswith(
        "/portal/inbox"
    )
    template = "portal/error.html" if citizen else "error.html"
    return render(request, template, {"message": exc.message}, status_code=status)


async def validation_error_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [
        {"field": ".".join(str(p) for p in err["loc"] if p != "body"), "message": err["msg"]}
        for err in exc.errors()
    ]
    return JSONResponse({"detail": "输入有误", "errors": errors}, status_code=422)


def install(app: FastAPI) -> None:
    app.add_exception_handler(DomainError, domain_error_handler)
    app.add_exception_handler(RequestValidationError, validation_error_handler)
