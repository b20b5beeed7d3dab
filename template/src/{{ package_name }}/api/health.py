from fastapi import APIRouter
from fastapi.responses import JSONResponse

from ..state import State

router = APIRouter(prefix="/health", tags=["health"])


@router.get("")
async def health() -> dict[str, str]:
    """Liveness: the process is up and serving requests."""
    return {"status": "ok"}


@router.get(
    "/ready",
    responses={
        503: {
            "description": "The database does not answer (`unavailable`) or "
            "lacks the latest migration (`not migrated`)"
        }
    },
)
async def ready(state: State) -> JSONResponse:
    """Readiness: the database answers and is at the latest migration."""
    database = await state.database.readiness()
    if database == "ok":
        return JSONResponse({"status": "ok", "database": database})
    return JSONResponse(
        {"status": "unavailable", "database": database}, status_code=503
    )
