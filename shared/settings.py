"""Settings for every service, read from environment variables and an optional ``.env`` file (pydantic-settings).

``CommonSettings`` holds what all three services need (database, broker, logging, the secret that signs bearer
tokens); each service subclasses it with its own fields, so one process can build all three from the same environment.

Settings that would let anyone forge a token are refused when they are built, before anything starts: outside the
embedded default a missing, published or short ``AUTH_SECRET`` stops the process (``UnsafeSettings``); the embedded
default without one generates its own at first start and keeps it in ``AUTH_SECRET_FILE`` (``./var/auth_secret``).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: Fewer bytes than this make an HS256 key that can be searched for (RFC 7518 §3.2 asks for at least 256 bits).
MIN_SECRET_BYTES = 32
#: Secrets that were ever published with this project (the old default of ``AUTH_SECRET``): never accepted.
PUBLISHED_SECRETS = frozenset({"development-only-secret-change-me"})
#: What every refusal of a secret tells the operator to do.
HOW_TO_SET = (
    "set AUTH_SECRET to a random value of at least 32 bytes, the same for every service "
    "(e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(48))')"
)


class UnsafeSettings(SystemExit):
    """Settings a service must not start with. Raised while the settings are built, before anything opens; as a
    ``SystemExit`` it ends an entry point with its message alone (exit status 1)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"refusing to start: {message}")


def normalise_database_url(url: str) -> str:
    """Give a plain PostgreSQL or SQLite URL its async driver (asyncpg / aiosqlite)."""
    for plain in ("postgresql://", "postgres://", "postgresql+psycopg2://", "postgresql+psycopg://"):
        if url.startswith(plain):
            return "postgresql+asyncpg://" + url[len(plain):]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///"):]
    return url


