"""Requests/s of `GET /users/me` for each auth scheme, against `GET /health`
on the same server, measured side by side with wrk.

    uv run python bench/auth_throughput.py [--seconds 10] [--connections 16]

Renders each scheme (SQLite) into a temporary folder, installs it with
`uv sync`, migrates, creates a user (and an API key), starts one
`fastapi run` worker in production mode (real argon2id parameters) and runs
wrk (Debian package `wrk`) from the same machine. Not a test: numbers depend
on the machine; compare rows of one run.
"""

import argparse
import base64
import json
import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import copier

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "benchmark password"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sh(args: list[str], cwd: Path, env: dict[str, str], stdin: str = "") -> str:
    result = subprocess.run(
        args, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def wrk(url: str, headers: dict[str, str], seconds: int, connections: int) -> float:
    args = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*args, url], capture_output=True, text=True, check=True
    ).stdout
    if "Non-2xx" in output:
        sys.exit(f"non-2xx answers from {url}:\n{output}")
    match = re.search(r"Requests/sec:\s+([\d.]+)", output)
    assert match, output
    return float(match[1])


def prepare(scheme: str, workdir: Path, env: dict[str, str]) -> Path:
    project = workdir / scheme
    # "combined" is all four schemes, measured with the session cookie: the
    # last credential the app tries, so the slowest path.
    data: dict[str, object] = {"auth": scheme}
    if scheme == "combined":
        data["combined_schemes"] = ["api_key", "basic", "jwt", "session"]
    copier.run_copy(
        str(ROOT),
        project,
        data=data,
        defaults=True,
        unsafe=True,
        quiet=True,
        vcs_ref="HEAD",
        settings=copier.Settings(),
    )
    sh(["uv", "sync", "--quiet", "--no-dev"], project, env)
    sh(["uv", "run", "--no-sync", "alembic", "upgrade", "head"], project, env)
    sh(
        [
            "uv",
            "run",
            "--no-sync",
            "my-api",
            "create-user",
            "bench",
            "--password-stdin",
        ],
        project,
        env,
        stdin=PASSWORD + "\n",
    )
    return project


def headers_for(scheme: str, project: Path, base: str, env: dict[str, str]) -> dict:
    if scheme == "api_key":
        out = sh(
            ["uv", "run", "--no-sync", "my-api", "create-api-key", "bench"],
            project,
            env,
        )
        return {"X-API-Key": out.strip().splitlines()[-1]}
    if scheme == "basic":
        token = base64.b64encode(f"bench:{PASSWORD}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    if scheme in {"session", "combined"}:
        request = urllib.request.Request(
            f"{base}/auth/login",
            data=json.dumps({"username": "bench", "password": PASSWORD}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request) as response:
            cookie = response.headers["Set-Cookie"].partition(";")[0]
        return {"Cookie": cookie}
    body = f"username=bench&password={PASSWORD.replace(' ', '+')}".encode()
    with urllib.request.urlopen(f"{base}/auth/token", data=body) as response:
        token = json.loads(response.read())["access_token"]
    return {"Authorization": f"Bearer {token}"}


def serve(project: Path, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    server = subprocess.Popen(
        ["uv", "run", "--no-sync", "fastapi", "run", "--port", str(port)],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    for _ in range(300):
        try:
            urllib.request.urlopen(f"{base}/health", timeout=1).close()
            return server, base
        except OSError:
            time.sleep(0.1)
    server.kill()
    sys.exit("server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--schemes",
        nargs="*",
        default=["api_key", "basic", "jwt", "session", "combined"],
    )
    args = parser.parse_args()
    if not shutil.which("wrk"):
        sys.exit("wrk is needed: apt-get install wrk")

    env = {k: v for k, v in os.environ.items() if k not in {"VIRTUAL_ENV"}}
    env |= {"ENVIRONMENT": "production", "SECRET_KEY": secrets.token_urlsafe(48)}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for scheme in args.schemes:
            project = prepare(scheme, Path(tmp), env)
            variants = [("", {})]
            if scheme == "basic":
                variants = [
                    (" (cache on)", {}),
                    (" (cache off)", {"BASIC_AUTH_CACHE_SECONDS": "0"}),
                ]
            for label, extra in variants:
                server, base = serve(project, env | extra)
                try:
                    headers = headers_for(scheme, project, base, env)
                    health = wrk(f"{base}/health", {}, args.seconds, args.connections)
                    me = wrk(
                        f"{base}/users/me", headers, args.seconds, args.connections
                    )
                finally:
                    server.terminate()
                    server.wait()
                rows.append((scheme + label, health, me))

    print(f"\n{'scheme':<20} {'GET /health':>12} {'GET /users/me':>14} {'ratio':>7}")
    for name, health, me in rows:
        print(f"{name:<20} {health:>12.0f} {me:>14.0f} {me / health:>7.2f}")


if __name__ == "__main__":
    main()
