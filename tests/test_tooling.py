"""The tooling a team expects around the code: pinned installs and actions,
one Python version everywhere, Dependabot, pre-commit hooks that pass."""

import re
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, Render, check, uv_sync

PINNED = re.compile(r"^[\w.-]+/[\w.-]+@[0-9a-f]{40}  # v\d+(\.\d+)*$")


@pytest.fixture(scope="module")
def project(render: Render, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return render(tmp_path_factory.mktemp("tooling") / "project", database="postgresql")


def workflow_actions(path: Path) -> list[str]:
    lines = path.read_text().splitlines()
    return [line.split("uses:", 1)[1].strip() for line in lines if "uses:" in line]


@pytest.mark.parametrize(
    ("where", "name"),
    [
        ("project", ".github/workflows/ci.yml"),
        ("template", ".github/workflows/ci.yml"),
        ("template", "docs/updating.md"),
    ],
)
def test_actions_are_pinned_by_commit(project: Path, where: str, name: str) -> None:
    actions = workflow_actions((project if where == "project" else ROOT) / name)
    assert actions
    assert [action for action in actions if not PINNED.match(action)] == []


def test_one_python_version_everywhere(project: Path) -> None:
    version = (project / ".python-version").read_text().strip()
    assert re.fullmatch(r"3\.\d+", version)
    dockerfile = (project / "Dockerfile").read_text()
    assert re.findall(r"^FROM python:(\S+)-slim", dockerfile, re.M) == [version] * 2
    ci = (project / ".github" / "workflows" / "ci.yml").read_text()
    # setup-uv and uv read .python-version when nothing overrides it.
    assert "python-version:" not in ci
    pyproject = (project / "pyproject.toml").read_text()
    assert f'requires-python = ">={version}"' in pyproject


def test_installs_follow_the_lock(project: Path) -> None:
    dockerfile = (project / "Dockerfile").read_text()
    syncs = re.findall(r"uv sync[^\n]*", dockerfile)
    assert syncs
    assert all("--locked" in line for line in syncs)
    ci = (project / ".github" / "workflows" / "ci.yml").read_text()
    assert "uv sync --locked" in ci


def test_dependabot_watches_every_pin(project: Path) -> None:
    config = yaml.safe_load((project / ".github" / "dependabot.yml").read_text())
    ecosystems = {update["package-ecosystem"] for update in config["updates"]}
    assert ecosystems == {"uv", "github-actions", "docker", "docker-compose"}


def test_pre_commit_passes_on_a_fresh_project(render: Render, tmp_path: Path) -> None:
    project = render(tmp_path / "project")
    uv_sync(project)
    check(["git", "init", "-q"], project)
    check(["git", "add", "-A"], project)
    output = check(
        ["uvx", "pre-commit", "run", "--all-files", "--show-diff-on-failure"],
        project,
        PRE_COMMIT_HOME=str(tmp_path / "pre-commit"),
    )
    for hook in ("ruff check", "ruff format", "mypy --strict", "YAML syntax"):
        assert re.search(rf"^{re.escape(hook)}\.+Passed$", output, re.M), output
