"""On a county intranet without internet the pages people open still work and load nothing from another host:
``/docs`` (Swagger UI builds its list of operations), ``/redoc`` (ReDoc lays out the operations) and the supervisors'
dashboard (login page, then the live page).

Headless Chromium (Debian's chromium + chromedriver under Selenium) cannot resolve any host name, as on such an
intranet, and records every request it makes; after each page every request, every entry of the page's
``performance.getEntriesByType('resource')`` and every ``src``/``href`` of its scripts, stylesheets and images must be
on the product's own address. Skips without Chromium, fails under CI.
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timezone

from shared.auth import issue_token
from tests.conftest import embedded_settings
from tests.support import Server, chromium_async

#: Schemes whose resources come from the page itself, not from a host.
LOCAL_SCHEMES = ("data:", "about:")
LOADED_BY_THE_PAGE = """
return [
  ...performance.getEntriesByType('resource').map(e => e.name),
  ...Array.from(document.querySelectorAll('script[src], img[src], iframe[src], source[src], link[href]'))
       .map(e => e.src || e.href),
];
"""


def _requested(driver) -> list[str]:
    """The URLs the browser requested since the last call (it keeps a performance log of the network)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
        elif message["method"] == "Network.webSocketCreated":
            urls.append(message["params"]["url"])
    return urls


def _visit(driver, origin: str, path: str, rendered, *, expect: str) -> None:
    """Open ``path``, wait until ``rendered(driver)`` (a page that stays blank fails), then check what it loaded:
    something (``expect``, a file of the page's own), and nothing from elsewhere."""
    from selenium.common.exceptions import TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    _requested(driver)  # what came before (the browser's own start page) is not this page's
    driver.get(origin + path)
    try:
        WebDriverWait(driver, 30).until(rendered)
        shown = True
    except TimeoutException:
        shown = False
    loaded = _requested(driver) + driver.execute_script(LOADED_BY_THE_PAGE)
    foreign = sorted({url for url in loaded if not _own(url, origin)})
    assert foreign == [], f"{path} loads from another host: {foreign}"
    assert any(url.split("?")[0].endswith(expect) for url in loaded), (path, loaded)
    assert shown, f"{path} did not render (blank page)"


def _own(url: str, origin: str) -> bool:
    url = url.removeprefix("blob:")
    return url == origin or url.startswith(origin + "/") or url.startswith(LOCAL_SCHEMES)


async def test_docs_and_dashboard_load_nothing_from_another_host(tmp_path):
    async with chromium_async(offline=True) as driver:
        settings = embedded_settings(tmp_path)
        token = issue_token(settings.auth_secret, role="supervisor", name="王督办", now=datetime.now(timezone.utc))
        with Server(settings) as server:
            await asyncio.to_thread(_browse, driver, server.url, token)


def _browse(driver, origin: str, token: str) -> None:
    from selenium.webdriver.common.by import By

    def operations(selector: str):
        return lambda d: len(d.find_elements(By.CSS_SELECTOR, selector)) >= 5

    _visit(driver, origin, "/docs", operations(".opblock .opblock-summary-path"), expect="/swagger-ui-bundle.js")
    paths = {e.get_attribute("data-path") for e in driver.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")}
    assert {"/v1/complaints", "/v1/classify", "/v1/triage"} <= paths, paths

    _visit(driver, origin, "/redoc", operations('[data-section-id*="/operation/"]'), expect="/redoc.standalone.js")
    assert "/v1/complaints" in driver.find_element(By.TAG_NAME, "body").text

    _visit(driver, origin, "/dashboard", lambda d: d.find_elements(By.ID, "token"), expect="/dashboard.css")
    driver.find_element(By.ID, "token").send_keys(token)
    driver.find_element(By.ID, "login").click()
    _visit(driver, origin, "/dashboard",
           lambda d: d.find_elements(By.CSS_SELECTOR, "#live.on") and d.find_elements(By.ID, "departments"),
           expect="/dashboard.js")
    driver.get("about:blank")  # closes the event stream before the server stops
