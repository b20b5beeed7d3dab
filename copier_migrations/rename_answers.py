"""Rename answers in a project's answers file, for `_migrations` in copier.yml.

    python rename_answers.py ANSWERS_FILE OLD=NEW [OLD=NEW ...]

Run by `copier update` before it renders the new template version (stage
"before"), so the renamed question finds its old answer. A key that is not
there, or whose new name is already answered, is left alone: running it twice
changes nothing.
"""

import sys
from pathlib import Path

import yaml  # copier depends on PyYAML, so its Python has it


def rename(answers: dict[str, object], renames: dict[str, str]) -> dict[str, object]:
    return {
        (renames[key] if key in renames and renames[key] not in answers else key): value
        for key, value in answers.items()
    }


def main(argv: list[str]) -> int:
    if len(argv) < 2 or not all("=" in pair for pair in argv[1:]):
        print(__doc__, file=sys.stderr)
        return 2
    path = Path(argv[0])
    renames = dict(pair.split("=", 1) for pair in argv[1:])
    answers = yaml.safe_load(path.read_text()) or {}
    header = "".join(
        line
        for line in path.read_text().splitlines(keepends=True)
        if line.startswith("#")
    )
    path.write_text(header + yaml.safe_dump(rename(answers, renames), sort_keys=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
