"""Request and response bodies."""

import unicodedata
from typing import Annotated

from fastapi.exceptions import RequestValidationError
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    StringConstraints,
    model_validator,
)
from pydantic.config import JsonDict

from .models import (
    DESCRIPTION_MAX_LENGTH,
    FULL_NAME_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    USERNAME_MAX_LENGTH,
)
from .passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH
from .users import USERNAME_MIN_LENGTH, USERNAME_PATTERN

# Control characters (NUL among them: PostgreSQL refuses it in text) and lone
# surrogates (not encodable as UTF-8) are refused in every text field.
_REFUSED_CATEGORIES = frozenset({"Cc", "Cs"})
_LINE_BREAKS = frozenset("\t\n\r")


def _one_line(value: str) -> str:
    if any(unicodedata.category(char) in _REFUSED_CATEGORIES for char in value):
        raise ValueError("must not contain control characters")
    return value


def _multiline(value: str) -> str:
    if any(
        unicodedata.category(char) in _REFUSED_CATEGORIES and char not in _LINE_BREAKS
        for char in value
    ):
        raise ValueError("must not contain control characters other than line breaks")
    return value


OneLine = AfterValidator(_one_line)


def invalid_field(
    field: str, message: str, kind: str = "value_error"
) -> RequestValidationError:
    """A 422 about one body field, in the shape of FastAPI's own."""
    error = {"type": kind, "loc": ("body", field), "msg": message, "input": None}
    return RequestValidationError([error])


Username = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True,
        to_lower=True,
        min_length=USERNAME_MIN_LENGTH,
        max_length=USERNAME_MAX_LENGTH,
        pattern=USERNAME_PATTERN,
    ),
]
# A new password; the policy (settings, common passwords) is checked on top.
NewPassword = Annotated[
    str,
    StringConstraints(min_length=MIN_PASSWORD_LENGTH, max_length=MAX_PASSWORD_LENGTH),
    OneLine,
]
# A password to check, not to set: only its length is limited.
Password = Annotated[str, StringConstraints(max_length=MAX_PASSWORD_LENGTH)]
FullName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=FULL_NAME_MAX_LENGTH),
    OneLine,
]
Title = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=TITLE_MAX_LENGTH),
    OneLine,
]
Description = Annotated[
    str,
    StringConstraints(max_length=DESCRIPTION_MAX_LENGTH),
    AfterValidator(_multiline),
]


class RequestBody(BaseModel):
    """Unknown fields are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


ALICE: JsonDict = {
    "id": 1,
    "username": "alice",
    "email": "alice@example.com",
    "full_name": "Alice Liddell",
    "is_active": True,
    "is_admin": False,
}


class UserRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True, json_schema_extra={"examples": [ALICE]}
    )

    id: int
    username: str
    email: str | None
    full_name: str | None
    is_active: bool
    is_admin: bool


class UserCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "username": "bob",
                    "password": "a long and unusual passphrase",
                    "email": "bob@example.com",
                    "full_name": "Bob Builder",
                }
            ]
        }
    )

    username: Username
    password: NewPassword
    email: EmailStr | None = None
    full_name: FullName | None = None
    is_admin: bool = False


class UserUpdate(RequestBody):
    """What users may change about themselves (not is_admin or is_active)."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"full_name": "Alice P. Liddell"}]}
    )

    email: EmailStr | None = None
    full_name: FullName | None = None


class PasswordChange(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "current_password": "the password you have now",
                    "new_password": "a new and unusual passphrase",
                }
            ]
        }
    )

    current_password: Password
    new_password: NewPassword


class ItemCreate(RequestBody):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"title": "Milk", "description": "Two litres, fresh"}]
        }
    )

    title: Title
    description: Description | None = None


class ItemUpdate(RequestBody):
    model_config = ConfigDict(json_schema_extra={"examples": [{"title": "Oat milk"}]})

    title: Title | None = None
    description: Description | None = None

    @model_validator(mode="after")
    def _title_is_not_null(self) -> "ItemUpdate":
        if "title" in self.model_fields_set and self.title is None:
            raise ValueError("title cannot be null")
        return self


class ItemRead(BaseModel):
    model_config = ConfigDict(
        from_attributes=True,
        json_schema_extra={
            "examples": [
                {"id": 1, "title": "Milk", "description": "Two litres", "owner_id": 1}
            ]
        },
    )

    id: int
    title: str
    description: str | None
    owner_id: int
