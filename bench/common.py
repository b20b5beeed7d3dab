"""What the benchmarks share: rendering a variant as `copier copy` does,
installing it with `uv sync`, a database for it (PostgreSQL and MariaDB
started as the template's tests start them), and running it with
`fastapi run` in production mode."""

import base64
import contextlib
import json
import os
import platform
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import copier

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from servers import Server, start_local_server  # noqa: E402

PASSWORD = "a long benchmark passphrase"
PACKAGE = "my_api"
# The last commit before the read path (issue 18): "before" in every table.
BEFORE = "a8ddd4a"
ALL_FOUR = ["api_key", "basic", "jwt", "session"]
SCHEMES = [*ALL_FOUR, "combined"]
SECRET_KEY = secrets.token_urlsafe(48)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def machine() -> str:
    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.partition(":")[2].strip()
                break
    memory = ""
    with contextlib.suppress(OSError, IndexError, ValueError):
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB"
    return f"{os.cpu_count()} cores ({cpu}){memory}, Python {platform.python_version()}"


def sh(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, stdin: str = ""
) -> str:
    result = subprocess.run(
        args,
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        sys.exit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def base_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    return env | {
        "ENVIRONMENT": "production",
        "SECRET_KEY": SECRET_KEY,
        # Never used: no benchmark asks for an email.
        "SMTP_HOST": "127.0.0.1",
        # uvicorn's access log is an INFO record per request; see
        # docs/performance.md for what it costs.
        "LOG_LEVEL": "WARNING",
        "ACCESS_TOKEN_EXPIRE_MINUTES": "120",
    }


def render(destination: Path, scheme: str, database: str, ref: str = "HEAD") -> Path:
    """`copier copy` of the template at `ref` (a commit) into `destination`,
    installed with `uv sync`."""
    data: dict[str, Any] = {"project_name": "My API", "auth": scheme}
    if scheme == "combined":
        data["combined_schemes"] = ALL_FOUR
    data["database"] = database
    copier.run_copy(
        str(ROOT),
        destination,
        data=data,
        defaults=True,
        unsafe=True,
        quiet=True,
        vcs_ref=ref,
        settings=copier.Settings(),
    )
    sh(["uv", "sync", "--quiet", "--no-dev"], destination)
    return destination


@dataclass
class Databases:
    """One server per kind, started on demand; SQLite is a file."""

    servers: dict[str, Server] = field(default_factory=dict)

    def url(self, kind: str, label: str, project: Path) -> str:
        if kind == "sqlite":
            return f"sqlite:///{project / 'bench.db'}"
        if kind not in self.servers:
            self.servers[kind] = start_local_server(kind)
        return self.servers[kind].create_database(label)

    def close(self) -> None:
        for server in self.servers.values():
            server.close()


def prepare(project: Path, url: str, *, users: int = 1) -> None:
    """Migrate, and create alice (user 1) and `users - 1` more."""
    env = base_env() | {"DATABASE_URL": url}
    sh(["uv", "run", "--no-sync", "alembic", "upgrade", "head"], project, env)
    for i in range(users):
        name = "alice" if i == 0 else f"user{i}"
        sh(
            [
                "uv",
                "run",
                "--no-sync",
                "my-api",
                "create-user",
                name,
                "--password-stdin",
            ],
            project,
            env,
            stdin=PASSWORD + "\n",
        )


def api_key(project: Path, url: str, username: str = "alice") -> str:
    env = base_env() | {"DATABASE_URL": url}
    out = sh(
        ["uv", "run", "--no-sync", "my-api", "create-api-key", username], project, env
    )
    return out.strip().splitlines()[-1]


@dataclass
class App:
    process: subprocess.Popen[bytes]
    base: str

    def cpu_seconds(self) -> float:
        """User and system CPU of the server process (one worker)."""
        fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1]
        utime, stime = fields.split()[11:13]
        return (int(utime) + int(stime)) / os.sysconf("SC_CLK_TCK")


