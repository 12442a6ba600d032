"""A stub of the Alibaba Cloud and Tencent Cloud SMS APIs on 127.0.0.1: it checks each request as the cloud would
(action, template, phone number, signature) and answers as the cloud does — success, or an error it is told to give."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass
class Sent:
    cloud: str
    action: str
    phone: str
    template: str
    sign_name: str
    params: Any


@dataclass
class SmsStub:
    sent: list[Sent] = field(default_factory=list)
    #: Refusals (the cloud's error codes) to answer before succeeding again; "http500" answers a server error.
    failures: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def __enter__(self) -> "SmsStub":
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                authorization = self.headers.get("Authorization", "")
                if authorization.startswith("TC3-HMAC-SHA256 "):
                    status, answer = stub._tencent(self.headers, json.loads(body or b"{}"))
                elif authorization.startswith("ACS3-HMAC-SHA256 "):
                    status, answer = stub._aliyun(self.headers, parse_qs(urlsplit(self.path).query))
                else:
                    stub.problems.append("request without the cloud's signature")
                    status, answer = 403, {"Code": "SignatureDoesNotMatch"}
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *_args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *_exc: Any) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self._server.server_address[1]}"

    def _refusal(self) -> str | None:
        return self.failures.pop(0) if self.failures else None

    def _aliyun(self, headers: Any, query: dict[str, list[str]]) -> tuple[int, dict]:
        one = {k: v[0] for k, v in query.items()}
        if "Signature=" not in headers.get("Authorization", "") or not one.get("SignName"):
            self.problems.append("aliyun: no request signature or no SignName")
        if refusal := self._refusal():
            return (500, {"Code": "ServiceUnavailable"}) if refusal == "http500" else (200, {"Code": refusal})
        self.sent.append(Sent("aliyun", headers.get("x-acs-action", ""), one.get("PhoneNumbers", ""),
                              one.get("TemplateCode", ""), one.get("SignName", ""),
                              json.loads(one.get("TemplateParam", "{}"))))
        return 200, {"Code": "OK", "Message": "OK", "BizId": f"biz-{len(self.sent)}", "RequestId": "r"}

    def _tencent(self, headers: Any, body: dict[str, Any]) -> tuple[int, dict]:
        if "Signature=" not in headers.get("Authorization", "") or not body.get("SignName"):
            self.problems.append("tencent: no request signature or no SignName")
        phones = body.get("PhoneNumberSet") or [""]
        if refusal := self._refusal():
            status = {"Code": refusal, "Message": "refused", "PhoneNumber": phones[0], "SerialNo": "", "Fee": 0,
                      "SessionContext": "", "IsoCode": "CN"}
            return 200, {"Response": {"SendStatusSet": [status], "RequestId": "r"}}
        self.sent.append(Sent("tencent", headers.get("X-TC-Action", ""), phones[0], body.get("TemplateId", ""),
                              body.get("SignName", ""), body.get("TemplateParamSet")))
        status = {"Code": "Ok", "Message": "send success", "PhoneNumber": phones[0], "SerialNo": f"sn-{len(self.sent)}",
                  "Fee": 1, "SessionContext": body.get("SessionContext", ""), "IsoCode": "CN"}
        return 200, {"Response": {"SendStatusSet": [status], "RequestId": "r"}}
