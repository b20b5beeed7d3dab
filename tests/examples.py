"""The rendered README's and docs' examples that talk to the API, run as a
reader would run them: against a live `fastapi run`, with curl, jq and
httpx. A changed endpoint breaks the build, not the reader."""

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from conftest import project_env

FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.MULTILINE | re.DOTALL)
SHELL = {"console", "bash", "sh", "shell"}
DOCUMENTED_BASE = "http://127.0.0.1:8000"
# The account every example signs in with.
USERNAME, PASSWORD = "alice", "your password"

# curl reads this from $CURL_HOME/.curlrc: an HTTP error status fails the
# command (and so the script) instead of printing a JSON error nobody reads.
CURLRC = "fail-with-body\nshow-error\n"
# Loaded by the examples' Python at start: the same for httpx.
SITECUSTOMIZE = """
import httpx

_init = httpx.Client.__init__


def _raise_for_status(response: httpx.Response) -> None:
    response.read()
    response.raise_for_status()


def _checked_init(self, *args, **kwargs):
    hooks = kwargs.setdefault("event_hooks", {})
    hooks.setdefault("response", []).append(_raise_for_status)
    _init(self, *args, **kwargs)


httpx.Client.__init__ = _checked_init
"""


@dataclass(frozen=True)
class Example:
    path: Path
    language: str
    code: str

    @property
    def is_shell(self) -> bool:
        return self.language in SHELL


def api_examples(project: Path) -> list[Example]:
    """Every fenced console/bash/python block of README.md and docs/ that
    calls the API (curl or httpx), in reading order."""
    pages = [project / "README.md", *sorted((project / "docs").glob("*.md"))]
    examples = []
    for page in pages:
        for language, code in FENCE.findall(page.read_text()):
            if language not in SHELL | {"python"}:
                continue
            if "curl " in code or "import httpx" in code:
                examples.append(Example(page.relative_to(project), language, code))
    return examples


def run_examples(project: Path, base: str, workdir: Path, **env: str) -> list[str]:
    """Run the examples against `base`: each page's shell blocks as one bash
    script (later blocks use what earlier ones set), then its Python blocks.
    Returns what ran, as `page:language` labels; fails on the first error."""
    workdir.mkdir(parents=True, exist_ok=True)
    (workdir / ".curlrc").write_text(CURLRC)
    (workdir / "sitecustomize.py").write_text(SITECUSTOMIZE)
    env = {**env, "CURL_HOME": str(workdir), "PYTHONPATH": str(workdir)}
    ran = []
    examples = api_examples(project)
    for page in dict.fromkeys(example.path for example in examples):
        shell = [e.code for e in examples if e.path == page and e.is_shell]
        python = [e.code for e in examples if e.path == page and not e.is_shell]
        if shell:
            script = "set -euo pipefail\n" + "\n".join(shell)
            _run(
                ["bash", "-c", script.replace(DOCUMENTED_BASE, base)],
                project,
                page,
                env,
            )
            ran.append(f"{page}:shell")
        for code in python:
            command = [
                "uv",
                "run",
                "--no-sync",
                "python",
                "-c",
                code.replace(DOCUMENTED_BASE, base),
            ]
            _run(command, project, page, env)
            ran.append(f"{page}:python")
    return ran


def _run(command: list[str], project: Path, page: Path, env: dict[str, str]) -> None:
    result = subprocess.run(
        command,
        cwd=project,
        env=project_env(**env),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, (
        f"an example of {page} failed ({result.returncode}):\n{command[-1]}\n"
        f"--- stdout\n{result.stdout[-4000:]}\n--- stderr\n{result.stderr[-4000:]}"
    )
