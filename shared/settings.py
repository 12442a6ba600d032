"""Settings for every service, read from environment variables and an optional ``.env`` file (pydantic-settings).

``CommonSettings`` holds what all three services need (database, broker, logging); each service subclasses it with
its own fields, so one process can build all three from the same environment.
"""

from __future__ import annotations

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def normalise_database_url(url: str) -> str:
    """Give a plain PostgreSQL or SQLite URL its async driver (asyncpg / aiosqlite)."""
    for plain in ("postgresql://", "postgres://", "postgresql+psycopg2://", "postgresql+psycopg://"):
        if url.startswith(plain):
            return "postgresql+asyncpg://" + url[len(plain):]
    if url.startswith("sqlite:///"):
        return "sqlite+aiosqlite:///" + url[len("sqlite:///"):]
    return url


class CommonSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

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
    #: Secret that signs bearer tokens (HS256 JWT); every service verifies tokens with it. The default is for the
    #: embedded default on a laptop only: set your own in any shared deployment.
    auth_secret: str = "development-only-secret-change-me"
    #: Added to the process's scheduling niceness at start (0–19; higher yields the CPU to other processes). For a
    #: service off the routing path (the SLA service) that shares cores with intake and the router.
    process_niceness: int = Field(0, ge=0, le=19)
    #: Shifts this process's clock by so many seconds — for drills, demos and tests that must cross a deadline
    #: without waiting for it. Leave it at 0 in service.
    clock_offset_seconds: float = 0.0

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return normalise_database_url(value)

    @property
    def uses_kafka(self) -> bool:
        return bool(self.kafka_bootstrap_servers.strip())

    def database_url_for(self, service: str) -> str:
        return self.database_url.replace("{service}", service)


class IntakeSettings(CommonSettings):
    intake_host: str = "127.0.0.1"
    intake_port: int = 8001
    #: Largest request body accepted by intake, in bytes (larger bodies get 413 before any parsing).
    max_body_bytes: int = 64 * 1024
    #: Concurrent writers of filing batches (each commits a group of filings in one transaction).
    filing_writers: int = 1
    #: How long a handler's claim on a complaint lasts; after it lapses a colleague may take the complaint over.
    claim_lease_minutes: int = 30
    #: Public filing limit per client (IP address, or the token's subject for staff): sustained rate and burst.
    #: ``0`` per minute turns the limit off.
    filing_rate_per_minute: float = 30.0
    filing_burst: int = 20
    #: Validity of the per-complaint access token returned at filing.
    filer_token_days: int = 365
    #: How long an Idempotency-Key answers with the complaint its client filed with it; after that the same key files
    #: a new complaint.
    idempotency_key_hours: float = Field(24.0, gt=0)
    #: An answered complaint the filer does not rate within this many days is closed.
    rating_window_days: int = 7
    #: A complaint by the same enterprise with nearly the same text within this window is a duplicate (重复件).
    duplicate_window_days: int = 30
    #: Character-bigram Jaccard similarity of title + text at or above which two complaints are the same.
    duplicate_similarity: float = 0.8
    #: How often the loop closing unrated answered complaints runs.
    autoclose_interval_s: float = 60.0


class RouterSettings(CommonSettings):
    router_host: str = "127.0.0.1"
    router_port: int = 8002
    #: Below this confidence a complaint goes to the dispatcher's triage queue; empty = the classifier's default.
    triage_threshold: float | None = None
    gazetteer_path: str | None = None


class SlaSettings(CommonSettings):
    sla_host: str = "127.0.0.1"
    sla_port: int = 8003
    #: Which policy set of ``shared/data/sla_policies.json`` this deployment applies.
    sla_policy_set: str = "default"
    sla_policies_path: str | None = None
    calendar_overrides_path: str | None = None
    timer_interval_s: float = 1.0
    timer_batch_size: int = 500


class AllInOneSettings(IntakeSettings, RouterSettings, SlaSettings):
    host: str = "127.0.0.1"
    port: int = 8000
