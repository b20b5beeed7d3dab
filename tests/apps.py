"""Running a rendered project as its users do: `fastapi run` on a free port,
its CLI, and a real HTTP client."""

import base64
import contextlib
import json
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import check, project_env
from servers import free_port

# Meets the password rules: long enough, not common, not containing "alice".
PASSWORD = "wonderland tea party"


def request(
    url: str,
    data: dict | None = None,
    token: str | None = None,
    *,
    json_body: dict | None = None,
    headers: dict[str, str] | None = None,
) -> tuple[int, Any]:
    """A real HTTP request; returns the status and the JSON body."""
    headers = dict(headers or {})
    body = None
    if data is not None:
        body = urllib.parse.urlencode(data).encode()
    if json_body is not None:
        body = json.dumps(json_body).encode()
        headers["Content-Type"] = "application/json"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    req = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=30) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, {"non_json_body": raw.decode(errors="replace")}


@contextlib.contextmanager
def serving(
    project: Path, *args: str, **env: str
) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`fastapi run [args]` in the project on a free port; yields its base URL
    and the process (`uv run`, whose child is the server)."""
    port = free_port()
    server = subprocess.Popen(
        ["uv", "run", "--no-sync", "fastapi", "run", "--port", str(port), *args],
        cwd=project,
        env=project_env(**env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                request(f"{base}/health")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or server.poll() is not None:
                    server.kill()
                    pytest.fail(f"server did not start:\n{server.communicate()[0]}")
                time.sleep(0.2)
        yield base, server
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()


@contextlib.contextmanager
def running_app(project: Path, *args: str, **env: str) -> Iterator[str]:
    """`fastapi run [args]` in the project on a free port; yields its base URL."""
    with serving(project, *args, **env) as (base, _):
        yield base


def create_user(project: Path, username: str, password: str, **env: str) -> None:
    created = subprocess.run(
        [
            "uv",
            "run",
            "--no-sync",
            "my-api",
            "create-user",
            username,
            "--admin",
            "--password-stdin",
        ],
        cwd=project,
        env=project_env(**env),
        input=f"{password}\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert created.returncode == 0, created.stderr


def session_login(base: str) -> dict[str, str]:
    """`POST /auth/login` as JSON; returns the cookie and CSRF headers."""
    req = urllib.request.Request(
        f"{base}/auth/login",
        data=json.dumps({"username": "alice", "password": PASSWORD}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(req, timeout=30) as response:
        cookie = response.headers["Set-Cookie"].partition(";")[0]
        body = json.loads(response.read())
    return {"Cookie": cookie, "X-CSRF-Token": body["csrf_token"]}


def credentials(project: Path, base: str, auth: str) -> dict[str, str]:
    """Headers for alice, obtained as the rendered README says."""
    if auth == "session":
        return session_login(base)
    if auth == "jwt":
        status, tokens = request(
            f"{base}/auth/token", {"username": "alice", "password": PASSWORD}
        )
        assert status == 200, tokens
        return {"Authorization": f"Bearer {tokens['access_token']}"}
    if auth == "basic":
        token = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
        return {"Authorization": f"Basic {token}"}
    output = check(
        [
            "uv",
            "run",
            "--no-sync",
            "my-api",
            "create-api-key",
            "alice",
            "--name",
            "cli",
        ],
        project,
    )
    return {"X-API-Key": output.strip().splitlines()[-1]}
