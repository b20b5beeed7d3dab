"""Request and response bodies."""

from typing import Annotated

from pydantic import BaseModel, ConfigDict, EmailStr, StringConstraints, model_validator

from .models import (
    DESCRIPTION_MAX_LENGTH,
    FULL_NAME_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    USERNAME_MAX_LENGTH,
)

PASSWORD_MIN_LENGTH = 8
PASSWORD_MAX_LENGTH = 128

Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=3,
        max_length=USERNAME_MAX_LENGTH,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$",
    ),
]
Password = Annotated[
    str,
    StringConstraints(min_length=PASSWORD_MIN_LENGTH, max_length=PASSWORD_MAX_LENGTH),
]
FullName = Annotated[
    str, StringConstraints(strip_whitespace=True, max_length=FULL_NAME_MAX_LENGTH)
]
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX_LENGTH),
]
Description = Annotated[str, StringConstraints(max_length=DESCRIPTION_MAX_LENGTH)]


class RequestBody(BaseModel):
    """Unknown fields are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class UserRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    username: str
    email: str | None
    full_name: str | None
    is_active: bool
    is_admin: bool


class UserCreate(RequestBody):
    username: Username
    password: Password
    email: EmailStr | None = None
    full_name: FullName | None = None
    is_admin: bool = False


class UserUpdate(RequestBody):
    """What users may change about themselves (not is_admin or is_active)."""

    email: EmailStr | None = None
    full_name: FullName | None = None


class PasswordChange(RequestBody):
    current_password: Annotated[str, StringConstraints(max_length=PASSWORD_MAX_LENGTH)]
    new_password: Password


class ItemCreate(RequestBody):
    title: Title
    description: Description | None = None


class ItemUpdate(RequestBody):
    title: Title | None = None
    description: Description | None = None

    @model_validator(mode="after")
    def _title_is_not_null(self) -> "ItemUpdate":
        if "title" in self.model_fields_set and self.title is None:
            raise ValueError("title cannot be null")
        return self


class ItemRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    title: str
    description: str | None
    owner_id: int