@contextlib.contextmanager
def serving(
    project: Path,
    url: str,
    *,
    entry: str | None = None,
    workers: int = 1,
    env: dict[str, str] | None = None,
    log: Path | None = None,
) -> Iterator[App]:
    """`fastapi run` in production mode on a free port."""
    port = free_port()
    args = [str(project / ".venv/bin/fastapi"), "run"]
    if entry:
        args.append(entry)
    args += ["--port", str(port), "--workers", str(workers)]
    output = log.open("ab") if log else subprocess.DEVNULL
    process = subprocess.Popen(
        args,
        cwd=project,
        env=base_env() | {"DATABASE_URL": url, "BENCH_RAW_URL": url} | (env or {}),
        stdout=subprocess.DEVNULL,
        stderr=output,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                urllib.request.urlopen(f"{base}/health", timeout=1).close()
                break
            except OSError:
                if process.poll() is not None:
                    sys.exit(f"the app in {project} exited at start")
                time.sleep(0.1)
        else:
            sys.exit(f"the app in {project} did not start")
        yield App(process, base)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
        if log:
            output.close()  # type: ignore[union-attr]


def post(url: str, *, form: dict[str, str] | None = None, body: Any = None) -> Any:
    if form is not None:
        data = urllib.parse.urlencode(form).encode()
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
    else:
        data = json.dumps(body).encode()
        headers = {"Content-Type": "application/json"}
    request = urllib.request.Request(url, data=data, headers=headers)
    return urllib.request.urlopen(request, timeout=60)


def credentials(scheme: str, app: App, key: str | None = None) -> dict[str, str]:
    """Headers that authenticate alice with `scheme` (combined: the session
    cookie, the last scheme the app tries)."""
    if scheme == "api_key":
        assert key
        return {"X-API-Key": key}
    if scheme == "basic":
        token = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
        headers = {"Authorization": f"Basic {token}"}
        # One verification first, so that the cache remembers the password
        # before the clock starts (16 requests at once would verify it once
        # too, and wait for that argon2 inside the first round).
        request = urllib.request.Request(f"{app.base}/users/me", headers=headers)
        urllib.request.urlopen(request, timeout=60).close()
        return headers
    if scheme == "jwt":
        with post(
            f"{app.base}/auth/token", form={"username": "alice", "password": PASSWORD}
        ) as response:
            token = json.loads(response.read())["access_token"]
        return {"Authorization": f"Bearer {token}"}
    with post(
        f"{app.base}/auth/login", body={"username": "alice", "password": PASSWORD}
    ) as response:
        cookie = response.headers["Set-Cookie"].partition(";")[0]
    return {"Cookie": cookie}


def wrk(
    url: str, headers: dict[str, str], seconds: int, connections: int = 16
) -> tuple[float, int]:
    """Requests/s and the number of requests, from `wrk -t1`; any non-2xx
    answer stops the benchmark."""
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    output = subprocess.run(
        [*args, url], capture_output=True, text=True, check=True
    ).stdout
    if "Non-2xx" in output or "Socket errors" in output:
        request = urllib.request.Request(url, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                sample = f"{response.status} {response.read()[:300]!r}"
        except urllib.error.HTTPError as error:
            sample = f"{error.code} {error.read()[:300]!r}"
        sys.exit(f"errors from {url}:\n{output}\none more request: {sample}")
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    count = re.search(r"(\d+) requests in", output)
    assert rate, output
    assert count, output
    return float(rate[1]), int(count[1])


def write_section(name: str, text: str) -> None:
    """Replace the part of docs/performance.md between its markers."""
    path = ROOT / "docs" / "performance.md"
    start, end = f"<!-- bench:{name}:start -->", f"<!-- bench:{name}:end -->"
    doc = path.read_text()
    if start not in doc or end not in doc:
        sys.exit(f"docs/performance.md lacks the markers {start} … {end}")
    before, _, rest = doc.partition(start)
    _, _, after = rest.partition(end)
    path.write_text(f"{before}{start}\n{text.strip()}\n{end}{after}")
