"""Creating and finding users; shared by the API and the CLI."""

from sqlalchemy.exc import IntegrityError
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from .models import User
from .passwords import hash_password


class UsernameTakenError(Exception):
    def __init__(self, username: str) -> None:
        super().__init__(f"the username {username!r} is already taken")
        self.username = username


def normalize_username(username: str) -> str:
    """Usernames are case-insensitive: stored and looked up lowercased."""
    return username.strip().lower()


async def get_user_by_username(session: AsyncSession, username: str) -> User | None:
    statement = select(User).where(User.username == normalize_username(username))
    return (await session.exec(statement)).one_or_none()


async def create_user(
    session: AsyncSession,
    *,
    username: str,
    password: str,
    email: str | None = None,
    full_name: str | None = None,
    is_admin: bool = False,
) -> User:
    user = User(
        username=normalize_username(username),
        hashed_password=await hash_password(password),
        email=email,
        full_name=full_name,
        is_admin=is_admin,
    )
    session.add(user)
    try:
        await session.commit()
    except IntegrityError as exc:
        await session.rollback()
        raise UsernameTakenError(user.username) from exc
    await session.refresh(user)
    return user
