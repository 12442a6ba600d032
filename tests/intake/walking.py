"""What the browser walks through the pages share: waiting for a value to come about, and the browser's few moves
(open, press and wait for the next page, log in to and out of the workbench)."""

from __future__ import annotations

import time

from tests.support import page_replaced


def poll(read, check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        seen = read()
        if check(seen):
            return seen
        time.sleep(0.2)
    raise AssertionError(f"not reached: {seen}")


class Pages:
    """The browser, with the few moves every walk through the pages makes."""

    def __init__(self, driver, url: str) -> None:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as EC
        from selenium.webdriver.support.ui import WebDriverWait

        self.driver, self.url, self.By, self.EC = driver, url, By, EC
        self.wait = WebDriverWait(driver, 30)

    def by_id(self, name: str):
        return self.wait.until(self.EC.presence_of_element_located((self.By.ID, name)))

    def press(self, css: str) -> None:
        """Press a button and wait for the page it answers with."""
        old = self.driver.find_element(self.By.TAG_NAME, "html")
        self.driver.find_element(self.By.CSS_SELECTOR, css).click()
        self.wait.until(page_replaced(old))

    def open(self, path: str) -> None:
        self.driver.get(self.url + path)

    def login(self, token: str) -> None:
        from selenium.common.exceptions import StaleElementReferenceException

        self.open("/workbench")
        for _ in range(3):  # the login form of a page the browser was still replacing goes stale: find it anew
            try:
                field = self.by_id("token")
                field.clear()
                field.send_keys(token)
                break
            except StaleElementReferenceException:
                time.sleep(0.2)
        self.press("#login")
        self.by_id("who")

    def logout(self) -> None:
        self.press("#logout")
        self.by_id("token")
