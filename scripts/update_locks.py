"""Regenerate the `uv.lock` that every rendered project ships.

Projects differ in their dependencies only by database driver and by whether
they use python-jose (JWT), Jinja (sessions) and the email client (password
sign-in), so there is one lock per such set, stored as
`includes/locks/<set>.lock` and included by `template/uv.lock.jinja`. The project's own name is the only per-project
line of a lock; it is stored as `{{ project_slug }}`.

    uv run python scripts/update_locks.py              # after editing dependencies
    uv run python scripts/update_locks.py --upgrade    # move every pin to the newest

Without `--upgrade`, versions already pinned stay where they are (uv keeps
what still satisfies `pyproject.toml`). The template tests check every lock
with `uv lock --check` and install every variant with `uv sync --locked`.
"""

import argparse
import itertools
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import copier

ROOT = Path(__file__).resolve().parent.parent
LOCKS = ROOT / "includes" / "locks"
# Rendered under this slug; the lock keeps it as a Jinja expression.
PLACEHOLDER = "lockfile-placeholder"
DATABASES = ("sqlite", "postgresql", "mysql")


def lock_sets() -> dict[str, dict[str, object]]:
    """Every dependency set, as the name of its lock and answers that render it.

    The name is computed the same way as `lock_set` in copier.yml: the
    database, `jwt` and `session` when chosen, and `accounts` (the email
    client) for Basic without either of them."""
    sets = {}
    for database, jwt, session in itertools.product(
        DATABASES, (False, True), (False, True)
    ):
        schemes = ["jwt"] * jwt + ["session"] * session
        answers: dict[str, object] = {"database": database}
        if len(schemes) == 2:
            answers |= {"auth": "combined", "combined_schemes": schemes}
        else:
            answers["auth"] = schemes[0] if schemes else "api_key"
        name = "-".join([database, *schemes])
        sets[name] = answers
        if not schemes:
            sets[f"{database}-accounts"] = {"database": database, "auth": "basic"}
    return sets


def template_copy(dest: Path) -> Path:
    """The working tree's tracked and untracked files, as copier would see a
    clean checkout of them."""
    files = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.split(b"\0")
    for name in filter(None, files):
        source = ROOT / name.decode()
        if source.is_file():
            target = dest / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def lock(name: str, answers: dict[str, object], template: Path, upgrade: bool) -> None:
    # A new set renders with an empty lock, which uv then writes from scratch.
    placeholder = template / "includes" / "locks" / f"{name}.lock"
    placeholder.parent.mkdir(parents=True, exist_ok=True)
    placeholder.touch()
    with tempfile.TemporaryDirectory() as tmp:
        project = Path(tmp) / "project"
        copier.run_copy(
            str(template),
            project,
            data={"project_name": PLACEHOLDER, **answers},
            defaults=True,
            quiet=True,
            settings=copier.Settings(),
        )
        stored = LOCKS / f"{name}.lock"
        lockfile = project / "uv.lock"
        if stored.exists():
            text = stored.read_text().replace("{{ project_slug }}", PLACEHOLDER)
            lockfile.write_text(text)
        else:
            lockfile.unlink(missing_ok=True)
        command = ["uv", "lock", "--quiet", *(["--upgrade"] if upgrade else [])]
        subprocess.run(command, cwd=project, check=True)
        text = lockfile.read_text()
    if any(mark in text for mark in ("{{", "{%", "{#")):
        sys.exit(f"{name}: the lock holds Jinja delimiters; it cannot be included")
    stored.write_text(text.replace(f'"{PLACEHOLDER}"', '"{{ project_slug }}"'))
    print(f"{stored.relative_to(ROOT)}: {text.count('[[package]]')} packages")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--upgrade", action="store_true", help="newest versions")
    parser.add_argument("sets", nargs="*", help="only these sets (default: all)")
    args = parser.parse_args()
    sets = lock_sets()
    LOCKS.mkdir(parents=True, exist_ok=True)
    for stale in {p.stem for p in LOCKS.glob("*.lock")} - set(sets):
        (LOCKS / f"{stale}.lock").unlink()
    with tempfile.TemporaryDirectory() as tmp:
        template = template_copy(Path(tmp) / "template")
        for name in args.sets or sets:
            lock(name, sets[name], template, args.upgrade)


if __name__ == "__main__":
    main()
