"""Load that loses nothing: 64 clients for 60 s against `fastapi run
--workers 2`, mixing sign-ins, `GET /users/me`, `POST /items` and
`GET /items`; then the same while the database restarts in the middle.

    uv run python bench/bench.py load [--databases postgresql mysql]
        [--seconds 60] [--clients 64] [--outage 5] [--write]

Renders the jwt variant, migrates, creates 8 users, and starts the app with
two workers on its own database server (started as the tests start them).
Each client signs in, then loops: 2 % sign-ins, 48 % `GET /users/me`, 25 %
`POST /items` (a title of its own each time), 25 % `GET /items`. Afterwards
the items table is compared with the 201 answers: every title answered 201
must be there once, and nothing else. In the restart run the server is
stopped a third of the way in and started `--outage` seconds later: during
the outage only 503s with `Retry-After` are allowed.
"""

import argparse
import asyncio
import collections
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pg8000.native
import pymysql
from common import PASSWORD, prepare, render, serving
from servers import Server, start_local_server

USERS = 8
DATABASE_NAMES = {"postgresql": "PostgreSQL", "mysql": "MariaDB"}


@dataclass
class Tally:
    statuses: collections.Counter[tuple[str, int]] = field(
        default_factory=collections.Counter
    )
    errors: collections.Counter[str] = field(default_factory=collections.Counter)
    created: list[str] = field(default_factory=list)
    refused_writes: list[str] = field(default_factory=list)
    unavailable_without_retry_after: int = 0
    first_503: float | None = None
    last_503: float | None = None
    first_ok_after_start: float | None = None
    requests: int = 0


async def client_loop(
    number: int, base: str, deadline: float, tally: Tally, started: list[float]
) -> None:
    rng = random.Random(number)  # noqa: S311 (a load mix, not a secret)
    username = "alice" if number % USERS == 0 else f"user{number % USERS}"
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        token: str | None = None
        sequence = 0
        while time.monotonic() < deadline:
            roll = rng.random()
            if token is None or roll < 0.02:
                op = "sign-in"
            elif roll < 0.50:
                op = "GET /users/me"
            elif roll < 0.75:
                op = "POST /items"
            else:
                op = "GET /items"
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            title = f"client{number}-{sequence}"
            try:
                if op == "sign-in":
                    response = await http.post(
                        "/auth/token", data={"username": username, "password": PASSWORD}
                    )
                elif op == "GET /users/me":
                    response = await http.get("/users/me", headers=headers)
                elif op == "POST /items":
                    sequence += 1
                    response = await http.post(
                        "/items", json={"title": title}, headers=headers
                    )
                else:
                    response = await http.get("/items?limit=20", headers=headers)
            except httpx.HTTPError as exc:
                tally.errors[f"{op}: {type(exc).__name__}"] += 1
                continue
            now = time.monotonic()
            tally.requests += 1
            tally.statuses[(op, response.status_code)] += 1
            if response.status_code == 503:
                if "retry-after" not in response.headers:
                    tally.unavailable_without_retry_after += 1
                tally.first_503 = tally.first_503 or now
                tally.last_503 = now
                if op == "POST /items":
                    tally.refused_writes.append(title)
                await asyncio.sleep(0.05)
                continue
            if (
                started
                and response.status_code < 400
                and tally.first_ok_after_start is None
                and now > started[0]
            ):
                tally.first_ok_after_start = now
            if op == "sign-in" and response.status_code == 200:
                token = response.json()["access_token"]
            elif op == "POST /items" and response.status_code == 201:
                tally.created.append(title)


