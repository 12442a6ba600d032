"""Each SMS provider through its official SDK against a stub of its cloud on 127.0.0.1, which checks the request
(action, template, phone number, signature); a refusal is a failure with the cloud's code; the local provider writes
what the filer would read to a file under ./var/."""

from __future__ import annotations

from datetime import datetime

import pytest

from services.intake.notify.choice import make_provider
from services.intake.notify.providers import LocalFileProvider, OutgoingSms, SmsFailed
from shared.calendar import SHANGHAI
from shared.settings import IntakeSettings
from tests.intake.sms_stub import SmsStub

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)
PLACED = {"tracking_number": "TS20261207-7K3M9P", "department": "青山县供电局", "deadline": "12月17日"}
CREDENTIALS = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "LTAI-test", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "secret",
               "TENCENTCLOUD_SECRET_ID": "AKID-test", "TENCENTCLOUD_SECRET_KEY": "secret"}


def _settings(cloud: str, stub: SmsStub) -> IntakeSettings:
    return IntakeSettings(sms_provider=cloud, sms_endpoint=stub.endpoint, sms_protocol="http",
                          sms_tencent_app_id="1400000000", sms_sign_name="青山县12345")


def _message(code: str) -> OutgoingSms:
    return OutgoingSms("+8613812345678", "placed", PLACED, "青山县12345", code)


@pytest.fixture
def credentials(monkeypatch):
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)


async def test_alibaba_cloud_sends_through_its_sdk(credentials):
    with SmsStub() as stub:
        provider = make_provider(_settings("aliyun", stub))
        assert await provider.send(_message("SMS_480000001"), NOW) == "biz-1"
    assert stub.problems == []
    [sent] = stub.sent
    assert (sent.action, sent.phone, sent.template, sent.sign_name) == (
        "SendSms", "13812345678", "SMS_480000001", "青山县12345")
    assert sent.params == PLACED


async def test_tencent_cloud_sends_through_its_sdk(credentials):
    with SmsStub() as stub:
        provider = make_provider(_settings("tencent", stub))
        assert await provider.send(_message("2100001"), NOW) == "sn-1"
    assert stub.problems == []
    [sent] = stub.sent
    assert (sent.action, sent.phone, sent.template, sent.sign_name) == (
        "SendSms", "+8613812345678", "2100001", "青山县12345")
    assert sent.params == [PLACED["tracking_number"], PLACED["department"], PLACED["deadline"]]  # by position


@pytest.mark.parametrize("cloud, refusal, code", [
    ("aliyun", "isv.BUSINESS_LIMIT_CONTROL", "isv.BUSINESS_LIMIT_CONTROL"),
    ("tencent", "LimitExceeded.PhoneNumberDailyLimit", "LimitExceeded.PhoneNumberDailyLimit"),
])
async def test_a_refusal_is_a_failure_with_the_clouds_code(credentials, cloud, refusal, code):
    with SmsStub(failures=[refusal]) as stub:
        with pytest.raises(SmsFailed) as failed:
            await make_provider(_settings(cloud, stub)).send(_message("SMS_1"), NOW)
    assert failed.value.code == code and stub.sent == []


async def test_an_unreachable_cloud_is_a_failure(credentials):
    with SmsStub() as stub:
        settings = _settings("aliyun", stub)
    with pytest.raises(SmsFailed):  # the stub is gone: nothing listens there
        await make_provider(settings).send(_message("SMS_1"), NOW)


@pytest.mark.parametrize("cloud, missing", [("aliyun", "ALIBABA_CLOUD_ACCESS_KEY_SECRET"),
                                            ("tencent", "TENCENTCLOUD_SECRET_ID")])
def test_a_cloud_provider_needs_its_credentials_in_the_environment(credentials, monkeypatch, cloud, missing):
    monkeypatch.delenv(missing)
    with SmsStub() as stub, pytest.raises(SystemExit, match=missing):
        make_provider(_settings(cloud, stub))


async def test_the_local_provider_writes_what_the_filer_reads(tmp_path):
    path = tmp_path / "var" / "sms.txt"
    provider = make_provider(IntakeSettings(sms_local_path=str(path)))
    assert isinstance(provider, LocalFileProvider)
    await provider.send(_message(""), NOW)
    line = path.read_text(encoding="utf-8")
    assert line == ("2026-12-07T10:00:00+08:00\t138****5678\t【青山县12345】您的诉求TS20261207-7K3M9P已分派给青山县供电局，"
                    "将于12月17日前答复。\n")
    assert "13812345678" not in line
