"""The migrations build exactly the schema the models describe."""

from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def alembic_config() -> Config:
    config = Config(PROJECT_ROOT / "alembic.ini")
    config.attributes["configure_logger"] = False
    return config


def test_models_and_migrations_agree() -> None:
    # Raises if autogenerate would emit any operation (`alembic check`).
    command.check(alembic_config())


def test_downgrade_and_upgrade_again() -> None:
    config = alembic_config()
    command.downgrade(config, "base")
    with pytest.raises(CommandError):
        command.check(config)
    command.upgrade(config, "head")
    command.check(config)
