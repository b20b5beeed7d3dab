from fastapi import APIRouter, HTTPException, Request, Response, status
from sqlmodel import col, select

from .. import users
from ..auth.dependencies import (
    AccountPrincipal,
    AdminPrincipal,
    CurrentUser,
    end_other_sessions,
)
from ..auth.login import password_matches
from ..db import SessionDep
from ..models import User
from ..passwords import hash_password
from ..schemas import PasswordChange, UserCreate, UserRead, UserUpdate
from .pagination import PageDep

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me", response_model=UserRead)
async def read_me(user: CurrentUser) -> User:
    return user


@router.patch("/me", response_model=UserRead)
async def update_me(
    body: UserUpdate, principal: AccountPrincipal, session: SessionDep
) -> User:
    """Change your email or full name (needs the `account` scope)."""
    user = principal.user
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(user, field, value)
    session.add(user)
    await session.commit()
    await session.refresh(user)
    return user


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(
    body: PasswordChange,
    principal: AccountPrincipal,
    request: Request,
    session: SessionDep,
) -> Response:
    """Change your password (needs the `account` scope). Every other session
    and token of yours ends.

    Wrong current passwords are throttled like failed sign-ins, so a stolen
    token cannot be used to guess the password behind it.
    """
    user = principal.user
    users.check_new_password(
        body.new_password, username=user.username, field="new_password"
    )
    if not await password_matches(
        session, request, user.username, user, body.current_password
    ):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="Current password is incorrect"
        )
    user.hashed_password = await hash_password(body.new_password)
    session.add(user)
    await end_other_sessions(session, principal)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("", response_model=list[UserRead])
async def list_users(
    _: AdminPrincipal, session: SessionDep, page: PageDep
) -> list[User]:
    statement = (
        select(User).order_by(col(User.id)).offset(page.offset).limit(page.limit)
    )
    return list((await session.exec(statement)).all())


@router.post("", response_model=UserRead, status_code=status.HTTP_201_CREATED)
async def create_user(body: UserCreate, _: AdminPrincipal, session: SessionDep) -> User:
    return await users.create_user(session, **body.model_dump())
