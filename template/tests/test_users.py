import httpx

from support import PASSWORD, Account, password_is, sign_in


async def test_me(client: httpx.AsyncClient, alice: Account) -> None:
    response = await client.get("/users/me", headers=alice.headers)
    assert response.status_code == 200
    assert response.json() == {
        "id": alice.id,
        "username": "alice",
        "email": None,
        "full_name": None,
        "is_active": True,
        "is_admin": False,
    }


async def test_me_needs_credentials(client: httpx.AsyncClient) -> None:
    response = await client.get("/users/me")
    assert response.status_code == 401
    assert "WWW-Authenticate" in response.headers
    assert response.json() == {"detail": "Not authenticated"}


async def test_update_me(client: httpx.AsyncClient, alice: Account) -> None:
    response = await client.patch(
        "/users/me",
        headers=alice.headers,
        json={"email": "alice@example.com", "full_name": "  Alice Liddell "},
    )
    assert response.status_code == 200
    body = response.json()
    assert body["email"] == "alice@example.com"
    assert body["full_name"] == "Alice Liddell"
    # A partial update leaves the other fields alone.
    response = await client.patch(
        "/users/me", headers=alice.headers, json={"full_name": "A. L."}
    )
    assert response.json()["email"] == "alice@example.com"


async def test_update_me_cannot_grant_privileges(
    client: httpx.AsyncClient, alice: Account
) -> None:
    for field in ("is_admin", "is_active", "username"):
        response = await client.patch(
            "/users/me", headers=alice.headers, json={field: True}
        )
        assert response.status_code == 422, field
    me = (await client.get("/users/me", headers=alice.headers)).json()
    assert me["is_admin"] is False


async def test_update_me_rejects_bad_values(
    client: httpx.AsyncClient, alice: Account
) -> None:
    for body in ({"email": "not-an-email"}, {"full_name": "x" * 129}, []):
        response = await client.patch("/users/me", headers=alice.headers, json=body)
        assert response.status_code == 422, body


async def test_change_password(client: httpx.AsyncClient, alice: Account) -> None:
    response = await client.post(
        "/users/me/password",
        headers=alice.headers,
        json={"current_password": PASSWORD, "new_password": "a brand new password"},
    )
    assert response.status_code == 204
    assert await password_is("alice", "a brand new password")
    assert not await password_is("alice", PASSWORD)


async def test_change_password_needs_current_password(
    client: httpx.AsyncClient, alice: Account
) -> None:
    response = await client.post(
        "/users/me/password",
        headers=alice.headers,
        json={"current_password": "wrong password", "new_password": "whatever-123"},
    )
    assert response.status_code == 403
    assert await password_is("alice", PASSWORD)


async def test_change_password_validates_new_password(
    client: httpx.AsyncClient, alice: Account
) -> None:
    for new_password in ("tiny-pw", "x" * 129):
        response = await client.post(
            "/users/me/password",
            headers=alice.headers,
            json={"current_password": PASSWORD, "new_password": new_password},
        )
        assert response.status_code == 422
        # Validation errors never echo what was sent: it may be a secret.
        assert new_password not in response.text
        assert PASSWORD not in response.text
        assert response.json()["detail"][0]["loc"] == ["body", "new_password"]


async def test_list_users_is_for_admins(
    client: httpx.AsyncClient, alice: Account, admin: Account
) -> None:
    response = await client.get("/users", headers=alice.headers)
    assert response.status_code == 403

    response = await client.get("/users", headers=admin.headers)
    assert response.status_code == 200
    assert [user["username"] for user in response.json()] == ["alice", "root"]
    assert all("hashed_password" not in user for user in response.json())

    page = await client.get(
        "/users", headers=admin.headers, params={"offset": 1, "limit": 1}
    )
    assert [user["username"] for user in page.json()] == ["root"]


async def test_list_users_validates_paging(
    client: httpx.AsyncClient, admin: Account
) -> None:
    for params in ({"limit": 0}, {"limit": 101}, {"offset": -1}, {"offset": "x"}):
        response = await client.get("/users", headers=admin.headers, params=params)
        assert response.status_code == 422, params


async def test_admin_creates_user(client: httpx.AsyncClient, admin: Account) -> None:
    response = await client.post(
        "/users",
        headers=admin.headers,
        json={
            "username": "Carol",
            "password": "carol's password",
            "email": "carol@example.com",
            "full_name": "Carol",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["username"] == "carol"
    assert body["is_admin"] is False
    assert "password" not in body
    assert "hashed_password" not in body
    assert await password_is("CAROL", "carol's password")
    headers = await sign_in(client, "carol", "carol's password")
    assert (await client.get("/users/me", headers=headers)).json()[
        "username"
    ] == "carol"


async def test_usernames_are_unique_ignoring_case(
    client: httpx.AsyncClient, admin: Account, alice: Account
) -> None:
    response = await client.post(
        "/users",
        headers=admin.headers,
        json={"username": "ALICE", "password": "another password"},
    )
    assert response.status_code == 409
    assert "another password" not in response.text


async def test_create_user_validates(client: httpx.AsyncClient, admin: Account) -> None:
    bad_bodies = [
        {"username": "ab", "password": "long enough"},
        {"username": "x" * 65, "password": "long enough"},
        {"username": "has space", "password": "long enough"},
        {"username": "dave", "password": "short"},
        {"username": "dave", "password": "long enough", "email": "nope"},
        {"username": "dave"},
        {"username": "dave", "password": "long enough", "is_superuser": True},
    ]
    for body in bad_bodies:
        response = await client.post("/users", headers=admin.headers, json=body)
        assert response.status_code == 422, body


async def test_create_user_is_for_admins(
    client: httpx.AsyncClient, alice: Account
) -> None:
    response = await client.post(
        "/users",
        headers=alice.headers,
        json={"username": "mallory", "password": "long enough", "is_admin": True},
    )
    assert response.status_code == 403
