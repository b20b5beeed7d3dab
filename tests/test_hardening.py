"""Defences that only a real server shows: the client address behind a
proxy, a throttle shared by several workers, the memory a flood of
sign-ins may take, and request ids in uvicorn's own access log."""

import json
import os
import re
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from email.message import Message
from pathlib import Path

import pytest
from apps import PASSWORD, create_user, request, running_app, serving
from conftest import Render, uv_run, uv_sync

pytestmark = pytest.mark.slow

ARGON2_MIB = 64  # the production memory cost of one hash


def migrated(render: Render, tmp_path: Path, **answers: str) -> Path:
    project = render(tmp_path / "my-api", **answers)
    uv_sync(project)
    uv_run(project, "alembic", "upgrade", "head")
    create_user(project, "alice", PASSWORD)
    return project


def sign_in(base: str, password: str, client: str | None = None) -> int:
    headers = {"X-Forwarded-For": client} if client else {}
    status, _ = request(
        f"{base}/auth/login",
        json_body={"username": "alice", "password": password},
        headers=headers,
    )
    return status


def test_the_client_address_comes_only_from_a_trusted_proxy(
    render: Render, tmp_path: Path
) -> None:
    """Behind a trusted proxy every client has its own throttle bucket and
    the sessions list shows the real address; a header from anyone else is
    ignored, so nobody can pick a fresh address per guess."""
    project = migrated(render, tmp_path, auth="session")
    # The tests connect from 127.0.0.1: not trusted here.
    with running_app(project, FORWARDED_ALLOW_IPS="192.0.2.1") as base:
        for number in range(5):
            assert sign_in(base, "a wrong guess", f"203.0.113.{number}") == 401
        # Every guess counted for 127.0.0.1, whatever the header claimed.
        assert sign_in(base, PASSWORD, "198.51.100.1") == 429
    uv_run(project, "python", "-c", CLEAR_THROTTLE)
    with running_app(project, FORWARDED_ALLOW_IPS="127.0.0.1") as base:
        for _ in range(5):
            assert sign_in(base, "a wrong guess", "203.0.113.7") == 401
        assert sign_in(base, PASSWORD, "203.0.113.7") == 429
        # Another client behind the same proxy is not locked out...
        status, body = request(
            f"{base}/auth/login",
            json_body={"username": "alice", "password": PASSWORD},
            headers={"X-Forwarded-For": "198.51.100.1"},
        )
        assert status == 200, body
        # ...and is recorded under its own address.
        cookie_and_token = login_headers(base, "198.51.100.1")
        status, sessions = request(f"{base}/auth/sessions", headers=cookie_and_token)
        assert status == 200
        assert {s["ip_address"] for s in sessions} == {"198.51.100.1"}


CLEAR_THROTTLE = """
import asyncio
from sqlalchemy import delete
from my_api.config import get_settings
from my_api.db import Database
from my_api.models import RateLimitHit

async def clear():
    database = Database(get_settings().database_url)
    async with database.session() as db:
        await db.exec(delete(RateLimitHit))
        await db.commit()
    await database.dispose()

asyncio.run(clear())
"""


