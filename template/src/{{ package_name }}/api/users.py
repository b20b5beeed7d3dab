from fastapi import APIRouter, HTTPException, Response, status
from sqlmodel import col, select

from .. import users
from ..auth.dependencies import (
    AdminUser,
    CurrentPrincipal,
    CurrentUser,
    end_other_sessions,
)
from ..db import SessionDep
from ..models import User
from ..passwords import hash_password, verify_password
from ..schemas import PasswordChange, UserCreate, UserRead, UserUpdate
from .pagination import PageDep

router = APIRouter(prefix="/users", tags=["users"])


@router.get("/me", response_model=UserRead)
async def read_me(user: CurrentUser) -> User:
    return user


@router.patch("/me", response_model=UserRead)
async def update_me(body: UserUpdate, user: CurrentUser, session: SessionDep) -> User:
    """Change your email or full name."""
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(user, field, value)
    session.add(user)
    await session.commit()
    await session.refresh(user)
    return user


@router.post("/me/password", status_code=status.HTTP_204_NO_CONTENT)
async def change_password(
    body: PasswordChange, principal: CurrentPrincipal, session: SessionDep
) -> Response:
    """Change your password. Every other session and token of yours ends."""
    user = principal.user
    valid, _ = await verify_password(body.current_password, user.hashed_password)
    if not valid:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, detail="Current password is incorrect"
        )
    user.hashed_password = await hash_password(body.new_password)
    session.add(user)
    await end_other_sessions(session, principal)
    await session.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("", response_model=list[UserRead])
async def list_users(_: AdminUser, session: SessionDep, page: PageDep) -> list[User]:
    statement = (
        select(User).order_by(col(User.id)).offset(page.offset).limit(page.limit)
    )
    return list((await session.exec(statement)).all())


@router.post("", response_model=UserRead, status_code=status.HTTP_201_CREATED)
async def create_user(body: UserCreate, _: AdminUser, session: SessionDep) -> User:
    try:
        return await users.create_user(session, **body.model_dump())
    except users.UsernameTakenError as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, detail=str(exc)) from None
