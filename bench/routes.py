"""`bench_app.py`, written into a rendered project: its app with two routes
added for the benchmarks, not part of the project itself.

- `GET /bench/read`: user 1 read through the app's normal read path and
  returned as `UserRead`. Before the read path, that is an ORM session from
  the `DbSession` dependency and `session.get(User, 1)`; with it, what the
  app's own GET routes do: `state.database.read()` and a `Query`.
- `GET /bench/raw`: the same row through a pool of the bare driver (asyncpg,
  aiomysql, aiosqlite), inside the same app: the floor of the stack.
"""

HEADER = '''"""Benchmark routes (written by bench/, not part of the project)."""

import asyncio
import json
import os
import urllib.parse
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from my_api.main import app
from my_api.models import User
from my_api.schemas import UserRead

router = APIRouter(prefix="/bench")
COLUMNS = "id, username, email, full_name, is_active, is_admin, email_verified"
_raw: Any = None
_lock = asyncio.Lock()
'''

READ_BEFORE = """
from my_api.state import DbSession


@router.get("/read", response_model=UserRead)
async def read(db: DbSession) -> User | None:
    return await db.get(User, 1)
"""

READ_NOW = """
from my_api.state import State
from my_api.users import USER_BY_ID


@router.get("/read", response_model=UserRead)
async def read(state: State) -> dict[str, Any] | None:
    async with state.database.read() as db:
        return await db.one(USER_BY_ID, user_id=1)
"""

RAW = {
    "postgresql": """
import asyncpg


async def _fetch() -> dict[str, Any]:
    global _raw
    async with _lock:
        if _raw is None:
            _raw = await asyncpg.create_pool(
                os.environ["BENCH_RAW_URL"], min_size=1, max_size=20
            )
    row = await _raw.fetchrow(f"SELECT {COLUMNS} FROM users WHERE id = $1", 1)
    return dict(row)
""",
    "mysql": """
import aiomysql


async def _fetch() -> dict[str, Any]:
    global _raw
    async with _lock:
        if _raw is None:
            url = urllib.parse.urlsplit(os.environ["BENCH_RAW_URL"])
            _raw = await aiomysql.create_pool(
                host=url.hostname,
                port=url.port or 3306,
                user=urllib.parse.unquote(url.username or ""),
                password=urllib.parse.unquote(url.password or ""),
                db=url.path.lstrip("/"),
                autocommit=True,
                minsize=1,
                maxsize=20,
            )
    async with _raw.acquire() as connection:
        async with connection.cursor(aiomysql.DictCursor) as cursor:
            await cursor.execute(f"SELECT {COLUMNS} FROM users WHERE id = %s", (1,))
            return await cursor.fetchone()
""",
    "sqlite": """
import sqlite3

import aiosqlite


async def _fetch() -> dict[str, Any]:
    global _raw
    async with _lock:
        if _raw is None:
            path = os.environ["BENCH_RAW_URL"].removeprefix("sqlite:///")
            _raw = await aiosqlite.connect(path)
            _raw.row_factory = sqlite3.Row
    async with _raw.execute(f"SELECT {COLUMNS} FROM users WHERE id = ?", (1,)) as cursor:
        return dict(await cursor.fetchone())
""",
}

FOOTER = """

@router.get("/raw")
async def raw() -> Response:
    return Response(json.dumps(await _fetch()), media_type="application/json")


app.include_router(router)
"""


def bench_app(database: str, *, before: bool) -> str:
    return HEADER + (READ_BEFORE if before else READ_NOW) + RAW[database] + FOOTER