class CountySettings(BaseSettings):
    """Which county this deployment serves: all the catalog and gazetteer need (read without building the rest, so
    reading the catalog checks no secret and writes no file)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    #: The county's 乡镇/街道 gazetteer (JSON, as ``shared/data/townships.json``); its ``county`` names the county.
    gazetteer_path: str | None = None
    #: The county's name as departments carry it (青山县税务局); empty: the gazetteer's ``county``.
    county_name: str | None = None


class CommonSettings(CountySettings):

    #: ``{service}`` is replaced by the service name, so the embedded default gives each service its own SQLite file.
    database_url: str = "sqlite+aiosqlite:///./var/{service}.db"
    #: Empty: the services talk through the embedded durable bus (single process). Set: through Kafka.
    kafka_bootstrap_servers: str = ""
    #: Apache Kafka supports the idempotent producer; some Kafka-protocol brokers used in development do not.
    kafka_enable_idempotence: bool = True
    kafka_topic_partitions: int = 6
    kafka_replication_factor: int = 1
    kafka_request_timeout_ms: int = 10_000
    #: How long the broker may hold a routing consumer's fetch when it has nothing new. Apache Kafka answers as soon
    #: as a record arrives; a broker that holds fetches (Tansu, used in development and the benchmarks, answers
    #: within half the wait) adds up to that much latency per hop. Shorter waits mean more idle fetches.
    kafka_fetch_max_wait_ms: int = 10
    #: The same for consumers off the routing path (SLA clocks, the dashboard, intake's following), whose effects
    #: may come a fraction of a second later: fewer idle fetches leave the cores to the routing path.
    kafka_off_path_fetch_max_wait_ms: int = 500
    embedded_bus_path: str = "./var/bus.db"
    outbox_poll_interval_s: float = 0.25
    outbox_batch_size: int = 200
    #: After a commit wakes the relay, it waits this long so that the next commits share one round trip.
    outbox_linger_s: float = 0.005
    consumer_batch_size: int = 100
    #: How long consumers off the routing path (SLA clocks, the dashboard, intake's following of routing and SLA
    #: events) gather a batch once its first record is in: a second on effects measured in days. Bigger batches cost
    #: far less per event, which leaves the cores to the routing path under load.
    consumer_linger_s: float = 1.0
    log_level: str = "INFO"
    #: Secret that signs bearer tokens (HS256 JWT), at least 32 bytes; every service verifies tokens with it. Unset on
    #: the embedded default, it is generated at first start and kept in ``auth_secret_file``; anywhere else (PostgreSQL
    #: or Kafka configured) the services refuse to start without it.
    auth_secret: str = Field("", repr=False)
    #: Where the embedded default keeps the secret it generated (readable by its owner only).
    auth_secret_file: str = "./var/auth_secret"
    #: Added to the process's scheduling niceness at start (0–19; higher yields the CPU to other processes). For a
    #: service off the routing path (the SLA service) that shares cores with intake and the router.
    process_niceness: int = Field(0, ge=0, le=19)
    #: Shifts this process's clock by so many seconds — for drills, demos and tests that must cross a deadline
    #: without waiting for it. Leave it at 0 in service.
    clock_offset_seconds: float = 0.0
    #: The working-day calendar's override file (``shared/data/calendar_overrides.json`` when unset): the SLA
    #: service's deadlines and intake's return window count working days with it.
    calendar_overrides_path: str | None = None
    #: Which policy set of ``shared/data/sla_policies.json`` this deployment applies (the SLA service keeps the
    #: clocks by it; intake's Open311 answers name the time limit it sets).
    sla_policy_set: str = "default"
    sla_policies_path: str | None = None

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return normalise_database_url(value)

    @model_validator(mode="after")
    def _signing_secret(self) -> "CommonSettings":
        if self.auth_secret:
            if weakness := _weakness(self.auth_secret):
                raise UnsafeSettings(f"AUTH_SECRET {weakness}: {HOW_TO_SET}")
        elif self.is_embedded_default:
            self.auth_secret = embedded_secret(Path(self.auth_secret_file))
        else:
            raise UnsafeSettings(
                "AUTH_SECRET is not set. With PostgreSQL or Kafka configured nothing generates one: " + HOW_TO_SET
            )
        return self

    @property
    def uses_kafka(self) -> bool:
        return bool(self.kafka_bootstrap_servers.strip())

    @property
    def is_embedded_default(self) -> bool:
        """SQLite and the embedded bus: the one-process product of ``make up`` on one machine."""
        return not self.uses_kafka and self.database_url.startswith("sqlite")

    def database_url_for(self, service: str) -> str:
        return self.database_url.replace("{service}", service)


def _weakness(secret: str) -> str | None:
    """Why ``secret`` would let others sign tokens, or None."""
    if secret in PUBLISHED_SECRETS:
        return "is the development value once published with this project"
    if len(secret.encode()) < MIN_SECRET_BYTES:
        return f"is shorter than {MIN_SECRET_BYTES} bytes"
    return None


def embedded_secret(path: Path) -> str:
    """The embedded default's signing secret: the one kept at ``path``, or a new random one written there (mode 0600)
    when there is none yet. Two processes starting together end up with the same secret: the file appears whole, by
    a hard link, and whoever comes second reads the first one's."""
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    draft = path.with_name(f".{path.name}.{secrets.token_hex(8)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(secret + "\n")
        try:
            os.link(draft, path)
        except FileExistsError:
            return _read_secret(path)
    finally:
        draft.unlink(missing_ok=True)
    return secret


def _read_secret(path: Path) -> str:
    if path.stat().st_mode & 0o077:
        path.chmod(0o600)  # a copy that others could read: owner-only again
    secret = path.read_text(encoding="utf-8").strip()
    if weakness := _weakness(secret):
        raise UnsafeSettings(f"the secret kept in {path} (AUTH_SECRET_FILE) {weakness}: delete the file to have a "
                             f"new one generated (tokens signed with it stop working), or {HOW_TO_SET}")
    return secret


class IntakeSettings(CommonSettings):
    intake_host: str = "127.0.0.1"
    intake_port: int = 8001
    #: Largest request body accepted by intake, in bytes (larger bodies get 413 before any parsing).
    max_body_bytes: int = 64 * 1024
    #: Concurrent writers of filing batches (each commits a group of filings in one transaction).
    filing_writers: int = 1
    #: How long a handler's claim on a complaint lasts; after it lapses a colleague may take the complaint over.
    claim_lease_minutes: int = 30
    #: Public filing limit per IP address (anonymous filings, and those with a filer's token): sustained rate and
    #: burst. ``0`` per minute turns the limit off.
    filing_rate_per_minute: float = Field(30.0, ge=0)
    filing_burst: int = Field(20, ge=0)
    #: Staff filing limit per token subject (an operator filing for callers): one operator taking calls stays far
    #: below it — the burst covers an hour's backlog typed in at once, the rate outpaces anyone typing — while a
    #: runaway script or a leaked token is stopped. ``0`` per minute turns the limit off.
    staff_filing_rate_per_minute: float = Field(10.0, ge=0)
    staff_filing_burst: int = Field(60, ge=0)
    #: Validity of the per-complaint access token returned at filing.
    filer_token_days: int = 365
    #: Tries of a complaint's short access code: per client (IP address, or an operator's token) every try counts,
    #: at this rate and burst (``0`` a minute: no limit); per tracking number the wrong codes count, and after
    #: ``ACCESS_CODE_ATTEMPTS`` of them the number is locked for ``ACCESS_CODE_LOCK_MINUTES`` (each further wrong code
    #: locks it again, and a quiet spell gives one try back per lock time).
    access_code_rate_per_minute: float = Field(10.0, ge=0)
    access_code_burst: int = Field(10, ge=0)
    access_code_attempts: int = Field(5, ge=1)
    access_code_lock_minutes: float = Field(15.0, gt=0)
    #: How long an Idempotency-Key answers with the complaint its client filed with it; after that the same key files
    #: a new complaint.
    idempotency_key_hours: float = Field(24.0, gt=0)
    #: An answered complaint the filer does not rate within this many days is closed.
    rating_window_days: int = 7
    #: 回访: an answered complaint with a contact is called back within this many working days of the answer …
    followup_working_days: int = Field(2, ge=1)
    #: … a filer not reached is called again on a later working day, at most this many calls in all …
    followup_max_attempts: int = Field(3, ge=1)
    #: … and which answers are called: ``all``, or ``sample`` — every answer of a complaint reopened after a
    #: 不满意, and this share (percent) of the others.
    followup_selection: Literal["all", "sample"] = "all"
    followup_sample_percent: int = Field(20, ge=0, le=100)
    #: A department may return (退回) a complaint until 24:00 of this many working days after the day it was placed
    #: with it; later only with a supervisor's permit (0: the day of placement only).
    return_window_working_days: int = Field(1, ge=0, le=30)
    #: A complaint by the same enterprise with nearly the same text within this window is a duplicate (重复件).
    duplicate_window_days: int = 30
    #: Character-bigram Jaccard similarity of title + text at or above which two complaints are the same.
    duplicate_similarity: float = 0.8
    #: How often the loop closing unrated answered complaints runs.
    autoclose_interval_s: float = 60.0
    #: The ``jurisdiction_id`` of the county's Open311 GeoReport v2 endpoint; empty: the county's name.
    open311_jurisdiction_id: str = ""
    #: Who carries the SMS that tell filers of their complaint (``services/intake/notify``): ``local`` writes each
    #: message to ``sms_local_path`` (the embedded default), ``aliyun`` / ``tencent`` send through that cloud's SMS
    #: with credentials from the environment (never from here).
    sms_provider: Literal["local", "aliyun", "tencent"] = "local"
    #: The signature (签名) every message is signed with, as registered with the provider; empty: ``<county>12345``.
    sms_sign_name: str = ""
    #: The provider's template code (Alibaba ``SMS_…``, Tencent's numeric id) of each template, as a JSON object.
    sms_template_codes: dict[str, str] = Field(default_factory=dict)
    #: Tencent Cloud's SmsSdkAppId and region.
    sms_tencent_app_id: str = ""
    sms_tencent_region: str = "ap-guangzhou"
    #: The provider's API endpoint (host or host:port); empty: the SDK's own.
    sms_endpoint: str = ""
    #: ``https`` unless the endpoint is a local stub or gateway.
    sms_protocol: Literal["https", "http"] = "https"
    #: Where the local provider writes the messages, one line each.
    sms_local_path: str = "./var/sms.txt"
    #: The filer's tracking page, named in the messages that ask the filer to act.
    sms_track_url: str = "http://127.0.0.1:8000/track"
    #: Tries of one message before it goes to the dead letter; the wait after the n-th failed try is
    #: ``sms_retry_base_s`` × 2^(n-1), at most an hour.
    sms_max_tries: int = Field(6, ge=1)
    sms_retry_base_s: float = Field(60.0, gt=0)
    #: How often the sender looks for messages due.
    sms_poll_interval_s: float = Field(2.0, gt=0)
    #: Messages a sender claims, sends side by side and records together. Larger batches cost less per message; a
    #: sender that dies after the provider took a batch and before recording it sends that batch again.
    sms_batch: int = Field(50, ge=1, le=100)
    #: Whether intake alone (``python -m services.intake``) also runs the notifier: the consumer writing the filers'
    #: messages and the sender. On by default. A deployment that runs the notifier as its own process
    #: (``python -m services.intake.notify``) turns it off on the replicas taking filings, so that sending never
    #: shares their cores and each side scales on its own. The whole product in one process always runs it.
    notifier_in_intake: bool = True
    #: The notifier's own process: where it serves ``/healthz``, ``/readyz`` and ``/metrics``.
    notifier_host: str = "127.0.0.1"
    notifier_port: int = 8004
    #: Where attachments (附件) are kept: ``local`` (a folder, ``attachment_dir``) or ``s3`` (an S3-compatible object
    #: store, needed when intake replicas run on several machines; credentials from the environment, see
    #: ``shared/storage.py``).
    attachment_store: Literal["local", "s3"] = "local"
    attachment_dir: str = "./var/attachments"
    attachment_s3_bucket: str = ""
    #: Empty: Amazon S3; else the object store's address (MinIO, Ceph …), e.g. ``http://10.0.0.5:9000``.
    attachment_s3_endpoint_url: str = ""
    attachment_s3_region: str = ""
    attachment_s3_prefix: str = "attachments/"
    #: Largest attachment, in bytes (10 MB), and how many a complaint may have.
    attachment_max_bytes: int = Field(10 * 1024 * 1024, gt=0)
    attachments_per_complaint: int = Field(10, gt=0)

    @model_validator(mode="after")
    def _attachment_bucket(self) -> "IntakeSettings":
        if self.attachment_store == "s3" and not self.attachment_s3_bucket.strip():
            raise UnsafeSettings("ATTACHMENT_STORE is s3 but ATTACHMENT_S3_BUCKET is not set")
        return self


class RouterSettings(CommonSettings):
    router_host: str = "127.0.0.1"
    router_port: int = 8002
    #: Below this confidence a complaint goes to the dispatcher's triage queue; empty = the classifier's default.
    triage_threshold: float | None = None


class SlaSettings(CommonSettings):
    sla_host: str = "127.0.0.1"
    sla_port: int = 8003
    timer_interval_s: float = 1.0
    timer_batch_size: int = 500


class AllInOneSettings(IntakeSettings, RouterSettings, SlaSettings):
    host: str = "127.0.0.1"
    port: int = 8000
