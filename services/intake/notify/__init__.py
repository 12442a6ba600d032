"""Filers are told by SMS (短信告知): when their complaint is filed, placed with a department, asked for information,
answered, reopened and closed.

- ``texts`` and ``templates.json``: what the filer reads (data, in Chinese, one SMS segment, signed);
- ``compose``: which message each event brings, written once per (complaint, event), deferred out of 22:00–08:00;
- ``sender``: claims the due messages, sends each once through the provider, retries, dead-letters;
- ``providers``, ``aliyun``, ``tencent``: the provider interface, the local file, and the two clouds' SDKs;
- ``http``: the filer's opt-out;
- ``app``, ``__main__``: the notifier as a process of its own (``python -m services.intake.notify``).

Only intake holds the filer's number, so the notifier lives here; it follows the events through its own consumer
group (``intake-notify``), inside intake's process or in its own beside intake's replicas (``NOTIFIER_IN_INTAKE``).
"""

from __future__ import annotations

from datetime import timedelta

from shared.events import TOPIC_INTAKE, TOPIC_SLA
from shared.runtime import ServiceRuntime
from shared.settings import IntakeSettings

#: The notifier's consumer group: its own offsets and processed-event records.
CONSUMER = "intake-notify"


def install(runtime: ServiceRuntime, settings: IntakeSettings) -> None:
    """Add the notifier's consumer and sender to intake's runtime."""
    from services.intake.notify.compose import Follower
    from services.intake.notify.choice import make_provider
    from services.intake.notify.providers import sign_name
    from services.intake.notify.sender import SendPolicy, SmsSender

    follower = Follower(settings.sms_track_url, settings.rating_window_days)
    runtime.add_consumer((TOPIC_INTAKE, TOPIC_SLA), follower.handlers(), group=CONSUMER, prefetch=follower.prefetch,
                         off_routing_path=True)
    policy = SendPolicy(sign_name(settings), dict(settings.sms_template_codes), settings.sms_max_tries,
                        timedelta(seconds=settings.sms_retry_base_s))
    sender = SmsSender(runtime.db, make_provider(settings), policy, batch=settings.sms_batch)
    runtime.components["sms_sender"] = sender
    runtime.add_loop("sms-sender", lambda: sender.run(settings.sms_poll_interval_s))
