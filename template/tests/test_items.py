from typing import Any

import httpx

from support import Account


async def _create(
    client: httpx.AsyncClient, account: Account, title: str
) -> dict[str, Any]:
    response = await client.post(
        "/items", headers=account.headers, json={"title": title}
    )
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_create_and_read_item(client: httpx.AsyncClient, alice: Account) -> None:
    response = await client.post(
        "/items",
        headers=alice.headers,
        json={"title": "  Milk ", "description": "Two litres"},
    )
    assert response.status_code == 201
    item = response.json()
    assert item == {
        "id": item["id"],
        "title": "Milk",
        "description": "Two litres",
        "owner_id": alice.id,
    }
    response = await client.get(f"/items/{item['id']}", headers=alice.headers)
    assert response.status_code == 200
    assert response.json() == item


async def test_list_own_items_only(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    await _create(client, alice, "alice 1")
    await _create(client, alice, "alice 2")
    await _create(client, bob, "bob 1")
    response = await client.get("/items", headers=alice.headers)
    assert response.status_code == 200
    assert [item["title"] for item in response.json()] == ["alice 1", "alice 2"]
    page = await client.get(
        "/items", headers=alice.headers, params={"offset": 1, "limit": 5}
    )
    assert [item["title"] for item in page.json()] == ["alice 2"]


async def test_admin_sees_all_items(
    client: httpx.AsyncClient, alice: Account, bob: Account, admin: Account
) -> None:
    await _create(client, alice, "alice 1")
    bobs = await _create(client, bob, "bob 1")
    response = await client.get("/items", headers=admin.headers)
    assert {item["title"] for item in response.json()} == {"alice 1", "bob 1"}
    response = await client.patch(
        f"/items/{bobs['id']}", headers=admin.headers, json={"title": "moderated"}
    )
    assert response.status_code == 200


async def test_update_item(client: httpx.AsyncClient, alice: Account) -> None:
    item = await _create(client, alice, "draft")
    response = await client.patch(
        f"/items/{item['id']}", headers=alice.headers, json={"description": "more"}
    )
    assert response.status_code == 200
    assert response.json()["title"] == "draft"
    assert response.json()["description"] == "more"
    response = await client.patch(
        f"/items/{item['id']}", headers=alice.headers, json={"description": None}
    )
    assert response.json()["description"] is None


async def test_delete_item(client: httpx.AsyncClient, alice: Account) -> None:
    item = await _create(client, alice, "temporary")
    response = await client.delete(f"/items/{item['id']}", headers=alice.headers)
    assert response.status_code == 204
    response = await client.get(f"/items/{item['id']}", headers=alice.headers)
    assert response.status_code == 404


async def test_other_users_items_are_not_found(
    client: httpx.AsyncClient, alice: Account, bob: Account
) -> None:
    item = await _create(client, alice, "private")
    url = f"/items/{item['id']}"
    assert (await client.get(url, headers=bob.headers)).status_code == 404
    response = await client.patch(url, headers=bob.headers, json={"title": "mine"})
    assert response.status_code == 404
    assert (await client.delete(url, headers=bob.headers)).status_code == 404
    # Nothing changed.
    response = await client.get(url, headers=alice.headers)
    assert response.json()["title"] == "private"


async def test_missing_item(client: httpx.AsyncClient, alice: Account) -> None:
    response = await client.get("/items/999999", headers=alice.headers)
    assert response.status_code == 404
    assert response.json() == {"detail": "Item not found"}


async def test_item_validation(client: httpx.AsyncClient, alice: Account) -> None:
    bad_bodies = [
        {},
        {"title": ""},
        {"title": "   "},
        {"title": "x" * 201},
        {"title": "ok", "description": "x" * 2001},
        {"title": "ok", "owner_id": 1},
        {"title": None},
    ]
    for body in bad_bodies:
        response = await client.post("/items", headers=alice.headers, json=body)
        assert response.status_code == 422, body
    response = await client.post(
        "/items",
        headers={**alice.headers, "Content-Type": "application/json"},
        content=b"{not json",
    )
    assert response.status_code == 422


async def test_item_update_validation(
    client: httpx.AsyncClient, alice: Account
) -> None:
    item = await _create(client, alice, "keep")
    url = f"/items/{item['id']}"
    for body in ({"title": None}, {"title": ""}, {"owner_id": 2}):
        response = await client.patch(url, headers=alice.headers, json=body)
        assert response.status_code == 422, body
    assert (await client.get(url, headers=alice.headers)).json()["title"] == "keep"


async def test_item_ids_are_validated(
    client: httpx.AsyncClient, alice: Account
) -> None:
    for item_id in ("abc", "0", "-1", str(2**63)):
        response = await client.get(f"/items/{item_id}", headers=alice.headers)
        assert response.status_code == 422, item_id


async def test_items_need_credentials(client: httpx.AsyncClient) -> None:
    assert (await client.get("/items")).status_code == 401
    assert (await client.post("/items", json={"title": "x"})).status_code == 401