def stored_titles(server: Server, database_name: str) -> list[str]:
    if server.kind == "postgresql":
        connection = pg8000.native.Connection(
            server.app_user,
            host=server.host,
            port=server.port,
            password=server.app_password,
            database=database_name,
        )
        try:
            return [row[0] for row in connection.run("SELECT title FROM items")]
        finally:
            connection.close()
    connection = pymysql.connect(
        host=server.host,
        port=server.port,
        user=server.app_user,
        password=server.app_password,
        database=database_name,
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT title FROM items")
            return [row[0] for row in cursor.fetchall()]
    finally:
        connection.close()


async def drive(
    base: str, clients: int, seconds: int, server: Server | None, outage: float
) -> tuple[Tally, float]:
    tally = Tally()
    started: list[float] = []
    begin = time.monotonic()
    deadline = begin + seconds

    async def restart() -> None:
        assert server is not None
        await asyncio.sleep(seconds / 3)
        await asyncio.to_thread(server.stop)
        await asyncio.sleep(outage)
        await asyncio.to_thread(server.start)
        started.append(time.monotonic())

    tasks = [
        asyncio.create_task(client_loop(i, base, deadline, tally, started))
        for i in range(clients)
    ]
    if server is not None:
        tasks.append(asyncio.create_task(restart()))
    await asyncio.gather(*tasks)
    recovery = (
        tally.first_ok_after_start - started[0]
        if started and tally.first_ok_after_start
        else float("nan")
    )
    return tally, recovery


def report(
    name: str, tally: Tally, stored: list[str], seconds: int, recovery: float
) -> str:
    statuses = collections.Counter[int]()
    for (_, status), n in tally.statuses.items():
        statuses[status] += n
    other_5xx = sum(
        n for status, n in statuses.items() if status >= 500 and status != 503
    )
    counts = collections.Counter(stored)
    created = set(tally.created)
    lost = len(created - set(counts))
    duplicated = sum(1 for n in counts.values() if n > 1)
    unanswered = len(set(counts) - created)
    back = "" if recovery != recovery else f"{recovery:.1f} s"
    return (
        f"| {name} | {tally.requests:,} ({tally.requests / seconds:,.0f}/s) "
        f"| {', '.join(f'{s}: {n:,}' for s, n in sorted(statuses.items()))} "
        f"| {other_5xx} | {statuses[503]:,} | {sum(tally.errors.values())} "
        f"| {len(tally.created):,} / {len(stored):,} "
        f"| {lost} / {duplicated} / {unanswered} | {back} |"
    )


def run_database(database: str, tmp: Path, args: argparse.Namespace) -> str:
    project = render(tmp / f"load-{database}", "jwt", database)
    server = start_local_server(database)
    rows = [
        f"### {DATABASE_NAMES[database]}",
        "",
        "| run | requests | statuses | 5xx but 503 | 503 | client errors | items: 201s / rows | lost / duplicated / unanswered |"
        " service back after restart |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|",
    ]
    notes = []
    try:
        for run, restart in (("steady", False), ("database restart", True)):
            label = f"load_{run.replace(' ', '_')}"
            url = server.create_database(label)
            name = url.rsplit("/", 1)[1]
            prepare(project, url, users=USERS)
            log = tmp / f"{label}-{database}.log"
            with serving(project, url, workers=2, log=log) as app:
                tally, recovery = asyncio.run(
                    drive(
                        app.base,
                        args.clients,
                        args.seconds,
                        server if restart else None,
                        args.outage,
                    )
                )
            stored = stored_titles(server, name)
            if args.keep_logs:
                print(f"app log: {log}\n{log.read_text()}")
            rows.append(report(run, tally, stored, args.seconds, recovery))
            if tally.errors:
                notes.append(f"{run}: client errors {dict(tally.errors)}")
            if tally.unavailable_without_retry_after:
                notes.append(
                    f"{run}: {tally.unavailable_without_retry_after} 503s without Retry-After"
                )
            if restart and tally.first_503 and tally.last_503:
                notes.append(
                    f"{run}: 503s for {tally.last_503 - tally.first_503:.1f} s around a "
                    f"{args.outage:.0f} s outage; writes refused with 503: "
                    f"{len(tally.refused_writes)}, of which stored: "
                    f"{len(set(tally.refused_writes) & set(stored))}"
                )
    finally:
        server.close()
    return "\n".join(rows + [""] + [f"- {note}" for note in notes])


def main(args: argparse.Namespace) -> str:
    sections = []
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        for database in args.databases:
            section = run_database(database, Path(tmp), args)
            print(section, "\n", flush=True)
            sections.append(section)
    return (
        f"{args.clients} clients, {args.seconds} s, `fastapi run --workers 2`, "
        f"outage {args.outage:.0f} s.\n\n" + "\n\n".join(sections)
    )
