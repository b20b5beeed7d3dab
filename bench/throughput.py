"""Requests/s of each scheme's `GET /users/me` against the same-row read of
the app's read path (the limit) and of the bare driver in the same app (the
floor), before and after the read path, side by side in one run; sign-in
latency with production argon2id; two workers.

    uv run python bench/bench.py throughput [--databases postgresql mysql sqlite]
        [--seconds 4] [--rounds 5] [--before a8ddd4a] [--write]

For each database: renders the template at `--before` (jwt) and at HEAD
(api_key, basic, jwt, session, combined with all four), installs each with
`uv sync`, migrates, creates alice (user 1), and starts every app at once
(one `fastapi run` worker each, production mode, LOG_LEVEL=WARNING). Then
wrk (`-t1 -c16`) measures every target for `--seconds`, all targets in
turn, `--rounds` times; a target's number is its best round. On a shared
machine whose speed drifts by ±15 % from one few-second window to the
next, many short rounds give every target its chance at the machine's
good moments, which two long ones do not.

Each scheme's `GET /users/me` is compared with the read path measured in
the same app (the same process), right before it in every round: two
processes of the same code differ by several per cent on this machine,
which would otherwise land on the scheme. Not a test: absolute numbers
depend on the machine, ratios of one run are the result.
"""

import argparse
import contextlib
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from common import (
    PASSWORD,
    SCHEMES,
    App,
    Databases,
    api_key,
    credentials,
    post,
    prepare,
    render,
    serving,
    wrk,
)
from routes import bench_app

DATABASE_NAMES = {"postgresql": "PostgreSQL", "mysql": "MariaDB", "sqlite": "SQLite"}


@dataclass(eq=False)
class Target:
    label: str
    app: App
    path: str
    headers: dict[str, str]
    # The read path in the same app, which `GET /users/me` is compared with.
    limit: "Target | None" = None
    best: float = 0.0
    cpu_us: float = 0.0


def measure(target: Target, seconds: int) -> None:
    cpu = target.app.cpu_seconds()
    rate, count = wrk(target.app.base + target.path, target.headers, seconds)
    used = target.app.cpu_seconds() - cpu
    if rate > target.best:
        target.best = rate
        target.cpu_us = used / count * 1e6


def sign_in_latency(app: App, path: str, samples: int) -> tuple[float, float]:
    """p50 and p99 in milliseconds of `samples` sequential sign-ins."""
    times = []
    for _ in range(samples):
        start = time.perf_counter()
        if path == "/auth/token":
            form = {"username": "alice", "password": PASSWORD}
            post(app.base + path, form=form).close()
        else:
            post(
                app.base + path, body={"username": "alice", "password": PASSWORD}
            ).close()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    p99 = times[min(len(times) - 1, round(0.99 * (len(times) - 1)))]
    return statistics.median(times), p99


