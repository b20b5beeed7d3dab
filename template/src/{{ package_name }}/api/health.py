from typing import Literal

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict

from ..state import State
from .responses import RETRY_AFTER

router = APIRouter(prefix="/health", tags=["health"])


class Liveness(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"status": "ok"}]})

    status: Literal["ok"]


class Readiness(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"status": "ok", "database": "ok"},
                {"status": "unavailable", "database": "not migrated"},
            ]
        }
    )

    status: Literal["ok", "unavailable"]
    database: Literal["ok", "unavailable", "not migrated"]


@router.get("", response_model=Liveness, summary="Liveness")
async def health() -> dict[str, str]:
    """The process is up and serving requests. Touches nothing else, so a
    database outage does not get the process restarted."""
    return {"status": "ok"}


@router.get(
    "/ready",
    response_model=Readiness,
    summary="Readiness",
    responses={
        503: {
            "model": Readiness,
            "description": "The database does not answer (`unavailable`) or "
            "lacks the latest migration (`not migrated`)",
            "headers": RETRY_AFTER,
        }
    },
)
async def ready(state: State) -> JSONResponse:
    """Readiness: the database answers and is at the latest migration."""
    database = await state.database.readiness()
    if database == "ok":
        return JSONResponse({"status": "ok", "database": database})
    return JSONResponse(
        {"status": "unavailable", "database": database},
        status_code=503,
        headers={"Retry-After": "5"},
    )
