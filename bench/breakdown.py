"""Where one request's time goes: `GET /users/me` per scheme and the
same-row read, before and after the read path, profiled in the app's own
process with pyinstrument, and the statements each request sends.

    uv run python bench/bench.py profile [--database postgresql] [--requests 2000] [--write]

Each request goes straight to the ASGI app (no HTTP server, no client),
one after another, so the wall time of a request splits into the code that
runs and the waits on the database. Every sampled frame's own time is put
in a category by the file it runs in (see CATEGORIES); statements are
counted on the wire: asyncpg's query logger on PostgreSQL, the server's
`Questions` and `Com_admin_commands` (pings) counters on MariaDB.
"""

import argparse
import json
import tempfile
from pathlib import Path

from common import (
    SCHEMES,
    Databases,
    api_key,
    base_env,
    credentials,
    prepare,
    render,
    serving,
    sh,
)
from routes import bench_app

PROFILER = r'''
"""Profile one route of bench_app (written by bench/profile.py)."""

import asyncio
import json
import os
import sys
import time

from pyinstrument import Profiler

from bench_app import app
from my_api.state import state_of

CATEGORIES = [
    # (category, substrings of the file path), first match wins.
    ("waiting on the database", ("selectors.py",)),
    ("scheme's own work (token, hash, HMAC)", ("/my_api/auth/", "/jose/", "/cryptography/", "/ecdsa/")),
    ("driver (asyncpg, aiomysql, aiosqlite)", ("/asyncpg/", "/aiomysql/", "/pymysql/", "/aiosqlite/")),
    ("pool checkout and return", ("/sqlalchemy/pool/",)),
    ("SQLAlchemy async bridge (greenlet)", ("/sqlalchemy/util/concurrency", "/sqlalchemy/util/_concurrency", "/sqlalchemy/ext/asyncio/")),
    ("ORM (session, identity map, loading)", ("/sqlalchemy/orm/", "/sqlmodel/")),
    ("SQLAlchemy Core (execute, results)", ("/sqlalchemy/",)),
    ("dependency resolution", ("/fastapi/dependencies/",)),
    ("validation and serialization", ("/pydantic/", "/pydantic_core/", "/fastapi/_compat", "/fastapi/encoders", "json/")),
    ("framework and middleware", ("/fastapi/", "/starlette/", "/asgi_correlation_id/", "/my_api/middleware", "/anyio/")),
    ("the app's read path and routes", ("/my_api/", "bench_app.py")),
]


def category(path: str) -> str:
    for name, parts in CATEGORIES:
        if any(part in path for part in parts):
            return name
    return "event loop and the rest"


def walk(frame, totals):
    # A frame's own time (its synthetic "[self]" children included) goes to
    # the category of its file: C calls count for the Python that made them.
    name = category(frame.file_path or "")
    totals[name] = totals.get(name, 0.0) + frame.total_self_time
    for child in frame.children:
        if not child.is_synthetic:
            walk(child, totals)


async def main() -> None:
    path, headers, count = sys.argv[1], json.loads(sys.argv[2]), int(sys.argv[3])
    raw_headers = [(b"host", b"127.0.0.1")] + [
        (k.lower().encode(), v.encode()) for k, v in headers.items()
    ]

    async def one(state) -> int:
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": "GET", "scheme": "http", "path": path, "raw_path": path.encode(),
            "query_string": b"", "root_path": "", "headers": raw_headers,
            "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 80),
            "state": dict(state),
        }
        sent = []

        async def receive():
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message):
            sent.append(message)

        await app(scope, receive, send)
        return sent[0]["status"]

    async with app.router.lifespan_context(app) as lifespan_state:
        state = lifespan_state or {}
        for _ in range(200):
            status = await one(state)
        assert status == 200, status
        statements = []
        engine = state_of(app).database.engine.sync_engine
        kind = engine.dialect.name
        if kind == "postgresql":
            from sqlalchemy import event

            watched = []

            def log(record):
                statements.append(record.query)

            def prepared(conn, cursor, statement, *_):
                # SQLAlchemy's asyncpg dialect runs its statements as
                # prepared statements, which asyncpg's query logger does
                # not see; BEGIN, ROLLBACK and the ping it does see.
                statements.append(statement)

            def watch(dbapi_connection, *_):
                driver = dbapi_connection.driver_connection
                if driver not in watched:
                    watched.append(driver)
                    driver.add_query_logger(log)

            event.listen(engine, "checkout", watch)
            event.listen(engine, "before_cursor_execute", prepared)
            for _ in range(50):
                await one(state)
            await asyncio.sleep(0.1)
            statements_per_request = len(statements) / 50
            counted = {}
            for statement in statements:
                word = statement.split()[0].rstrip(";").upper() if statement.strip(" ;") else "ping"
                counted[word] = counted.get(word, 0) + 1
            kinds = [f"{word} {n / 50:g}" for word, n in counted.items()]
            event.remove(engine, "before_cursor_execute", prepared)
            event.remove(engine, "checkout", watch)
            for driver in watched:
                driver.remove_query_logger(log)
        elif kind == "mysql":
            import pymysql

            url = engine.url

            def counters():
                connection = pymysql.connect(
                    host=url.host, port=url.port or 3306, user=url.username,
                    password=url.password, database=url.database,
                )
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SHOW GLOBAL STATUS WHERE Variable_name IN "
                        "('Questions', 'Com_admin_commands')"
                    )
                    values = {name: int(value) for name, value in cursor.fetchall()}
                connection.close()
                return values

            first = counters()
            for _ in range(50):
                await one(state)
            last = counters()
            # The counting connection's own SHOW is one question.
            questions = last["Questions"] - first["Questions"] - 1
            pings = last["Com_admin_commands"] - first["Com_admin_commands"]
            statements_per_request = (questions + pings) / 50
            kinds = [f"{questions / 50:.0f} statements, {pings / 50:.0f} pings"]
        else:
            statements_per_request, kinds = None, ["in-process: no round trips"]

        # The time per request without the profiler, the best of five
        # batches (the machine's speed drifts), then the profiler's samples
        # to split it (sampling slows the code it samples).
        batch = max(1, count // 5)
        per_request = float("inf")
        for _ in range(5):
            start = time.perf_counter()
            for _ in range(batch):
                await one(state)
            per_request = min(per_request, (time.perf_counter() - start) / batch)
        profiler = Profiler(interval=0.0005, async_mode="disabled")
        profiler.start()
        for _ in range(count):
            await one(state)
        profiler.stop()
    totals = {}
    walk(profiler.last_session.root_frame(trim_stem=False), totals)
    sampled = sum(totals.values())
    per = {name: value / sampled * per_request * 1e6 for name, value in totals.items()}
    print(json.dumps({"total_us": per_request * 1e6, "categories": per,
                      "statements": statements_per_request, "kinds": kinds}))


asyncio.run(main())
'''

