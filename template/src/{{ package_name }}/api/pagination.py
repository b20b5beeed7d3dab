from typing import Annotated

from fastapi import Depends, Query
from pydantic import BaseModel

MAX_OFFSET = 2**31 - 1


class Page(BaseModel):
    offset: int
    limit: int


async def page(  # async: a plain `def` would run in a worker thread
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> Page:
    return Page(offset=offset, limit=limit)


PageDep = Annotated[Page, Depends(page)]
