from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, HTTPException, Path, Response, status
from sqlalchemy import bindparam
from sqlmodel import col
from sqlmodel.ext.asyncio.session import AsyncSession

from ..auth.dependencies import ItemsReader, ItemsWriter
from ..auth.principal import Principal
from ..db import Query, columns_of
from ..models import Item
from ..schemas import ItemCreate, ItemRead, ItemUpdate
from ..state import DbSession, State
from .pagination import MAX_OFFSET, PageDep
from .responses import AUTHENTICATED, UNAVAILABLE, not_found

router = APIRouter(
    prefix="/items", tags=["items"], responses={**AUTHENTICATED, **UNAVAILABLE}
)
NOT_FOUND = not_found("Item")

ItemId = Annotated[int, Path(ge=1, le=MAX_OFFSET)]

# The read path (`Database.read()`): GETs read rows, not ORM objects.
_ITEMS = sa.select(*columns_of(Item)).order_by(col(Item.id))
ALL_ITEMS = Query(_ITEMS.offset(bindparam("offset")).limit(bindparam("limit")))
OWN_ITEMS = Query(
    _ITEMS.where(col(Item.owner_id) == bindparam("owner_id"))
    .offset(bindparam("offset"))
    .limit(bindparam("limit"))
)
ITEM_BY_ID = Query(
    sa.select(*columns_of(Item)).where(col(Item.id) == bindparam("item_id"))
)


def _visible(principal: Principal, owner_id: int) -> bool:
    return principal.is_admin or owner_id == principal.user_id


async def _get_visible_item(
    db: AsyncSession, principal: Principal, item_id: int
) -> Item:
    """The item, if the caller owns it or acts as an admin; 404 otherwise."""
    item = await db.get(Item, item_id)
    if item is None or not _visible(principal, item.owner_id):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Item not found")
    return item


@router.get("", response_model=list[ItemRead], summary="List your items")
async def list_items(
    principal: ItemsReader, state: State, page: PageDep
) -> list[dict[str, Any]]:
    """Your items (an admin, with the `admin` scope, sees everyone's)."""
    async with state.database.read() as db:
        if principal.is_admin:
            return await db.all(ALL_ITEMS, offset=page.offset, limit=page.limit)
        return await db.all(
            OWN_ITEMS,
            owner_id=principal.user_id,
            offset=page.offset,
            limit=page.limit,
        )


@router.post(
    "",
    response_model=ItemRead,
    status_code=status.HTTP_201_CREATED,
    summary="Add an item",
)
async def create_item(body: ItemCreate, principal: ItemsWriter, db: DbSession) -> Item:
    """A new item, owned by you."""
    item = Item(**body.model_dump(), owner_id=principal.user_id)
    db.add(item)
    await db.commit()
    # No refresh: the INSERT gave the id and nothing else is the database's
    # to fill in, and a read after the commit could fail (a 503 for an item
    # that was stored).
    return item


@router.get(
    "/{item_id}", response_model=ItemRead, summary="Read an item", responses=NOT_FOUND
)
async def read_item(
    item_id: ItemId, principal: ItemsReader, state: State
) -> dict[str, Any]:
    """One of your items (an admin's `admin` scope reaches anyone's); someone
    else's is 404, as if it did not exist."""
    async with state.database.read() as db:
        item = await db.one(ITEM_BY_ID, item_id=item_id)
    if item is None or not _visible(principal, item["owner_id"]):
        raise HTTPException(status.HTTP_404_NOT_FOUND, detail="Item not found")
    return item


@router.patch(
    "/{item_id}", response_model=ItemRead, summary="Change an item", responses=NOT_FOUND
)
async def update_item(
    item_id: ItemId, body: ItemUpdate, principal: ItemsWriter, db: DbSession
) -> Item:
    """Change the fields you send; the others stay as they are."""
    item = await _get_visible_item(db, principal, item_id)
    for field, value in body.model_dump(exclude_unset=True).items():
        setattr(item, field, value)
    db.add(item)
    await db.commit()
    return item


@router.delete(
    "/{item_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete an item",
    responses=NOT_FOUND,
)
async def delete_item(
    item_id: ItemId, principal: ItemsWriter, db: DbSession
) -> Response:
    """Delete one of your items for good."""
    item = await _get_visible_item(db, principal, item_id)
    await db.delete(item)
    await db.commit()
    return Response(status_code=status.HTTP_204_NO_CONTENT)
