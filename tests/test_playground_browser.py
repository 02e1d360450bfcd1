"""Issue 6: `sdrs-bot demo` in a real browser (headless Debian Chromium through Selenium and
chromedriver; .ci/run installs both). A person types /sdrs commands into the page, clicks the
buttons and the confirm dialog, switches user, and reads the bot's answers; screenshots go to
test-artifacts/playground/. Ctrl-C stops the demo cleanly."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from bot.sandbox.local_env import ROOT, free_port
from bot.sandbox.seed import sid

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = ROOT / "test-artifacts" / "playground"

if not (shutil.which(CHROMIUM) and shutil.which(DRIVER)):
    if os.environ.get("CI"):
        raise RuntimeError("CI needs Debian's chromium and chromium-driver (.ci/run installs them)")
    pytest.skip(
        "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)",
        allow_module_level=True,
    )

from selenium import webdriver  # noqa: E402 - only once the browser is known to be there
from selenium.common.exceptions import StaleElementReferenceException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.remote.webdriver import WebDriver  # noqa: E402
from selenium.webdriver.support import expected_conditions as ec  # noqa: E402
from selenium.webdriver.support.select import Select  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402

T = TypeVar("T")


class Demo:
    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.log = ARTIFACTS / f"demo-{self.port}.log"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "demo", "--port", str(self.port),
             "--job-seconds", "2", *args],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )  # fmt: skip
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()
        self.started_in = time.monotonic() - started
        assert "open http://" in first, first
        self.url = first.split("open ", 1)[1].strip()

    def stop(self) -> tuple[int, float]:
        """Ctrl-C, as a person would; (exit code, seconds it took)."""
        children = subprocess.run(["pgrep", "-P", str(self.proc.pid)], capture_output=True,
                                  text=True, check=False).stdout.split()  # fmt: skip
        assert children == [], "the demo runs as one process"
        started = time.monotonic()
        self.proc.send_signal(signal.SIGINT)
        code = self.proc.wait(20)
        took = time.monotonic() - started
        assert not Path(f"/proc/{self.proc.pid}").exists()  # gone, nothing left behind
        assert self.proc.stdout is not None
        self.output = self.proc.stdout.read()
        self.proc.stdout.close()
        self.log.write_text(self.output, encoding="utf-8")
        return code, took


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                 "--window-size=1500,1000", "--lang=en-US"):  # fmt: skip
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    yield driver
    driver.quit()


def wait_for(driver: WebDriver, xpath: str, within: float = 30) -> object:
    return WebDriverWait(driver, within, poll_frequency=0.1).until(
        ec.presence_of_element_located((By.XPATH, xpath))
    )


def type_command(driver: WebDriver, text: str) -> None:
    box = driver.find_element(By.ID, "command")
    box.send_keys(text)
    box.send_keys(Keys.ENTER)


def retry(action: Callable[[], T], within: float = 10) -> T:
    """The page re-renders what changed (it polls): an element found a moment ago may be
    replaced; find it again."""
    deadline = time.monotonic() + within
    while True:
        try:
            return action()
        except StaleElementReferenceException:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def click_confirm(driver: WebDriver, index: int = 0) -> None:
    def click() -> None:
        buttons = WebDriverWait(driver, 30).until(
            lambda d: d.find_elements(By.CSS_SELECTOR, "button[data-action-id='sdrs_confirm']")[
                index:
            ]
        )
        buttons[0].click()

    retry(click)
    WebDriverWait(driver, 10).until(ec.element_to_be_clickable((By.ID, "confirm-yes"))).click()


def shot(driver: WebDriver, name: str) -> None:
    driver.save_screenshot(str(ARTIFACTS / f"{name}.png"))


def test_resize_rename_and_refusal_in_the_browser(browser: WebDriver) -> None:
    demo = Demo()
    try:
        print(f"\ndemo printed its URL {demo.started_in:.2f}s after start")  # noqa: T201
        browser.get(demo.url)
        wait_for(browser, "//*[@id='cloud-body']//td")
        type_command(browser, f"/sdrs resize {sid('pi-erp-db')} s6.xlarge.2")
        wait_for(browser, "//div[contains(@class,'message')]//*[contains(., 'ecs-erp-db-src')]")
        shot(browser, "1-confirmation")
        click_confirm(browser)
        wait_for(browser, "//div[contains(@class,'thread')]//*[contains(., 'SUCCESS')]")
        shot(browser, "2-success-in-thread")

        type_command(browser, f"/sdrs resize {sid('pi-erp-app')} s6.xlarge.2")
        refusal = wait_for(browser, "//div[contains(@class,'ephemeral')][contains(., 'is ACTIVE')]")
        assert "Only visible to you" in refusal.text  # type: ignore[attr-defined]
        shot(browser, "3-refused-preflight")

        type_command(browser, f"/sdrs drill rename {sid('drill-web')} web季度演练-2026")
        wait_for(browser, "//div[contains(@class,'message')]//*[contains(., 'web季度演练-2026')]")
        click_confirm(browser)
        wait_for(browser, "//div[contains(@class,'thread')]//*[contains(., 'Drill renamed to')]")
        shot(browser, "4-renamed-chinese")
    finally:
        code, took = demo.stop()
    assert code == 0, demo.output
    print(f"demo stopped {took:.2f}s after Ctrl-C")  # noqa: T201


def test_two_person_rule_with_a_second_user(browser: WebDriver) -> None:
    demo = Demo("--two-person")
    try:
        browser.get(demo.url)
        wait_for(browser, "//*[@id='cloud-body']//td")
        Select(browser.find_element(By.ID, "user")).select_by_value("U0ALICE001")
        type_command(browser, f"/sdrs resize {sid('pi-web-2')} s6.large.2")
        wait_for(browser, "//div[contains(@class,'message')]//*[contains(., 'ecs-web-2-src')]")
        click_confirm(browser)  # alice may not confirm her own request
        wait_for(browser, "//div[contains(@class,'ephemeral')][contains(., 'Two-person rule')]")
        shot(browser, "5-two-person-refused")
        Select(browser.find_element(By.ID, "user")).select_by_value("U0BOB00001")
        click_confirm(browser)
        wait_for(browser, "//div[contains(@class,'thread')]//*[contains(., 'SUCCESS')]")
        wait_for(browser, "//*[contains(., 'Confirmed by') and contains(., '@bob')]")
        shot(browser, "6-approved-by-bob")
    finally:
        code, _ = demo.stop()
    assert code == 0


def test_the_resize_form_in_the_browser(browser: WebDriver) -> None:
    demo = Demo()
    try:
        browser.get(demo.url)
        wait_for(browser, "//*[@id='cloud-body']//td")
        type_command(browser, "/sdrs resize")
        picker = wait_for(browser, "//*[@id='modal']//input[@name='instance']")
        picker.send_keys("erp-db")  # type: ignore[attr-defined]
        choice = "//div[@class='suggest']/div[contains(., 'erp-db')]"
        wait_for(browser, choice)  # options come from SDRS through the bot as you type
        retry(lambda: browser.find_element(By.XPATH, choice).click())
        wait_for(browser, "//*[@id='modal']//select[@name='production_flavor']")
        for site in ("production", "dr"):
            retry(lambda site=site: Select(  # type: ignore[misc]
                browser.find_element(By.XPATH, f"//select[@name='{site}_flavor']")
            ).select_by_value("s6.xlarge.2"))  # fmt: skip
        shot(browser, "7-resize-form")
        browser.find_element(By.ID, "modal-submit").click()
        wait_for(browser, "//div[contains(@class,'message')]//*[contains(., 'ecs-erp-db-tgt')]")
        assert not browser.find_elements(By.ID, "modal")
        shot(browser, "8-form-confirmation")
    finally:
        code, _ = demo.stop()
    assert code == 0
