from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..db import database_is_ready

router = APIRouter(prefix="/health", tags=["health"])


@router.get("")
async def health() -> dict[str, str]:
    """Liveness: the process is up and serving requests."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "The database does not answer"}})
async def ready() -> JSONResponse:
    """Readiness: the database answers."""
    if await database_is_ready():
        return JSONResponse({"status": "ok", "database": "ok"})
    return JSONResponse(
        {"status": "unavailable", "database": "unavailable"}, status_code=503
    )
