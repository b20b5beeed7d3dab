"""Fixtures for rendering the template as `copier copy` would."""

import atexit
import os
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import copier
import pytest
from servers import Server, start_server

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def template_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working tree as git sees it: tracked and untracked, minus ignored.

    Rendering from a plain copy (not the git repository) means uncommitted
    edits are tested and no tag or commit is picked instead of them.
    """
    listing = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    dest = tmp_path_factory.mktemp("template")
    for name in filter(None, listing.split("\0")):
        source = ROOT / name
        if source.is_file():  # listed but deleted in the working tree
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


Render = Callable[..., Path]
DatabaseServer = Callable[[str], Server]


@pytest.fixture(scope="session")
def database_server() -> Iterator[DatabaseServer]:
    """The PostgreSQL or MySQL server for a variant, started on first use.

    Stopped at the end of the session, whether the tests passed or not.
    """
    started: dict[str, Server] = {}

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt  # unwinds through the finalizers and atexit

    signal.signal(signal.SIGTERM, interrupt)

    def get(kind: str) -> Server:
        if kind not in started:
            started[kind] = start_server(kind)
            atexit.register(started[kind].close)
        return started[kind]

    yield get
    for server in started.values():
        server.close()


@pytest.fixture(scope="session")
def render(template_dir: Path) -> Render:
    """Render the template into `dest` with `data` answers (defaults for the rest)."""

    def _render(dest: Path, **data: Any) -> Path:
        copier.run_copy(
            str(template_dir),
            dest,
            data=data,
            defaults=True,
            unsafe=False,  # no release needs --trust (README)
            quiet=True,
            settings=copier.Settings(),
        )
        return dest

    return _render


def project_env(**extra: str) -> dict[str, str]:
    """The environment a user's shell would have in the rendered project."""
    env = {
        name: value
        for name, value in os.environ.items()
        if name not in {"VIRTUAL_ENV", "UV_PROJECT_ENVIRONMENT", "PYTHONPATH"}
        and not name.startswith(("PYTEST_", "DATABASE_URL", "SECRET_KEY"))
        and name not in {"ENVIRONMENT", "TEST_DATABASE_URL"}
    }
    env["UV_NO_PROGRESS"] = "1"
    env.update(extra)
    return env


def run(
    args: list[str], cwd: Path, *, timeout: float = 600, **env: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args,
        cwd=cwd,
        env=project_env(**env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def check(args: list[str], cwd: Path, **kwargs: Any) -> str:
    """Run a command in the rendered project; fail the test with its output."""
    result = run(args, cwd, **kwargs)
    if result.returncode != 0:
        pytest.fail(
            f"`{' '.join(args)}` exited {result.returncode} in {cwd}\n"
            f"--- stdout\n{result.stdout[-6000:]}\n--- stderr\n{result.stderr[-6000:]}"
        )
    return result.stdout


def uv_run(project: Path, *args: str, **env: str) -> str:
    """`uv run --no-sync ARGS` in the rendered project, as its user would run
    it; fails the test with the command's output."""
    return check(["uv", "run", "--no-sync", *args], project, **env)


def uv_sync(project: Path, *, locked: bool = True) -> None:
    """`uv sync --locked`, as the rendered README and CI install: exactly the
    shipped uv.lock, which must match pyproject.toml. Bytecode is compiled as a
    normal Python install would keep it (CI machines may set
    PYTHONDONTWRITEBYTECODE, which makes every run compile everything again
    and skews the suite's time)."""
    locked_flag = ["--locked"] if locked else []
    check(["uv", "sync", "--quiet", "--compile-bytecode", *locked_flag], project)
