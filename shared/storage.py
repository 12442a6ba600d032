"""Object storage for uploaded files: a small interface (``ObjectStore``) with two implementations — a local folder
(the embedded default, ``./var/attachments``) and an S3-compatible object store (Amazon S3, MinIO, Ceph …) for
replicas on several machines — chosen by settings (``build_store``).

Objects are written whole under a key the caller chooses (a content address) and never changed: writing a key again
writes the same bytes. A local object appears under its key only once it is complete (written beside it, flushed,
then renamed), and an S3 PUT is atomic, so a crash leaves either the whole object or none. S3 credentials come from
the environment the usual way (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``, a profile or an instance role):
they are never settings of this product.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import secrets
from pathlib import Path
from typing import Any, Protocol

log = logging.getLogger("complaints.storage")

#: Keys are content addresses: lowercase hex digests. Nothing else reaches a path or a bucket.
_KEY = re.compile(r"^[0-9a-f]{16,128}$")


class StorageUnavailable(Exception):
    """The store could not write or read an object (the folder or the object store failed, or the object is gone)."""


class ObjectStore(Protocol):
    """Where uploaded files live. ``put`` writes an object whole (again: the same bytes, nothing changes); ``get`` reads
    it back. Both raise ``StorageUnavailable`` when the store fails."""

    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes: ...

    async def ready(self) -> bool: ...


def _checked(key: str) -> str:
    if not _KEY.match(key):
        raise ValueError("an object key is a lowercase hex digest")
    return key


class LocalStore:
    """Objects as files in a folder, fanned out by the key's first two characters (``ab/abcdef…``)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / _checked(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            await asyncio.to_thread(self._write, self._path(key), data)
        except OSError as exc:
            log.error("could not store object %s: %s", key, exc.__class__.__name__)
            raise StorageUnavailable(key) from exc

    @staticmethod
    def _write(path: Path, data: bytes) -> None:
        if path.exists() and path.stat().st_size == len(data):
            return  # the same content address: the same bytes are there already
        path.parent.mkdir(parents=True, exist_ok=True)
        draft = path.with_name(f".{path.name}.{secrets.token_hex(6)}")
        try:
            with open(draft, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(draft, path)
        finally:
            draft.unlink(missing_ok=True)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)  # the rename itself survives a power cut before the row that names it commits
        finally:
            os.close(directory)

    async def get(self, key: str) -> bytes:
        try:
            return await asyncio.to_thread(self._path(key).read_bytes)
        except OSError as exc:
            log.error("could not read object %s: %s", key, exc.__class__.__name__)
            raise StorageUnavailable(key) from exc

    async def ready(self) -> bool:
        return True  # the folder is made at the first write


class S3Store:
    """Objects in a bucket of an S3-compatible object store, under ``prefix`` + key, through boto3 (its blocking
    calls run in worker threads; the client is thread-safe)."""

    def __init__(self, bucket: str, *, prefix: str = "", endpoint_url: str | None = None,
                 region: str | None = None) -> None:
        import boto3
        from botocore.config import Config

        self.bucket = bucket
        self.prefix = prefix
        config = Config(
            connect_timeout=5, read_timeout=30, retries={"max_attempts": 3, "mode": "standard"},
            # Stores other than Amazon's (MinIO, Ceph, older gateways) do not all know the newer default checksums,
            # and are usually addressed by path (http://host:9000/bucket/key), not by a bucket host name.
            request_checksum_calculation="when_required", response_checksum_validation="when_required",
            s3={"addressing_style": "path" if endpoint_url else "auto"},
        )
        self.client: Any = boto3.session.Session().client(
            "s3", endpoint_url=endpoint_url or None, region_name=region or None, config=config)

    def _key(self, key: str) -> str:
        return self.prefix + _checked(key)

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        try:
            await asyncio.to_thread(self.client.put_object, Bucket=self.bucket, Key=self._key(key), Body=data,
                                    ContentType=content_type)
        except Exception as exc:  # noqa: BLE001 - any failure of the store (network, credentials, bucket)
            log.error("could not store object %s in bucket %s: %s", key, self.bucket, _reason(exc))
            raise StorageUnavailable(key) from exc

    async def get(self, key: str) -> bytes:
        def read() -> bytes:
            answer = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            with answer["Body"] as body:
                return body.read()

        try:
            return await asyncio.to_thread(read)
        except Exception as exc:  # noqa: BLE001
            log.error("could not read object %s from bucket %s: %s", key, self.bucket, _reason(exc))
            raise StorageUnavailable(key) from exc

    async def ready(self) -> bool:
        try:
            await asyncio.to_thread(self.client.head_bucket, Bucket=self.bucket)
            return True
        except Exception as exc:  # noqa: BLE001 - readiness reports any failure as not ready
            log.warning("bucket %s is not reachable: %s", self.bucket, _reason(exc))
            return False


def _reason(exc: BaseException) -> str:
    """What failed, without the request: the error's class and, from the object store, its error code."""
    code = getattr(exc, "response", {}).get("Error", {}).get("Code") if hasattr(exc, "response") else None
    return f"{exc.__class__.__name__}{f' ({code})' if code else ''}"


def build_store(settings: Any) -> ObjectStore:
    """The store the settings choose: ``ATTACHMENT_STORE=local`` (a folder, ``ATTACHMENT_DIR``) or ``s3``."""
    if settings.attachment_store == "s3":
        return S3Store(settings.attachment_s3_bucket, prefix=settings.attachment_s3_prefix,
                       endpoint_url=settings.attachment_s3_endpoint_url, region=settings.attachment_s3_region)
    return LocalStore(Path(settings.attachment_dir))