ORDER = [
    "waiting on the database",
    "driver (asyncpg, aiomysql, aiosqlite)",
    "pool checkout and return",
    "SQLAlchemy async bridge (greenlet)",
    "SQLAlchemy Core (execute, results)",
    "ORM (session, identity map, loading)",
    "dependency resolution",
    "validation and serialization",
    "scheme's own work (token, hash, HMAC)",
    "framework and middleware",
    "the app's read path and routes",
    "event loop and the rest",
]


def profile(
    project: Path, url: str, path: str, headers: dict[str, str], count: int
) -> dict:
    env = base_env() | {"DATABASE_URL": url, "BENCH_RAW_URL": url}
    (project / "bench_profile.py").write_text(PROFILER)
    output = sh(
        [
            "uv",
            "run",
            "--no-sync",
            "--with",
            "pyinstrument",
            "python",
            "bench_profile.py",
            path,
            json.dumps(headers),
            str(count),
        ],
        project,
        env,
    )
    return json.loads(output.strip().splitlines()[-1])


def main(args: argparse.Namespace) -> str:
    database = args.database
    dbs = Databases()
    rows: list[tuple[str, dict]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-profile-") as tmp:
            for name, scheme, ref in [
                ("before", "jwt", args.before),
                *((scheme, scheme, "HEAD") for scheme in SCHEMES),
            ]:
                project = render(Path(tmp) / name, scheme, database, ref)
                (project / "bench_app.py").write_text(
                    bench_app(database, before=name == "before")
                )
                url = dbs.url(database, f"profile_{name}", project)
                prepare(project, url)
                key = (
                    api_key(project, url) if scheme in {"api_key", "combined"} else None
                )
                with serving(project, url, entry="bench_app.py") as app:
                    cred = "session" if scheme == "combined" else scheme
                    headers = credentials(cred, app, key)
                targets = [("GET /users/me " + scheme, "/users/me", headers)]
                if name == "before":
                    targets = [
                        ("read path, before", "/bench/read", {}),
                        ("GET /users/me jwt, before", "/users/me", headers),
                    ]
                elif name == "jwt":
                    targets.insert(0, ("read path, now", "/bench/read", {}))
                for label, path, hdrs in targets:
                    result = profile(project, url, path, hdrs, args.requests)
                    print(label, json.dumps(result), flush=True)
                    rows.append((label, result))
    finally:
        dbs.close()
    return table(database, rows, args.requests)


def table(database: str, rows: list[tuple[str, dict]], count: int) -> str:
    names = [label for label, _ in rows]
    lines = [
        f"{database}, {count} sequential requests each: µs per request (wall "
        "time without the profiler, the best of five batches, split in the "
        "proportions of pyinstrument's samples of another run):",
        "",
        "| | " + " | ".join(f"`{name}`" for name in names) + " |",
        "|---|" + "---:|" * len(names),
    ]
    for category in ORDER:
        values = [result["categories"].get(category, 0.0) for _, result in rows]
        if max(values) < 0.5:
            continue
        lines.append(
            f"| {category} | " + " | ".join(f"{v:,.0f}" for v in values) + " |"
        )
    lines.append(
        "| **total** | "
        + " | ".join(f"**{r['total_us']:,.0f}**" for _, r in rows)
        + " |"
    )
    statements = [
        "n/a" if r["statements"] is None else f"{r['statements']:g}" for _, r in rows
    ]
    lines.append("| statements sent per request | " + " | ".join(statements) + " |")
    lines.append(
        "| which | " + " | ".join(", ".join(r["kinds"]) for _, r in rows) + " |"
    )
    return "\n".join(lines)
