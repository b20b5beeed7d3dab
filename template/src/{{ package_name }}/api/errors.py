"""Every error the layers below raise, turned into its HTTP answer here.

The auth layer and the services raise domain errors (`NotAuthenticated`,
`Forbidden`, `Throttled`, `WeakPasswordError`, `UsernameTakenError`); a lost
or unmigrated database raises the driver's errors. `install` maps each to a JSON
`{"detail": …}` response, and never echoes what the client sent.
"""

import logging

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import (
    DBAPIError,
    InterfaceError,
    OperationalError,
    ProgrammingError,
)

from ..auth.errors import Forbidden, NotAuthenticated, Throttled
from ..db import is_missing_table
from ..schemas import invalid_field
from ..users import UsernameTakenError, WeakPasswordError

logger = logging.getLogger(__name__)

# What a lost or refused database connection raises (drivers differ: asyncpg
# raises OSError on connect, the others SQLAlchemy's wrappers), and what a
# missing table raises (OperationalError or ProgrammingError, by driver).
DATABASE_ERRORS = (OSError, OperationalError, InterfaceError, ProgrammingError)


async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
    """422 without echoing the rejected values: they may be passwords or tokens."""
    errors = [
        {key: value for key, value in error.items() if key not in {"input", "url"}}
        for error in exc.errors()
    ]
    return JSONResponse({"detail": jsonable_encoder(errors)}, status_code=422)


async def weak_password(request: Request, exc: WeakPasswordError) -> JSONResponse:
    """422 in the shape of a validation error, naming the field."""
    error = invalid_field(exc.field, str(exc), "weak_password")
    return await validation_error(request, error)


async def username_taken(_: Request, exc: UsernameTakenError) -> JSONResponse:
    return JSONResponse({"detail": str(exc)}, status_code=409)


async def not_authenticated(_: Request, exc: NotAuthenticated) -> JSONResponse:
    return JSONResponse(
        {"detail": exc.detail},
        status_code=401,
        headers={"WWW-Authenticate": exc.challenge},
    )


async def forbidden(_: Request, exc: Forbidden) -> JSONResponse:
    return JSONResponse({"detail": exc.detail}, status_code=403)


async def throttled(_: Request, exc: Throttled) -> JSONResponse:
    return JSONResponse(
        {"detail": "Too many failed attempts; try again later"},
        status_code=429,
        headers={"Retry-After": str(exc.retry_after)},
    )


async def database_error(_: Request, exc: Exception) -> JSONResponse:
    """503 instead of 500 while the database is down or restarting, or lacks
    the app's tables (`alembic upgrade head` has not run)."""
    if isinstance(exc, DBAPIError) and is_missing_table(exc):
        logger.warning("database not migrated: %s", exc)
        detail = "Database not migrated"
    elif isinstance(exc, ProgrammingError):
        raise exc  # a broken query, not the database's state: a 500
    else:
        logger.warning("database unavailable: %s", exc)
        detail = "Database unavailable"
    return JSONResponse(
        {"detail": detail}, status_code=503, headers={"Retry-After": "5"}
    )


def install(app: FastAPI) -> None:
    app.exception_handler(RequestValidationError)(validation_error)
    app.exception_handler(WeakPasswordError)(weak_password)
    app.exception_handler(UsernameTakenError)(username_taken)
    app.exception_handler(NotAuthenticated)(not_authenticated)
    app.exception_handler(Forbidden)(forbidden)
    app.exception_handler(Throttled)(throttled)
    for error in DATABASE_ERRORS:
        app.exception_handler(error)(database_error)