def run_database(
    database: str, tmp: Path, dbs: Databases, args: argparse.Namespace
) -> str:
    seconds: int = args.seconds
    rounds: int = args.rounds
    before_ref: str = args.before
    projects: dict[str, Path] = {}
    urls: dict[str, str] = {}
    keys: dict[str, str] = {}
    for name, scheme, ref in [
        ("before", "jwt", before_ref),
        *((scheme, scheme, "HEAD") for scheme in SCHEMES),
    ]:
        project = render(tmp / f"{database}-{name}", scheme, database, ref)
        (project / "bench_app.py").write_text(
            bench_app(database, before=name == "before")
        )
        urls[name] = dbs.url(database, f"bench_{name}", project)
        prepare(project, urls[name])
        if scheme in {"api_key", "combined"}:
            keys[name] = api_key(project, urls[name])
        projects[name] = project

    with contextlib.ExitStack() as stack:
        apps = {
            name: stack.enter_context(
                serving(project, urls[name], entry="bench_app.py")
            )
            for name, project in projects.items()
        }
        headers = {
            name: credentials(
                "session"
                if name == "combined"
                else ("jwt" if name == "before" else name),
                apps[name],
                keys.get(name),
            )
            for name in apps
        }
        floor = Target(
            "bare driver in the app (the floor)", apps["jwt"], "/bench/raw", {}
        )
        limit = Target("read path, now (the limit)", apps["jwt"], "/bench/read", {})
        old_read = Target("read path, before", apps["before"], "/bench/read", {})
        old_jwt = Target(
            "`GET /users/me` jwt, before",
            apps["before"],
            "/users/me",
            headers["before"],
            old_read,
        )
        health = Target("`GET /health` (no database)", apps["jwt"], "/health", {})
        # In the order they are measured: each `GET /users/me` right after
        # the read path in its own app.
        measured = [floor, old_read, old_jwt]
        schemes = []
        for name in SCHEMES:
            same_app = limit
            if name != "jwt":
                same_app = Target(
                    f"read path in the {name} app", apps[name], "/bench/read", {}
                )
            label = f"`GET /users/me` {name}" + (
                " (cache on)"
                if name == "basic"
                else " (all four, session cookie)"
                if name == "combined"
                else ""
            )
            scheme = Target(label, apps[name], "/users/me", headers[name], same_app)
            measured += [same_app, scheme]
            schemes.append(scheme)
        measured.append(health)
        for target in measured:  # warm up: connections, caches, prepared statements
            wrk(target.app.base + target.path, target.headers, 1)
        for _ in range(rounds):
            for target in measured:
                measure(target, seconds)
        token_p50, token_p99 = sign_in_latency(apps["jwt"], "/auth/token", args.samples)
        login_p50, login_p99 = sign_in_latency(
            apps["session"], "/auth/login", args.samples
        )

    # Two workers: the read path and jwt, before and now.
    with (
        serving(projects["jwt"], urls["jwt"], entry="bench_app.py", workers=2) as now,
        serving(
            projects["before"], urls["before"], entry="bench_app.py", workers=2
        ) as old,
    ):
        two = {
            "read path, now": (now, "/bench/read", {}),
            "read path, before": (old, "/bench/read", {}),
            "`GET /users/me` jwt, now": (now, "/users/me", credentials("jwt", now)),
            "`GET /users/me` jwt, before": (old, "/users/me", credentials("jwt", old)),
        }
        best = dict.fromkeys(two, 0.0)
        for _ in range(rounds):
            for label, (app, path, hdrs) in two.items():
                best[label] = max(best[label], wrk(app.base + path, hdrs, seconds)[0])

    lines = [
        f"### {DATABASE_NAMES[database]}",
        "",
        "| target | req/s | vs. the read path now | vs. the read path before "
        "| server CPU per request |",
        "|---|---:|---:|---:|---:|",
    ]
    for target in [floor, limit, old_read, *schemes, old_jwt, health]:
        # A scheme against the read path in its own app (shown when that is
        # not the jwt app's, the limit); the rest against the limit.
        same_app = target.limit if target in schemes else None
        reference = same_app.best if same_app else limit.best
        shown = ""
        if same_app and same_app is not limit:
            shown = f" (its app: {reference:,.0f})"
        lines.append(
            f"| {target.label} | {target.best:,.0f} | {target.best / reference:.2f}{shown} "
            f"| {target.best / old_read.best:.2f} | {target.cpu_us:,.0f} µs |"
        )
    lines += [
        "",
        f"`fastapi run --workers 2`: read path {best['read path, now']:,.0f} req/s "
        f"(before: {best['read path, before']:,.0f}, "
        f"{best['read path, now'] / best['read path, before']:.2f}x); "
        f"jwt `GET /users/me` {best['`GET /users/me` jwt, now']:,.0f} req/s "
        f"(before: {best['`GET /users/me` jwt, before']:,.0f}, "
        f"{best['`GET /users/me` jwt, now'] / best['`GET /users/me` jwt, before']:.2f}x).",
        "",
        f"Sign-in with production argon2id, {args.samples} in a row "
        f"(ms, p50 / p99): `POST /auth/token` {token_p50:.0f} / {token_p99:.0f}, "
        f"`POST /auth/login` {login_p50:.0f} / {login_p99:.0f}.",
    ]
    return "\n".join(lines)


def check_wrk() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")


def main(args: argparse.Namespace) -> str:
    check_wrk()
    dbs = Databases()
    sections = []
    try:
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            for database in args.databases:
                section = run_database(database, Path(tmp), dbs, args)
                print(section, "\n", flush=True)
                sections.append(section)
    finally:
        dbs.close()
    return "\n\n".join(sections)
