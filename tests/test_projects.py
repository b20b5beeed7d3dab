"""Each variant, rendered and used as a user would: install it from its own
pyproject.toml into its own virtualenv, lint it, migrate it, run its tests."""

import json
import socket
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from conftest import Render, check, project_env, run
from variants import AVAILABLE_SCHEMES, DATABASES, variant_id

pytestmark = pytest.mark.slow

VARIANTS = [(auth, database) for auth in AVAILABLE_SCHEMES for database in DATABASES]


def lint(project: Path) -> None:
    check(["uv", "run", "--no-sync", "ruff", "check", "."], project)
    check(["uv", "run", "--no-sync", "ruff", "format", "--check", "."], project)


@pytest.mark.parametrize(
    ("auth", "database"), VARIANTS, ids=[variant_id(*v) for v in VARIANTS]
)
def test_variant(render: Render, tmp_path: Path, auth: str, database: str) -> None:
    project = render(tmp_path / "project", auth=auth, database=database)
    check(["uv", "sync", "--quiet"], project)
    lint(project)
    if database == "sqlite":
        db_url = f"sqlite:///{tmp_path}/fresh.db"
        check(
            ["uv", "run", "--no-sync", "alembic", "upgrade", "head"],
            project,
            DATABASE_URL=db_url,
        )
        check(
            ["uv", "run", "--no-sync", "alembic", "check"], project, DATABASE_URL=db_url
        )
        output = check(
            ["uv", "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider"],
            project,
        )
        assert " passed" in output
        assert " failed" not in output
        assert " skipped" not in output
    else:
        # Without a server: the migration compiles to this dialect's SQL...
        url = {
            "postgresql": "postgresql://u:p@127.0.0.1/db",
            "mysql": "mysql://u:p@127.0.0.1/db",
        }[database]
        sql = check(
            ["uv", "run", "--no-sync", "alembic", "upgrade", "head", "--sql"],
            project,
            DATABASE_URL=url,
        )
        assert "CREATE TABLE users" in sql
        # ...and the tests refuse to run, saying how to get a server.
        result = run(
            ["uv", "run", "--no-sync", "pytest", "-q", "-p", "no:cacheprovider"],
            project,
        )
        assert result.returncode == 4, result.stdout + result.stderr
        assert "TEST_DATABASE_URL=" in result.stdout + result.stderr
        assert "docker compose up -d db" in result.stdout + result.stderr


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def request(
    url: str, data: dict | None = None, token: str | None = None
) -> tuple[int, dict]:
    body = urllib.parse.urlencode(data).encode() if data is not None else None
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    req = urllib.request.Request(url, data=body, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_quickstart(render: Render, tmp_path: Path) -> None:
    """The rendered README's quickstart, with a real server and HTTP client."""
    project = render(tmp_path / "my-api")
    check(["uv", "sync", "--quiet"], project)
    check(["uv", "run", "--no-sync", "alembic", "upgrade", "head"], project)
    created = subprocess.run(
        [
            "uv",
            "run",
            "--no-sync",
            "my-api",
            "create-user",
            "alice",
            "--admin",
            "--password-stdin",
        ],
        cwd=project,
        env=project_env(),
        input="alice's password\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    port = free_port()
    server = subprocess.Popen(
        ["uv", "run", "--no-sync", "fastapi", "run", "--port", str(port)],
        cwd=project,
        env=project_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                status, _ = request(f"{base}/health")
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline or server.poll() is not None:
                    server.kill()
                    pytest.fail(f"server did not start:\n{server.stdout.read()}")
                time.sleep(0.2)
        assert status == 200
        assert request(f"{base}/health/ready")[0] == 200
        status, tokens = request(
            f"{base}/auth/token", {"username": "alice", "password": "alice's password"}
        )
        assert status == 200, tokens
        status, me = request(f"{base}/users/me", token=tokens["access_token"])
        assert status == 200
        assert me["username"] == "alice"
        assert me["is_admin"] is True
        status, error = request(f"{base}/users/me", token="forged")
        assert status == 401
        assert error == {"detail": "Invalid or expired token"}
    finally:
        server.terminate()
        server.wait(timeout=30)
