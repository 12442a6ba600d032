"""Tencent Cloud SMS (短信, API 2021-01-11) through its official Python SDK.

Credentials come from the environment as the SDK names them (``TENCENTCLOUD_SECRET_ID``, ``TENCENTCLOUD_SECRET_KEY``);
the application (``SMS_TENCENT_APP_ID``), region, endpoint (default the SDK's ``sms.tencentcloudapi.com``) and
protocol from the settings. The template's values go by position, in the order of its placeholders.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

from tencentcloud.common import credential as tencent_credential
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models, sms_client

from services.intake.notify import texts
from services.intake.notify.providers import OutgoingSms, SmsFailed, credential
from shared.settings import IntakeSettings

#: Seconds the SDK waits for the answer (a claim's lease outlasts it).
TIMEOUT_S = 10


class TencentSms:
    name = "tencent"

    def __init__(self, client: sms_client.SmsClient, app_id: str) -> None:
        self._client = client
        self._app_id = app_id

    @classmethod
    def from_settings(cls, settings: IntakeSettings) -> "TencentSms":
        if not settings.sms_tencent_app_id:
            raise SystemExit("refusing to start: SMS_PROVIDER=tencent needs SMS_TENCENT_APP_ID")
        secret = tencent_credential.Credential(credential("TENCENTCLOUD_SECRET_ID"),
                                               credential("TENCENTCLOUD_SECRET_KEY"))
        http = HttpProfile(protocol=settings.sms_protocol, endpoint=settings.sms_endpoint or "sms.tencentcloudapi.com",
                           reqTimeout=TIMEOUT_S)
        client = sms_client.SmsClient(secret, settings.sms_tencent_region, ClientProfile(httpProfile=http))
        return cls(client, settings.sms_tencent_app_id)

    async def send(self, message: OutgoingSms, now: datetime) -> str:
        request = models.SendSmsRequest()
        request.PhoneNumberSet = [message.phone]
        request.SmsSdkAppId = self._app_id
        request.SignName = message.sign_name
        request.TemplateId = message.template_code
        request.TemplateParamSet = [str(message.params[name]) for name in texts.parameters(message.template)]
        request.SessionContext = message.reference
        try:
            response = await asyncio.to_thread(self._client.SendSms, request)
        except Exception as exc:  # noqa: BLE001 - the SDK wraps its own and the transport's errors
            raise SmsFailed(str(getattr(exc, "code", None) or type(exc).__name__)) from None
        status = (response.SendStatusSet or [None])[0]
        if status is None or status.Code != "Ok":
            raise SmsFailed(getattr(status, "Code", None) or "no_answer")
        return status.SerialNo or message.reference