def login_headers(base: str, client: str) -> dict[str, str]:
    import json
    import urllib.request

    req = urllib.request.Request(
        f"{base}/auth/login",
        data=json.dumps({"username": "alice", "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json", "X-Forwarded-For": client},
    )
    with urllib.request.urlopen(req, timeout=30) as response:
        cookie = response.headers["Set-Cookie"].partition(";")[0]
        body = json.loads(response.read())
    return {"Cookie": cookie, "X-CSRF-Token": body["csrf_token"]}


def test_workers_share_one_throttle(render: Render, tmp_path: Path) -> None:
    project = migrated(render, tmp_path, auth="jwt")
    with running_app(project, "--workers", "2") as base:
        statuses = [
            request(f"{base}/auth/token", {"username": "alice", "password": "a guess"})[
                0
            ]
            for _ in range(12)
        ]
    assert statuses.count(401) == 5, statuses
    assert set(statuses) == {401, 429}


def descendants(pid: int) -> list[int]:
    """Every process below `pid`, from /proc."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rpartition(")")[2].split()[1])
    found, frontier = [], [pid]
    while frontier:
        parent = frontier.pop()
        kids = [child for child, ppid in parents.items() if ppid == parent]
        found += kids
        frontier += kids
    return found


def memory_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise AssertionError(f"no {field} for {pid}")


def test_a_flood_of_sign_ins_takes_bounded_memory(
    render: Render, tmp_path: Path
) -> None:
    """Production argon2 parameters (64 MiB a hash) and 16 concurrent
    sign-ins: the server grows by about PASSWORD_HASH_CONCURRENCY (the
    CPUs) hashes, not by 16."""
    project = migrated(render, tmp_path, auth="jwt")
    cpus = len(os.sched_getaffinity(0))
    with serving(project, ENVIRONMENT="development") as (base, process):
        (server,) = [
            pid
            for pid in descendants(process.pid)
            if b"fastapi" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        idle = memory_kib(server, "VmRSS")

        def guess(number: int) -> int:
            form = {"username": f"nobody{number}", "password": "a guess"}
            return request(f"{base}/auth/token", form)[0]

        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(guess, range(16)))
        peak = memory_kib(server, "VmHWM")
    assert statuses == [401] * 16
    growth = (peak - idle) / 1024
    print(f"idle {idle / 1024:.0f} MiB, peak {peak / 1024:.0f} MiB ({cpus} CPUs)")
    assert growth < (cpus + 1) * ARGON2_MIB + 32, f"grew by {growth:.0f} MiB"


def exchange(
    url: str, headers: dict[str, str], form: dict[str, str] | None = None
) -> tuple[int, Message, dict]:
    """A real HTTP request; returns the status, the headers (any case) and
    the JSON body."""
    data = urllib.parse.urlencode(form).encode() if form is not None else None
    req = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(req, timeout=30) as response:
        return response.status, response.headers, json.loads(response.read())


def test_fastapi_run_on_a_file_keeps_the_log_settings(
    render: Render, tmp_path: Path
) -> None:
    """`fastapi run src/<package>/main.py` imports the app before uvicorn sets
    up its logging; the app still has the last word: at LOG_LEVEL=WARNING no
    access line, and in LOG_FORMAT=json only JSON lines."""
    project = migrated(render, tmp_path, auth="api_key")
    main = "src/my_api/main.py"
    with serving(project, main, LOG_LEVEL="WARNING") as (base, server):
        request(f"{base}/health")
    assert server.stdout is not None
    assert "/health" not in server.stdout.read()
    with serving(project, main, LOG_FORMAT="json") as (base, server):
        request(f"{base}/health")
    assert server.stdout is not None
    logged = [line for line in server.stdout.read().splitlines() if "/health" in line]
    assert logged
    assert all(json.loads(line)["logger"] == "uvicorn.access" for line in logged)


def test_request_ids_reach_the_access_log_and_secrets_do_not(
    render: Render, tmp_path: Path
) -> None:
    """`fastapi run` with LOG_FORMAT=json: a sane X-Request-ID is kept, a new
    one is made otherwise, and uvicorn's access line of each request carries
    its id, with no password, token or sensitive query value in the output."""
    project = migrated(render, tmp_path, auth="jwt")
    with serving(project, LOG_FORMAT="json") as (base, server):
        status, headers, tokens = exchange(
            f"{base}/auth/token",
            {"X-Request-ID": "sign-in-1"},
            {"username": "alice", "password": PASSWORD},
        )
        assert status == 200
        assert headers["X-Request-ID"] == "sign-in-1"
        # A token in the query string, as a link in an email would carry it.
        query = urllib.parse.urlencode({"token": tokens["refresh_token"]})
        status, headers, me = exchange(
            f"{base}/users/me?{query}",
            {"Authorization": f"Bearer {tokens['access_token']}"},
        )
        assert status == 200
        assert me["username"] == "alice"
        generated = headers["X-Request-ID"]
        assert re.fullmatch("[0-9a-f]{32}", generated)
        _, headers, _ = exchange(f"{base}/health", {"X-Request-ID": "bad id\t!"})
        replaced = headers["X-Request-ID"]
        assert re.fullmatch("[0-9a-f]{32}", replaced)
    assert server.stdout is not None
    output = server.stdout.read()
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    access = {
        line["request_id"]: line["message"]
        for line in lines
        if line["logger"] == "uvicorn.access"
    }
    assert '"POST /auth/token HTTP/1.1" 200' in access["sign-in-1"]
    assert '"GET /users/me?token=[REDACTED] HTTP/1.1" 200' in access[generated]
    assert '"GET /health HTTP/1.1" 200' in access[replaced]
    (signed_in,) = [line for line in lines if line.get("event") == "login.succeeded"]
    assert signed_in["request_id"] == "sign-in-1"
    assert signed_in["scheme"] == "jwt"
    for secret in (PASSWORD, tokens["access_token"], tokens["refresh_token"]):
        assert secret not in output
