"""The HTTP doubles started from a shell (``python -m ...``), as the examples' READMEs tell a person to:
each prints where it listens and what to put in a config, serves, and stops on Ctrl-C."""

from __future__ import annotations

import json

import httpx
from source_runner import served_from_the_shell

from airbyte_dest_kit.testing.http_api import PLANS


def test_the_shop_api_serves_with_the_options_given_and_says_how_to_reach_it() -> None:
    with served_from_the_shell("airbyte_dest_kit.testing.http_api", "--api-key", "k-42", "--customers", "3") as api:
        assert httpx.get(f"{api.url}/plans", headers={"X-Api-Key": "k-42"}).json() == {"plans": PLANS}
        customers = httpx.get(f"{api.url}/customers", params={"api_key": "k-42"}).json()
        assert [customer["id"] for customer in customers["data"]] == [1, 2, 3]
        assert httpx.get(f"{api.url}/plans", headers={"X-Api-Key": "test-api-key"}).status_code == 401
    assert f'  base_url     "{api.url}"\n' in api.printed
    assert '  api_key      "k-42"  (Bearer token, X-Api-Key header or api_key parameter)\n' in api.printed


def test_from_the_shell_the_refresh_token_stays_valid_unless_rotation_is_asked_for() -> None:
    """So a config file holding the refresh token works run after run (each run refreshes once)."""
    form = {"grant_type": "refresh_token", "client_id": "test-client", "client_secret": "test-client-secret"}
    with served_from_the_shell("airbyte_dest_kit.testing.http_api") as api:
        for _ in range(2):
            answer = httpx.post(f"{api.url}/oauth/token", data={**form, "refresh_token": "refresh-0"})
            assert answer.status_code == 200 and answer.json()["refresh_token"] == "refresh-0"
    with served_from_the_shell("airbyte_dest_kit.testing.http_api", "--rotate-refresh-tokens") as api:
        assert httpx.post(f"{api.url}/oauth/token", data={**form, "refresh_token": "refresh-0"}).status_code == 200
        assert httpx.post(f"{api.url}/oauth/token", data={**form, "refresh_token": "refresh-0"}).status_code == 400


def test_the_key_value_store_serves_and_prints_the_destination_kvdb_config() -> None:
    with served_from_the_shell("airbyte_dest_kit.testing.kv_api", "--bucket", "b1", "--secret-key", "s-9") as store:
        auth = {"Authorization": "Bearer s-9"}
        txn = {"txn": [{"set": "users/1", "value": {"id": 1}}]}
        assert httpx.post(f"{store.url}/b1", json=txn, headers=auth).status_code == 200
        assert httpx.get(f"{store.url}/b1/", params={"values": "true"}, headers=auth).json() == [["users/1", {"id": 1}]]
    config = {"base_url": store.url, "bucket_id": "b1", "secret_key": "s-9"}
    assert store.printed == f"destination-kvdb config: {json.dumps(config)}\n"
