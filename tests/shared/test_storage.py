"""The object stores behind attachments: a local folder, and an S3-compatible store (a real server on 127.0.0.1 —
moto's — required under CI); and the product with ``ATTACHMENT_STORE=s3`` storing and serving an attachment there."""

from __future__ import annotations

import asyncio
import hashlib
from itertools import cycle

import pytest

from services.intake.app import build_app as intake_alone
from shared.settings import AllInOneSettings, UnsafeSettings
from shared.storage import LocalStore, S3Store, StorageUnavailable, build_store
from tests.conftest import embedded_settings, running_app
from tests.intake import files
from tests.intake.helpers import bearer
from tests.support import complaint_body, free_port, s3_server

BUCKET = "complaint-attachments"


def _key(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- local folder ---------------------------------------------------------------------------------------------------


async def test_a_local_store_keeps_each_object_whole_under_its_key(tmp_path):
    store = LocalStore(tmp_path / "objects")
    data = files.pdf(size=5000)
    await store.put(_key(data), data, "application/pdf")
    await store.put(_key(data), data, "application/pdf")  # again: nothing changes
    assert await store.get(_key(data)) == data
    assert [p.relative_to(tmp_path) for p in (tmp_path / "objects").rglob("*") if p.is_file()] == [
        (tmp_path / "objects" / _key(data)[:2] / _key(data)).relative_to(tmp_path)]  # no draft left beside it
    with pytest.raises(ValueError):
        await store.put("../../etc/passwd", data, "application/pdf")


async def test_a_local_store_that_cannot_write_or_find_says_so(tmp_path):
    (tmp_path / "not-a-folder").write_text("a file where the folder should be")
    store = LocalStore(tmp_path / "not-a-folder")
    with pytest.raises(StorageUnavailable):
        await store.put(_key(b"x"), b"x", "image/png")
    with pytest.raises(StorageUnavailable):
        await LocalStore(tmp_path / "empty").get(_key(b"never stored"))


# --- S3-compatible --------------------------------------------------------------------------------------------------


@pytest.fixture
def s3(monkeypatch):
    """An S3-compatible server with an empty bucket (``BUCKET``), and credentials in the environment as a deployment
    gives them."""
    import boto3

    for name, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                        ("AWS_DEFAULT_REGION", "us-east-1")):
        monkeypatch.setenv(name, value)
    with s3_server() as url:
        client = boto3.client("s3", endpoint_url=url)
        client.create_bucket(Bucket=BUCKET)
        yield url
        for listed in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):  # the server's state outlives it
            client.delete_object(Bucket=BUCKET, Key=listed["Key"])
        client.delete_bucket(Bucket=BUCKET)


async def test_an_s3_store_keeps_objects_in_the_bucket_under_its_prefix(s3):
    import boto3

    store = S3Store(BUCKET, prefix="attachments/", endpoint_url=s3)
    assert await store.ready()
    data = files.jpeg(size=64 * 1024)
    await store.put(_key(data), data, "image/jpeg")
    assert await store.get(_key(data)) == data
    head = boto3.client("s3", endpoint_url=s3).head_object(Bucket=BUCKET, Key=f"attachments/{_key(data)}")
    assert head["ContentType"] == "image/jpeg" and head["ContentLength"] == len(data)
    with pytest.raises(StorageUnavailable):
        await store.get(_key(b"never stored"))
    missing_bucket = S3Store("no-such-bucket", endpoint_url=s3)
    assert not await missing_bucket.ready()
    with pytest.raises(StorageUnavailable):
        await missing_bucket.put(_key(data), data, "image/jpeg")


async def test_an_unreachable_object_store_is_a_storage_failure(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    store = S3Store(BUCKET, endpoint_url=f"http://127.0.0.1:{free_port()}", region="us-east-1")
    with pytest.raises(StorageUnavailable):
        await store.put(_key(b"x"), b"x", "image/png")


async def test_the_product_stores_and_serves_attachments_in_the_object_store(s3, tmp_path):
    import boto3

    settings = embedded_settings(tmp_path, attachment_store="s3", attachment_s3_bucket=BUCKET,
                                 attachment_s3_endpoint_url=s3, attachment_s3_prefix="county/")
    async with running_app(settings) as (_app, client):
        created = (await client.post("/v1/complaints", json=complaint_body())).json()
        filer = bearer(created["access_token"])
        photo = files.webp(size=200 * 1024)
        added = await client.post(f"/v1/complaints/{created['id']}/attachments", headers=filer,
                                  files={"file": ("photo.webp", photo, "image/webp")})
        assert added.status_code == 201, added.text
        got = await client.get(added.json()["url"], headers=filer)
        assert got.status_code == 200 and got.content == photo and got.headers["content-type"] == "image/webp"
    listed = boto3.client("s3", endpoint_url=s3).list_objects_v2(Bucket=BUCKET)["Contents"]
    assert [o["Key"] for o in listed] == [f"county/{_key(photo)}"]
    assert not (tmp_path / "attachments").exists()


@pytest.mark.postgres
async def test_intake_replicas_share_the_object_store_and_number_attachments_in_turn(s3, postgres_url, tmp_path):
    """Two intake replicas on one PostgreSQL database and one bucket: uploads racing through both get the numbers 1 to
    10 once each and the rest are refused; each replica serves what the other stored."""
    store = dict(attachment_store="s3", attachment_s3_bucket=BUCKET, attachment_s3_endpoint_url=s3)
    replicas = [embedded_settings(tmp_path / name, database_url=postgres_url, **store) for name in ("a", "b")]
    async with running_app(replicas[0], build=intake_alone) as (_, a), \
            running_app(replicas[1], build=intake_alone) as (_, b):
        created = (await a.post("/v1/complaints", json=complaint_body())).json()
        filer = bearer(created["access_token"])
        url = f"/v1/complaints/{created['id']}/attachments"
        uploads = await asyncio.gather(*(
            replica.post(url, headers=filer, files={"file": ("p.png", files.png(n), "image/png")})
            for n, replica in zip(range(12), cycle((a, b)))))
        assert sorted(r.status_code for r in uploads) == [201] * 10 + [422] * 2
        taken = {r.json()["number"]: files.png(n) for n, r in enumerate(uploads) if r.status_code == 201}
        assert sorted(taken) == list(range(1, 11))
        for number, content in taken.items():
            assert (await b.get(f"{url}/{number}", headers=filer)).content == content
            assert (await a.get(f"{url}/{number}", headers=filer)).content == content


async def test_an_upload_the_store_cannot_take_is_a_503_and_records_nothing(tmp_path, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    settings = embedded_settings(tmp_path, attachment_store="s3", attachment_s3_bucket=BUCKET,
                                 attachment_s3_endpoint_url=f"http://127.0.0.1:{free_port()}",
                                 attachment_s3_region="us-east-1")
    async with running_app(settings) as (_app, client):
        created = (await client.post("/v1/complaints", json=complaint_body())).json()
        filer = bearer(created["access_token"])
        url = f"/v1/complaints/{created['id']}/attachments"
        refused = await client.post(url, headers=filer, files={"file": ("a.png", files.png(), "image/png")})
        assert refused.status_code == 503 and refused.json()["error"] == "storage_unavailable"
        assert refused.headers["retry-after"]
        assert (await client.get(url, headers=filer)).json() == []


def test_the_settings_choose_the_store_and_s3_needs_a_bucket(tmp_path):
    assert isinstance(build_store(embedded_settings(tmp_path)), LocalStore)
    with pytest.raises(UnsafeSettings, match="ATTACHMENT_S3_BUCKET"):
        AllInOneSettings(attachment_store="s3")
