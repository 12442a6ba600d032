"""The SMS provider the settings choose: the local file on the embedded default, or Alibaba Cloud or Tencent Cloud
SMS, each imported only when chosen (their SDKs are loaded by no other deployment)."""

from __future__ import annotations

from services.intake.notify.providers import LocalFileProvider, SmsProvider
from shared.settings import IntakeSettings


def make_provider(settings: IntakeSettings) -> SmsProvider:
    """The provider ``SMS_PROVIDER`` names, configured by the settings and the environment."""
    if settings.sms_provider == "aliyun":
        from services.intake.notify.aliyun import AliyunSms

        return AliyunSms.from_settings(settings)
    if settings.sms_provider == "tencent":
        from services.intake.notify.tencent import TencentSms

        return TencentSms.from_settings(settings)
    return LocalFileProvider(settings.sms_local_path)
