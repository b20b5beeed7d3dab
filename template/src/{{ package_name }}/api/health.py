from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..state import State

router = APIRouter(prefix="/health", tags=["health"])


@router.get("")
async def health() -> dict[str, str]:
    """Liveness: the process is up and serving requests."""
    return {"status": "ok"}


@router.get("/ready", responses={503: {"description": "The database does not answer"}})
async def ready(state: State) -> JSONResponse:
    """Readiness: the database answers."""
    if await state.database.is_ready():
        return JSONResponse({"status": "ok", "database": "ok"})
    return JSONResponse(
        {"status": "unavailable", "database": "unavailable"}, status_code=503
    )
