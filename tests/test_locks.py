"""Every rendered project ships a uv.lock that matches its pyproject.toml.

`scripts/update_locks.py` writes one lock per dependency set; these tests
fail when a dependency changed without the locks being regenerated, and
`test_projects.py` installs every variant with `uv sync --locked`."""

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from conftest import ROOT, Render, check


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "update_locks", ROOT / "scripts" / "update_locks.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


LOCK_SETS: dict[str, dict[str, object]] = load_script().lock_sets()


def test_there_is_one_lock_per_dependency_set() -> None:
    stored = {path.stem for path in (ROOT / "includes" / "locks").glob("*.lock")}
    assert stored == set(LOCK_SETS)


@pytest.mark.parametrize("name", sorted(LOCK_SETS))
def test_the_lock_is_current(render: Render, tmp_path: Path, name: str) -> None:
    project = render(tmp_path / "project", project_name="Billing", **LOCK_SETS[name])
    lock = (project / "uv.lock").read_text()
    assert '\nname = "billing"\nversion = "0.1.0"\nsource = { editable = "." }' in lock
    # Resolves pyproject.toml again and compares: fails on any drift.
    check(["uv", "lock", "--check", "--quiet"], project)
