"""Alibaba Cloud SMS (短信服务, Dysmsapi 2017-05-25) through its official Python SDK.

Credentials come from the environment as the SDK names them (``ALIBABA_CLOUD_ACCESS_KEY_ID``,
``ALIBABA_CLOUD_ACCESS_KEY_SECRET``); the endpoint (``SMS_ENDPOINT``, default the SDK's ``dysmsapi.aliyuncs.com``)
and protocol come from the settings. The template's values go by name, as ``TemplateParam`` JSON.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime

from alibabacloud_dysmsapi20170525 import models
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi import models as openapi
from darabonba.runtime import RuntimeOptions

from services.intake.notify.providers import OutgoingSms, SmsFailed, credential
from shared.settings import IntakeSettings

#: Milliseconds the SDK waits to connect and for the answer (a claim's lease outlasts both).
TIMEOUT_MS = 10_000


class AliyunSms:
    name = "aliyun"

    def __init__(self, client: Client) -> None:
        self._client = client

    @classmethod
    def from_settings(cls, settings: IntakeSettings) -> "AliyunSms":
        config = openapi.Config(
            access_key_id=credential("ALIBABA_CLOUD_ACCESS_KEY_ID"),
            access_key_secret=credential("ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
            endpoint=settings.sms_endpoint or "dysmsapi.aliyuncs.com", protocol=settings.sms_protocol,
            region_id="cn-hangzhou", connect_timeout=TIMEOUT_MS, read_timeout=TIMEOUT_MS,
        )
        return cls(Client(config))

    async def send(self, message: OutgoingSms, now: datetime) -> str:
        request = models.SendSmsRequest(
            phone_numbers=message.phone.removeprefix("+86"), sign_name=message.sign_name,
            template_code=message.template_code, out_id=message.reference,
            template_param=json.dumps(message.params, ensure_ascii=False),
        )
        runtime = RuntimeOptions(connect_timeout=TIMEOUT_MS, read_timeout=TIMEOUT_MS, autoretry=False)
        try:
            response = await asyncio.to_thread(self._client.send_sms_with_options, request, runtime)
        except Exception as exc:  # noqa: BLE001 - the SDK raises its own and the transport's errors
            raise SmsFailed(str(getattr(exc, "code", None) or type(exc).__name__)) from None
        body = response.body
        if body is None or body.code != "OK":
            raise SmsFailed(getattr(body, "code", None) or "no_answer")
        return body.biz_id or message.reference
