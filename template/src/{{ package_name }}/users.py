"""Creating and finding users; shared by the API and the CLI."""

import logging
import re

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from .logs import log_event
from .models import USERNAME_MAX_LENGTH, User
from .passwords import Passwords

logger = logging.getLogger(__name__)

USERNAME_MIN_LENGTH = 3
# What sign-in forms accept before the username rules are applied; anything
# longer is refused as malformed (422).
SIGN_IN_USERNAME_MAX_LENGTH = 256
# ASCII only: one spelling per name, so one account is one throttle bucket and
# one row on every database, whatever Unicode look-alikes a client sends.
USERNAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$"
_USERNAME = re.compile(USERNAME_PATTERN)


class UsernameTakenError(Exception):
    def __init__(self, username: str) -> None:
        super().__init__(f"the username {username!r} is already taken")
        self.username = username


class WeakPasswordError(ValueError):
    """A new password breaks the password rules; `field` names the input."""

    def __init__(self, problem: str, field: str = "password") -> None:
        super().__init__(f"The password {problem}.")
        self.field = field


def canonical_username(username: str) -> str | None:
    """The stored form of `username` (trimmed, lowercased), or None when it
    breaks the username rules and so cannot name any account."""
    username = username.strip()
    if not (
        USERNAME_MIN_LENGTH <= len(username) <= USERNAME_MAX_LENGTH
        and _USERNAME.fullmatch(username)
    ):
        return None
    return username.lower()


def check_new_password(
    passwords: Passwords, password: str, *, username: str, field: str = "password"
) -> None:
    """Raise `WeakPasswordError` unless `password` may be set for `username`."""
    if (problem := passwords.problem(password, username=username)) is not None:
        raise WeakPasswordError(problem, field)


async def get_user_by_username(db: AsyncSession, username: str) -> User | None:
    name = canonical_username(username)
    if name is None:
        return None
    statement = select(User).where(User.username == name)
    return (await db.exec(statement)).one_or_none()


async def create_user(
    db: AsyncSession,
    passwords: Passwords,
    *,
    username: str,
    password: str,
    email: str | None = None,
    full_name: str | None = None,
    is_admin: bool = False,
) -> User:
    name = canonical_username(username)
    if name is None:
        raise ValueError(f"not a valid username: {username!r}")
    check_new_password(passwords, password, username=name)
    user = User(
        username=name,
        hashed_password=await passwords.hash(password),
        email=email,
        full_name=full_name,
        is_admin=is_admin,
    )
    db.add(user)
    try:
        await db.commit()
    except IntegrityError as exc:
        await db.rollback()
        raise UsernameTakenError(user.username) from exc
    await db.refresh(user)
    log_event(logger, "user.created", user_id=user.id, is_admin=user.is_admin)
    return user
