"""`sdrs-bot demo` in a real browser (headless Debian Chromium through Selenium and
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

from bot.sandbox.seed import LONG_NAME, sid
from tests.support.local_env import ROOT, free_port

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
from selenium.webdriver.remote.webelement import WebElement  # noqa: E402
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
            [
                sys.executable,
                "-m",
                "bot.cli",
                "demo",
                "--port",
                str(self.port),
                "--job-seconds",
                "2",
                *args,
            ],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert self.proc.stdout is not None
        first = self.proc.stdout.readline()
        self.started_in = time.monotonic() - started
        assert "open http://" in first, first
        self.url = first.split("open ", 1)[1].strip()

    def stop(self) -> tuple[int, float]:
        """Ctrl-C, as a person would; (exit code, seconds it took)."""
        children = subprocess.run(
            ["pgrep", "-P", str(self.proc.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
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
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--window-size=1500,1000",
        "--lang=en-US",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver._web_element_cls = Refound  # elements found by wait_for read their text anew
    yield driver
    driver.quit()


class Refound(WebElement):
    """The page polls and draws anew what changed, so an element found a moment ago may have
    been replaced by the time its text is read (StaleElementReferenceException, seen twice on
    a busy machine): one found by :func:`wait_for` reads its text from the element its XPath
    finds now instead."""

    xpath: str | None = None

    @property
    def text(self) -> str:
        element: WebElement = self
        deadline = time.monotonic() + 10
        while True:
            try:
                return str(WebElement.text.fget(element))  # type: ignore[attr-defined]
            except StaleElementReferenceException:
                if self.xpath is None or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
                element = self.parent.find_element(By.XPATH, self.xpath)


def wait_for(driver: WebDriver, xpath: str, within: float = 30) -> object:
    found = WebDriverWait(driver, within, poll_frequency=0.1).until(
        ec.presence_of_element_located((By.XPATH, xpath))
    )
    if isinstance(found, Refound):
        found.xpath = xpath
    return found


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


def open_thread(driver: WebDriver, of: str = "") -> None:
    """Click the "N replies" of the (last) message containing ``of``: threads are collapsed
    in the channel, as in Slack, and open in the side panel."""
    xpath = f"//*[@id='messages']/div[contains(., '{of}')]//a[contains(@class,'replies')]"

    def click() -> None:
        links = WebDriverWait(driver, 30).until(lambda d: d.find_elements(By.XPATH, xpath))
        links[-1].click()

    retry(click)
    WebDriverWait(driver, 10).until(ec.visibility_of_element_located((By.ID, "thread")))


def in_thread(driver: WebDriver, text: str, within: float = 30) -> object:
    return wait_for(driver, f"//*[@id='thread-body']//*[contains(., '{text}')]", within)


def fault(driver: WebDriver, kind: str) -> str:
    """Flip one of the page's fault switches; what the page says it did."""
    before = driver.find_element(By.ID, "fault-done").text
    driver.find_element(By.CSS_SELECTOR, f"button[data-fault='{kind}']").click()
    WebDriverWait(driver, 10).until(
        lambda d: d.find_element(By.ID, "fault-done").text not in ("", before)
    )
    return str(driver.find_element(By.ID, "fault-done").text)


def ready(driver: WebDriver, demo: Demo, *, english: bool = True) -> None:
    """The page loaded. alice's Slack language is Chinese: unless ``english`` is False she
    first chooses English (``/sdrs lang en``), so that tests read her private answers and forms
    in the words they look for."""
    driver.get(demo.url)
    wait_for(driver, "//*[@id='cloud-body']//td")
    if english:
        type_command(driver, "/sdrs lang en")
        wait_for(driver, "//div[contains(@class,'ephemeral')][contains(., 'in English')]")


def visible_in(driver: WebDriver, element: object, box_id: str) -> bool:
    """Is the element inside the scroll box's visible part, and the box inside the window?"""
    return bool(
        driver.execute_script(
            """const el = arguments[0].getBoundingClientRect();
        const box = document.getElementById(arguments[1]).getBoundingClientRect();
        return el.top >= box.top - 1 && el.bottom <= box.bottom + 1
          && box.bottom <= innerHeight;""",
            element,
            box_id,
        )
    )


def test_resize_rename_and_refusal_in_the_browser(browser: WebDriver) -> None:
    demo = Demo()
    try:
        print(f"\ndemo printed its URL {demo.started_in:.2f}s after start")  # noqa: T201
        ready(browser, demo)
        type_command(browser, f"/sdrs resize {sid('pi-erp-db')} s6.xlarge.2")
        wait_for(browser, "//div[contains(@class,'message')]//*[contains(., 'ecs-erp-db-src')]")
        shot(browser, "1-confirmation")
        click_confirm(browser)
        open_thread(browser)
        in_thread(browser, "SUCCESS")
        shot(browser, "2-success-in-thread")

        type_command(browser, f"/sdrs resize {sid('pi-erp-app')} s6.xlarge.2")
        refusal = wait_for(browser, "//div[contains(@class,'ephemeral')][contains(., 'is ACTIVE')]")
        assert "Only visible to you" in refusal.text  # type: ignore[attr-defined]
        shot(browser, "3-refused-preflight")

        type_command(browser, f"/sdrs drill rename {sid('drill-web')} web季度演练-2026")
        wait_for(browser, "//div[contains(@class,'message')]//*[contains(., 'web季度演练-2026')]")
        click_confirm(browser)
        open_thread(browser, "web季度演练-2026")
        in_thread(browser, "Drill renamed to")
        shot(browser, "4-renamed-chinese")
    finally:
        code, took = demo.stop()
    assert code == 0, demo.output
    print(f"demo stopped {took:.2f}s after Ctrl-C")  # noqa: T201


def test_two_person_rule_with_a_second_user(browser: WebDriver) -> None:
    demo = Demo("--two-person")
    try:
        ready(browser, demo)
        Select(browser.find_element(By.ID, "user")).select_by_value("U0ALICE001")
        assert "Two-person rule" in browser.find_element(By.ID, "mode").text
        type_command(browser, f"/sdrs resize {sid('pi-web-2')} s6.large.2")
        wait_for(browser, "//div[contains(@class,'message')]//*[contains(., 'ecs-web-2-src')]")
        click_confirm(browser)  # alice may not confirm her own request
        wait_for(browser, "//div[contains(@class,'ephemeral')][contains(., 'Two-person rule')]")
        shot(browser, "5-two-person-refused")
        Select(browser.find_element(By.ID, "user")).select_by_value("U0BOB00001")
        click_confirm(browser)
        open_thread(browser)
        in_thread(browser, "SUCCESS")
        wait_for(browser, "//*[contains(., 'Confirmed by') and contains(., '@bob')]")
        shot(browser, "6-approved-by-bob")
    finally:
        code, _ = demo.stop()
    assert code == 0


def test_the_resize_form_in_the_browser(browser: WebDriver) -> None:
    demo = Demo()
    try:
        ready(browser, demo)
        type_command(browser, "/sdrs resize")
        picker = wait_for(browser, "//*[@id='modal']//input[@name='instance']")
        picker.send_keys("erp-db")  # type: ignore[attr-defined]
        choice = "//div[@class='suggest']/div[contains(., 'erp-db')]"
        wait_for(browser, choice)  # options come from SDRS through the bot as you type
        retry(lambda: browser.find_element(By.XPATH, choice).click())
        wait_for(browser, "//*[@id='modal']//select[@name='production_flavor']")
        modal = browser.find_element(By.ID, "modal").text
        flavors = modal.split("Dedicated host")[0].split("Running servers")[0]
        assert "(optional)" not in flavors  # flavors are required
        assert "Running servers (optional)" in modal  # the stop-start box is not
        assert "Now s6.large.2 (2 vCPU, 4 GiB) · stopped" in modal
        retry(
            lambda: Select(
                browser.find_element(By.XPATH, "//select[@name='production_flavor']")
            ).select_by_value("s6.xlarge.2")
        )
        # unticking the DR site rebuilds the form without its field; the production choice stays
        dr_box = "//*[@id='modal']//input[@type='checkbox'][@value='dr']"
        retry(lambda: browser.find_element(By.XPATH, dr_box).click())
        WebDriverWait(browser, 30, poll_frequency=0.1).until(
            lambda d: not d.find_elements(By.XPATH, "//select[@name='dr_flavor']")
        )
        kept = Select(browser.find_element(By.XPATH, "//select[@name='production_flavor']"))
        assert kept.first_selected_option.get_attribute("value") == "s6.xlarge.2"
        shot(browser, "7-resize-form-dr-unticked")
        retry(lambda: browser.find_element(By.XPATH, dr_box).click())
        wait_for(browser, "//*[@id='modal']//select[@name='dr_flavor']")
        for site in ("production", "dr"):
            retry(
                lambda site=site: Select(  # type: ignore[misc]
                    browser.find_element(By.XPATH, f"//select[@name='{site}_flavor']")
                ).select_by_value("s6.xlarge.2")
            )
        shot(browser, "7-resize-form")
        browser.find_element(By.ID, "modal-submit").click()
        wait_for(browser, "//div[contains(@class,'message')]//*[contains(., 'ecs-erp-db-tgt')]")
        assert not browser.find_elements(By.ID, "modal")
        shot(browser, "8-form-confirmation")
        # a reload is a new client: as in Slack, the open modal is gone (and stays gone)
        type_command(browser, "/sdrs resize")
        wait_for(browser, "//*[@id='modal']//input[@name='instance']")
        browser.refresh()
        wait_for(browser, "//*[@id='mode'][contains(., 'Approval')]")  # the first poll is done
        assert not browser.find_elements(By.ID, "modal")
        assert browser.find_element(By.ID, "modal-layer").get_attribute("hidden") is not None
    finally:
        code, _ = demo.stop()
    assert code == 0


def test_a_flavor_past_the_100th_is_typed_ahead_in_the_browser(browser: WebDriver) -> None:
    """hpc-render's servers may be resized to more flavors than a select holds: the field is a
    type-ahead whose options the bot answers (signed block_suggestion) as you type, and a flavor
    well past the 100th is picked and confirmed."""
    demo = Demo()
    try:
        ready(browser, demo)
        type_command(browser, "/sdrs resize")
        picker = wait_for(browser, "//*[@id='modal']//input[@name='instance']")
        picker.send_keys("hpc")  # type: ignore[attr-defined]
        choice = "//div[@class='suggest']/div[contains(., 'hpc-render')]"
        wait_for(browser, choice)
        retry(lambda: browser.find_element(By.XPATH, choice).click())
        field = "//*[@id='modal']//input[@name='production_flavor']"
        wait_for(browser, field)
        assert "allowed)" in str(browser.find_element(By.XPATH, field).get_attribute("placeholder"))
        dr_box = "//*[@id='modal']//input[@type='checkbox'][@value='dr']"
        retry(lambda: browser.find_element(By.XPATH, dr_box).click())  # production only
        WebDriverWait(browser, 30, poll_frequency=0.1).until(
            lambda d: not d.find_elements(By.XPATH, "//input[@name='dr_flavor']")
        )
        retry(lambda: browser.find_element(By.XPATH, field).send_keys("m7.48xlarge.16"))
        flavor = "//div[@class='suggest']/div[starts-with(., 'm7.48xlarge.16 ')]"
        wait_for(browser, flavor)
        retry(lambda: browser.find_element(By.XPATH, flavor).click())
        shot(browser, "7-resize-form-type-ahead")
        browser.find_element(By.ID, "modal-submit").click()
        wait_for(browser, "//div[contains(@class,'message')]//*[contains(., 'm7.48xlarge.16')]")
        assert not browser.find_elements(By.ID, "modal")
    finally:
        code, _ = demo.stop()
    assert code == 0


def test_layout_plain_text_and_private_replies_like_slack(browser: WebDriver) -> None:
    """60 messages: the window does not scroll, the header and the message box stay put, only
    the list scrolls and the newest message is in view (also after a reload). Plain text is a
    channel message, not a command; a private reply is the app's, "Only visible to you", and
    gone after a reload."""
    demo = Demo()
    try:
        ready(browser, demo)
        for n in range(1, 60):  # as fast as typing them, through the page's own endpoint
            browser.execute_async_script(
                """const done = arguments[arguments.length - 1];
                fetch("/ui/command", {method: "POST",
                  headers: {"Content-Type": "application/json"},
                  body: JSON.stringify({user: "U0ALICE001", text: arguments[0]})
                }).then(() => done());""",
                f"status update {n}: replication healthy",
            )
        type_command(browser, "hello, is the DR drill on today?")
        last = wait_for(browser, "//*[@id='messages']/div[contains(., 'is the DR drill on')]")
        box = browser.find_element(By.ID, "command")
        WebDriverWait(browser, 10).until(lambda d: visible_in(d, last, "messages"))
        shot(browser, "9-sixty-messages")
        sizes = browser.execute_script(
            "return [document.scrollingElement.scrollHeight, innerHeight,"
            " document.getElementById('messages').scrollHeight,"
            " document.getElementById('messages').clientHeight]"
        )
        assert sizes[0] <= sizes[1], sizes  # the page itself does not scroll
        assert sizes[2] > 2 * sizes[3], sizes  # the list does
        assert box.is_displayed() and box.rect["y"] + box.rect["height"] <= sizes[1]
        header = browser.find_element(By.CSS_SELECTOR, "main > header")
        assert header.rect["y"] >= 0 and header.is_displayed()
        assert "alice" in last.text and "not a command" not in last.text  # type: ignore[attr-defined]
        assert not browser.find_elements(By.XPATH, "//*[contains(., 'is not a command')]")

        type_command(browser, "/sdrs help")  # a private reply arrives below 60 messages: in view
        private = wait_for(browser, "//div[contains(@class,'ephemeral')][contains(., 'resize')]")
        WebDriverWait(browser, 10).until(lambda d: visible_in(d, private, "messages"))
        meta = private.find_element(By.CLASS_NAME, "meta").text  # type: ignore[attr-defined]
        assert meta.startswith("sdrs-bot") and "Only visible to you" in meta
        shot(browser, "10-private-reply-in-view")

        # usage lines read as typed: Slack's &lt;...&gt; rendered as text, never eaten as <...>
        type_command(browser, "/sdrs resize erp-db large")
        usage = wait_for(
            browser, "//div[contains(@class,'ephemeral')][contains(., 'not a flavor')]"
        )
        text = usage.text  # type: ignore[attr-defined]
        assert "/sdrs resize <protected-instance-id> <flavor>" in text, text
        assert "production=<flavor> dr=<flavor>" in text, text
        shot(browser, "10b-usage-as-typed")

        browser.refresh()
        last = wait_for(browser, "//*[@id='messages']/div[contains(., 'is the DR drill on')]")
        WebDriverWait(browser, 10).until(lambda d: visible_in(d, last, "messages"))
        assert browser.find_element(By.ID, "command").is_displayed()
        assert not browser.find_elements(By.CSS_SELECTOR, ".ephemeral")  # gone, as in Slack
        assert "Approval: the requester confirms" in browser.find_element(By.ID, "mode").text
        shot(browser, "11-after-reload")
    finally:
        code, _ = demo.stop()
    assert code == 0


def test_threads_collapse_and_open_on_the_side(browser: WebDriver) -> None:
    demo = Demo()
    try:
        ready(browser, demo)
        type_command(browser, f"/sdrs resize {sid('pi-erp-db')} s6.xlarge.2")
        click_confirm(browser)
        wait_for(browser, "//a[contains(@class,'replies')][contains(., '2 replies')]")
        channel = browser.find_element(By.ID, "messages").text
        # collapsed: the replies stay in the thread (the confirmation itself may already be
        # edited to its end, "job ...: SUCCESS")
        assert "SUCCESS: resize" not in channel and "Submitted to SDRS" not in channel
        assert not browser.find_element(By.ID, "thread").is_displayed()
        shot(browser, "12-thread-collapsed")
        open_thread(browser)
        in_thread(browser, "Submitted to SDRS")
        in_thread(browser, "SUCCESS")
        assert not browser.find_element(By.ID, "cloud").is_displayed()  # the panel takes the side
        shot(browser, "13-thread-open")
        browser.find_element(By.ID, "thread-close").click()
        assert browser.find_element(By.ID, "cloud").is_displayed()
        # /sdrs history links each operation to its thread (chat.getPermalink): it opens here
        type_command(browser, "/sdrs history")
        link = "//div[contains(@class,'ephemeral')]//a[text()='thread']"
        wait_for(browser, link)
        retry(lambda: browser.find_element(By.XPATH, link).click())
        WebDriverWait(browser, 10).until(ec.visibility_of_element_located((By.ID, "thread")))
        in_thread(browser, "SUCCESS")
        shot(browser, "13-history-thread-link")
    finally:
        code, _ = demo.stop()
    assert code == 0


def test_the_cloud_panel_keeps_its_buttons(browser: WebDriver) -> None:
    """Updated in place: a button found now is the same element seconds later, so a click is
    never lost to a redraw."""
    demo = Demo()
    try:
        ready(browser, demo)
        server = "//div[starts-with(@id,'srv-')][contains(., 'ecs-erp-app-tgt')]"
        button = wait_for(browser, f"{server}//button")
        tag = browser.execute_script("arguments[0].dataset.mark = 'same'; return 1", button)
        jobs = browser.find_element(By.CSS_SELECTOR, "#cloud-prod-cn .cloud-jobs")
        type_command(browser, f"/sdrs resize {sid('pi-erp-db')} s6.xlarge.2")
        click_confirm(browser)
        WebDriverWait(browser, 30).until(
            lambda d: "SUCCESS" in str(jobs.get_attribute("textContent"))
        )  # redrawn meanwhile
        assert tag == 1 and button.get_attribute("data-mark") == "same"  # type: ignore[attr-defined]
        before = button.text  # type: ignore[attr-defined]
        button.click()  # type: ignore[attr-defined]
        WebDriverWait(browser, 10).until(lambda d: button.text != before)  # type: ignore[attr-defined]
        shot(browser, "12b-cloud-panel-updated-in-place")
    finally:
        code, _ = demo.stop()
    assert code == 0


# ---- the fault switches ---------------------------------------------------------------------


def test_fault_the_next_job_fails(browser: WebDriver) -> None:
    demo = Demo()
    try:
        ready(browser, demo)
        assert "SDRS.1379" in fault(browser, "job-fails")
        wait_for(
            browser, "//*[@id='fault-active']/li[contains(., 'next job fails with SDRS.1379')]"
        )
        type_command(browser, f"/sdrs resize {sid('pi-erp-db')} s6.xlarge.2")
        click_confirm(browser)
        # the failure is broadcast: it shows in the channel, not only in the thread
        # (the message's own text in the path: the page may draw it again between a look-up
        # and a read of the element, which then is stale - seen once on a busy machine)
        wait_for(
            browser,
            "//*[@id='messages']/div[.//a[contains(@class,'broadcast')]]"
            "[contains(., 'SDRS.1379')][contains(., 'FAIL')]",
        )
        shot(browser, "14-fault-job-fails-channel")
        open_thread(browser)
        in_thread(browser, "FAIL")
        report = in_thread(browser, "SDRS.1379")
        job_ids = browser.execute_script(
            "return Array.from(document.querySelectorAll('#cloud-prod-cn .cloud-jobs code'))"
            ".map(c => c.textContent)"
        )
        thread = browser.find_element(By.ID, "thread-body").text
        assert any(f"{job}-0" in thread for job in job_ids), thread  # the failing sub-job
        assert "flavor is not supported" in thread
        assert report is not None
        shot(browser, "15-fault-job-fails-thread")
    finally:
        code, _ = demo.stop()
    assert code == 0


def test_fault_the_next_job_never_ends(browser: WebDriver) -> None:
    demo = Demo()  # --job-seconds 2: "still running" after 10 s
    try:
        ready(browser, demo)
        fault(browser, "job-hangs")
        type_command(browser, f"/sdrs resize {sid('pi-erp-db')} s6.xlarge.2")
        click_confirm(browser)
        stuck = wait_for(browser, "//*[@id='messages']/div[contains(., 'is still')]", 60)
        assert "RUNNING" in stuck.text  # type: ignore[attr-defined]
        open_thread(browser)
        in_thread(browser, "is still")
        assert "SUCCESS" not in browser.find_element(By.ID, "thread-body").text
        shot(browser, "16-fault-job-never-ends")
    finally:
        code, _ = demo.stop()
    assert code == 0


def test_fault_sdrs_refusing_and_slow(browser: WebDriver) -> None:
    demo = Demo()
    try:
        ready(browser, demo)
        Select(browser.find_element(By.ID, "fault-status")).select_by_value("503")
        assert "HTTP 503" in fault(browser, "sdrs-refusing")
        type_command(browser, f"/sdrs resize {sid('pi-erp-db')} s6.xlarge.2")
        refusal = wait_for(browser, "//div[contains(@class,'ephemeral')][contains(., '503')]", 60)
        assert "Only visible to you" in refusal.text  # type: ignore[attr-defined]
        assert "Huawei Cloud is unavailable right now" in refusal.text  # type: ignore[attr-defined]
        assert not browser.find_elements(By.CSS_SELECTOR, "button[data-action-id='sdrs_confirm']")
        shot(browser, "17-fault-sdrs-refusing")

        fault(browser, "clear")
        wait_for(browser, "//*[@id='fault-done'][contains(., 'cleared')]")
        box = browser.find_element(By.ID, "fault-seconds")
        box.clear()
        box.send_keys("1")
        assert "1 s late" in fault(browser, "sdrs-slow")
        wait_for(browser, "//*[@id='fault-active']/li[contains(., 'SDRS: 1 s late')]")
        type_command(browser, f"/sdrs resize {sid('pi-erp-db')} s6.xlarge.2")
        # slow, not broken: the confirmation comes, later
        wait_for(browser, "//div[contains(@class,'message')]//*[contains(., 'ecs-erp-db-src')]", 90)
        shot(browser, "18-fault-sdrs-slow")
    finally:
        code, _ = demo.stop()
    assert code == 0


def test_fault_slack_rate_limits_the_bot(browser: WebDriver) -> None:
    demo = Demo()
    try:
        ready(browser, demo)
        type_command(browser, f"/sdrs resize {sid('pi-erp-db')} s6.xlarge.2")
        wait_for(browser, "//div[contains(@class,'message')]//*[contains(., 'ecs-erp-db-src')]")
        box = browser.find_element(By.ID, "fault-slack-seconds")
        box.clear()
        box.send_keys("4")
        assert "429 for 4 s" in fault(browser, "slack-ratelimit")
        click_confirm(browser)
        # the reports wait out Retry-After and then arrive, once each
        wait_for(browser, "//*[@id='fault-active']/li[contains(., 'with 429')]")
        shot(browser, "19-fault-slack-ratelimited")
        open_thread(browser)
        in_thread(browser, "SUCCESS: resize of", 60)
        thread = str(browser.find_element(By.ID, "thread-body").get_attribute("textContent"))
        assert thread.count("Submitted to SDRS") == 1, thread
        assert thread.count("SUCCESS: resize of") == 1, thread
        shot(browser, "20-fault-slack-ratelimit-over")
    finally:
        code, _ = demo.stop()
    assert code == 0


def test_fault_a_confirmation_expires_now(browser: WebDriver) -> None:
    demo = Demo()
    try:
        ready(browser, demo)
        type_command(browser, f"/sdrs resize {sid('pi-erp-db')} s6.xlarge.2")
        wait_for(browser, "//div[contains(@class,'message')]//*[contains(., 'ecs-erp-db-src')]")
        assert "1 open confirmation(s) expire now" in fault(browser, "expire-now")
        click_confirm(browser)  # too late: nothing is sent
        wait_for(browser, "//div[contains(@class,'ephemeral')][contains(., 'expired')]")
        wait_for(
            browser,
            "//*[@id='messages']/div[not(contains(@class,'ephemeral'))]"
            "[contains(., 'Expired - nothing was sent to SDRS')]",
        )
        assert not browser.find_elements(By.CSS_SELECTOR, "#messages a.replies")  # no job
        shot(browser, "21-fault-confirmation-expired")
    finally:
        code, _ = demo.stop()
    assert code == 0


# ---- two accounts, two channels ---------------------------------------------------------------


def switch_channel(driver: WebDriver, name: str) -> None:
    link = f"//*[@id='channels']/a[contains(., '# {name}')]"
    retry(lambda: driver.find_element(By.XPATH, link).click())
    WebDriverWait(driver, 10).until(
        lambda d: (
            d.find_element(By.ID, "channel-name").text == f"# {name}"
            and f"# {name}" in d.find_element(By.CSS_SELECTOR, "#channels a.active").text
        )
    )


def messages_text(driver: WebDriver) -> str:
    return str(driver.find_element(By.ID, "messages").get_attribute("textContent"))


def test_two_accounts_in_two_channels(browser: WebDriver) -> None:
    """#dr-ops acts on prod-cn, #dr-apac on prod-cn and dr-ap: the header names the bound
    accounts, the cloud panel shows theirs, a resize with account=dr-ap names the account and
    its region and reaches dr-ap's emulator only, and each channel keeps its own messages."""
    demo = Demo()
    try:
        ready(browser, demo)
        header = browser.find_element(By.ID, "accounts")
        WebDriverWait(browser, 10).until(lambda d: "prod-cn (cn-north-4)" in header.text)
        assert "dr-ap" not in header.text
        assert not browser.find_element(By.ID, "cloud-dr-ap").is_displayed()
        type_command(browser, "hello from dr-ops")
        wait_for(browser, "//*[@id='messages']/div[contains(., 'hello from dr-ops')]")

        switch_channel(browser, "dr-apac")
        WebDriverWait(browser, 10).until(
            lambda d: "Accounts: dr-ap (ap-southeast-1), prod-cn (cn-north-4)" in header.text
        )
        assert "hello from dr-ops" not in messages_text(browser)
        assert browser.find_element(By.ID, "cloud-dr-ap").is_displayed()
        assert browser.find_element(By.ID, "cloud-prod-cn").is_displayed()
        db = sid("hk-pi-erp-db")
        type_command(browser, f"/sdrs resize {db} s6.xlarge.2")  # which account? asked privately
        wait_for(browser, "//div[contains(@class,'ephemeral')][contains(., 'several accounts')]")
        type_command(browser, f"/sdrs resize {db} s6.xlarge.2 account=dr-ap")
        confirmation = wait_for(
            browser, "//*[@id='messages']/div[contains(., 'ecs-hk-erp-db-src')][.//button]"
        )
        assert "account dr-ap (ap-southeast-1)" in confirmation.text  # type: ignore[attr-defined]
        click_confirm(browser)
        open_thread(browser, "ecs-hk-erp-db-src")
        report = in_thread(browser, "SUCCESS: resize of")  # the report, not the edited parent
        assert "in account dr-ap (ap-southeast-1)" in report.text  # type: ignore[attr-defined]
        shot(browser, "two-accounts")
        browser.find_element(By.ID, "thread-close").click()
        # the job ran in dr-ap's emulator; prod-cn's has none
        WebDriverWait(browser, 10).until(
            lambda d: (
                "SUCCESS"
                in str(
                    d.find_element(By.CSS_SELECTOR, "#cloud-dr-ap .cloud-jobs").get_attribute(
                        "textContent"
                    )
                )
            )
        )
        prod_jobs = browser.find_element(By.CSS_SELECTOR, "#cloud-prod-cn .cloud-jobs")
        assert prod_jobs.get_attribute("textContent") == "none yet"
        # start/stop acts on the account it is shown under (the same ids would not collide)
        app = f"srv-dr-ap-{sid('hk-pi-erp-app-src')}"
        button = browser.find_element(By.CSS_SELECTOR, f"#{app} button")
        assert button.text == "stop"
        button.click()
        WebDriverWait(browser, 10).until(lambda d: button.text == "start")
        prod_app = f"srv-prod-cn-{sid('pi-erp-app-src')}"
        assert browser.find_element(By.CSS_SELECTOR, f"#{prod_app} button").text == "stop"
        type_command(browser, "hello from dr-apac")
        wait_for(browser, "//*[@id='messages']/div[contains(., 'hello from dr-apac')]")
        shot(browser, "two-accounts-dr-apac")

        switch_channel(browser, "dr-ops")
        wait_for(browser, "//*[@id='messages']/div[contains(., 'hello from dr-ops')]")
        shown = messages_text(browser)
        assert "hello from dr-apac" not in shown and "hk-erp-db" not in shown
        assert "several accounts" not in shown  # a private reply stays in its channel
        assert not browser.find_element(By.ID, "cloud-dr-ap").is_displayed()
        shot(browser, "two-accounts-dr-ops")
    finally:
        code, _ = demo.stop()
    assert code == 0


# ---- stop-resize-start (power=stop-start): the bot stops, resizes, starts again ---------------

RUNBOOK_STEPS = (
    "Stopping ecs-erp-app-src",
    "Stopped ecs-erp-app-src.",
    "Resize submitted to SDRS, job",
    "Resize SUCCESS.",
    "Starting ecs-erp-app-src again.",
    "ecs-erp-app-src running again.",
    "Stop-resize-start done: resized. The server it stopped runs again.",
)
APP_SRC = f"srv-prod-cn-{sid('pi-erp-app-src')}"


def server_status(driver: WebDriver, element_id: str) -> str:
    return str(driver.find_element(By.CSS_SELECTOR, f"#{element_id} .status").text)


def confirm_stop_start_and_follow(driver: WebDriver, name: str) -> None:
    """Confirm the open stop-resize-start; watch the server power off in the cloud panel, each
    step arrive in the thread, and the server run again with the new flavor."""
    click_confirm(driver)
    WebDriverWait(driver, 30, poll_frequency=0.1).until(
        lambda d: server_status(d, APP_SRC) == "ACTIVE · powering-off"
    )  # ECS keeps the status while its job runs; the panel shows the task
    shot(driver, f"{name}-powering-off")
    open_thread(driver, "ecs-erp-app-src")
    in_thread(driver, RUNBOOK_STEPS[-1], 60)
    thread = driver.find_element(By.ID, "thread-body").text
    at = [thread.find(step) for step in RUNBOOK_STEPS]
    assert -1 not in at and at == sorted(at), thread  # every step, in order
    assert ":" + "double_vertical_bar" not in thread  # emoji rendered
    shot(driver, f"{name}-thread")
    driver.find_element(By.ID, "thread-close").click()
    wait_for(
        driver,
        "//*[@id='messages']/div[contains(., 'stop-resize-start done: resized; "
        "the server it stopped runs again')]",
    )  # the confirmation's end state
    WebDriverWait(driver, 10).until(lambda d: server_status(d, APP_SRC) == "ACTIVE")
    flavor = driver.find_element(By.CSS_SELECTOR, f"#{APP_SRC} .flavor").text
    assert flavor == "s6.xlarge.2"
    shot(driver, f"{name}-running-again")


def test_stop_resize_start_typed_in_the_channel(browser: WebDriver) -> None:
    demo = Demo()
    try:
        ready(browser, demo)
        assert server_status(browser, APP_SRC) == "ACTIVE"
        type_command(browser, f"/sdrs resize {sid('pi-erp-app')} s6.xlarge.2 power=stop-start")
        confirmation = wait_for(
            browser,
            "//*[@id='messages']/div[contains(., 'Stop-resize-start: stops ecs-erp-app-src')]"
            "[.//button]",
        )
        text = confirmation.text  # type: ignore[attr-defined]
        assert "running now: stopped, resized, started again" in text
        assert "ecs-erp-app-tgt" in text and "stops ecs-erp-app-tgt" not in text
        shot(browser, "22-stop-start-confirmation")
        confirm_stop_start_and_follow(browser, "23-stop-start")
    finally:
        code, _ = demo.stop()
    assert code == 0


def test_stop_resize_start_through_the_form(browser: WebDriver) -> None:
    demo = Demo()
    try:
        ready(browser, demo)
        type_command(browser, "/sdrs resize")
        picker = wait_for(browser, "//*[@id='modal']//input[@name='instance']")
        picker.send_keys("erp-app")  # type: ignore[attr-defined]
        choice = "//div[@class='suggest']/div[contains(., 'erp-app')]"
        wait_for(browser, choice)
        retry(lambda: browser.find_element(By.XPATH, choice).click())
        wait_for(browser, "//*[@id='modal']//select[@name='dr_flavor']")
        assert "tick Stop and start again below" in browser.find_element(By.ID, "modal").text
        for site in ("production", "dr"):
            retry(
                lambda site=site: Select(  # type: ignore[misc]
                    browser.find_element(By.XPATH, f"//select[@name='{site}_flavor']")
                ).select_by_value("s6.xlarge.2")
            )
        box = "//*[@id='modal']//input[@type='checkbox'][@value='stop-start']"
        retry(lambda: browser.find_element(By.XPATH, box).click())
        assert browser.find_element(By.XPATH, box).is_selected()
        shot(browser, "24-stop-start-form")
        browser.find_element(By.ID, "modal-submit").click()
        posted = "'Stop-resize-start: stops ecs-erp-app-src (a soft shut-down)'"
        wait_for(browser, f"//*[@id='messages']/div[contains(., {posted})][.//button]")
        assert not browser.find_elements(By.ID, "modal")
        confirm_stop_start_and_follow(browser, "25-stop-start-form")
    finally:
        code, _ = demo.stop()
    assert code == 0


def test_fault_a_server_does_not_come_back(browser: WebDriver) -> None:
    demo = Demo()
    try:
        ready(browser, demo)
        assert "SHUTOFF" in fault(browser, "start-fails")
        active = "//*[@id='fault-active']/li[contains(., 'next ECS start fails')]"
        wait_for(browser, active)
        type_command(browser, f"/sdrs resize {sid('pi-erp-app')} s6.xlarge.2 power=stop-start")
        click_confirm(browser)
        # loud: broadcast to the channel, naming the server and mentioning the requester
        broadcast = wait_for(
            browser,
            "//*[@id='messages']/div[.//a[contains(@class,'broadcast')]]"
            "[contains(., 'NOT running')]",
            60,
        )
        text = broadcast.text  # type: ignore[attr-defined]
        assert "ecs-erp-app-src" in text and "@alice" in text, text
        assert not browser.find_elements(By.XPATH, active)  # used up
        wait_for(
            browser,
            "//*[@id='messages']/div[.//a[contains(@class,'replies')]]"
            "[contains(., 'not running again: ecs-erp-app-src')]",
            30,
        )
        WebDriverWait(browser, 10).until(lambda d: server_status(d, APP_SRC) == "SHUTOFF")
        shot(browser, "26-fault-server-does-not-come-back")
        open_thread(browser, "not running again")
        in_thread(browser, "Stop-resize-start done")
        shot(browser, "27-fault-server-does-not-come-back-thread")
    finally:
        code, _ = demo.stop()
    assert code == 0


def test_a_scheduled_stop_resize_start_runs_when_its_window_comes(browser: WebDriver) -> None:
    """Approve now, let the bot do the night shift: the confirmation says when, nothing is
    stopped at Confirm, and when the window starts (the page's switch brings the night) the
    whole stop-resize-start runs and the server is back with its new flavor."""
    demo = Demo()
    try:
        ready(browser, demo)
        type_command(
            browser, f"/sdrs resize {sid('pi-erp-app')} s6.xlarge.2 power=stop-start window=nightly"
        )
        confirmation = wait_for(
            browser, "//*[@id='messages']/div[contains(., 'window nightly')][.//button]"
        )
        assert "Stop-resize-start: stops ecs-erp-app-src" in confirmation.text  # type: ignore[attr-defined]
        click_confirm(browser)
        scheduled = wait_for(
            browser, "//*[@id='messages']/div[contains(., 'scheduled in window nightly')]"
        )
        assert "📆 scheduled" in scheduled.text, scheduled.text  # type: ignore[attr-defined]
        assert ":calendar:" not in scheduled.text  # type: ignore[attr-defined]
        assert server_status(browser, APP_SRC) == "ACTIVE"  # nothing stopped at Confirm
        shot(browser, "28-scheduled-stop-start")
        assert "window starts now" in fault(browser, "window-now")
        WebDriverWait(browser, 60, poll_frequency=0.1).until(
            lambda d: server_status(d, APP_SRC) == "ACTIVE · powering-off"
        )
        open_thread(browser, "ecs-erp-app-src")
        in_thread(browser, RUNBOOK_STEPS[-1], 60)
        shot(browser, "29-scheduled-stop-start-thread")
        browser.find_element(By.ID, "thread-close").click()
        wait_for(browser, "//*[@id='messages']/div[contains(., 'stop-resize-start done: resized')]")
        WebDriverWait(browser, 10).until(lambda d: server_status(d, APP_SRC) == "ACTIVE")
        flavor = browser.find_element(By.CSS_SELECTOR, f"#{APP_SRC} .flavor").text
        assert flavor == "s6.xlarge.2"
    finally:
        code, _ = demo.stop()
    assert code == 0


def test_the_resize_form_and_confirm_dialog_at_slacks_limits(browser: WebDriver) -> None:
    """An instance named at SDRS's limit (64 bytes, mostly Chinese) with a running server:
    with a site ticked the form shows its flavor field and the stop-start box (the strict
    Slack stand-in refuses a form past Slack's limits), and the Confirm dialog is short plain
    text naming the server it stops."""
    demo = Demo()
    try:
        ready(browser, demo)
        type_command(browser, "/sdrs resize")
        picker = wait_for(browser, "//*[@id='modal']//input[@name='instance']")
        picker.send_keys("ledger")  # type: ignore[attr-defined]
        choice = f"//div[@class='suggest']/div[contains(., '{LONG_NAME}')]"
        wait_for(browser, choice)
        retry(lambda: browser.find_element(By.XPATH, choice).click())
        wait_for(browser, "//*[@id='modal']//select[@name='dr_flavor']")
        dr_box = "//*[@id='modal']//input[@type='checkbox'][@value='dr']"
        retry(lambda: browser.find_element(By.XPATH, dr_box).click())  # production alone
        WebDriverWait(browser, 30, poll_frequency=0.1).until(
            lambda d: not d.find_elements(By.XPATH, "//select[@name='dr_flavor']")
        )
        modal = browser.find_element(By.ID, "modal").text
        assert "Stop and start again" in modal and "ecs-ledger-archive-src" in modal
        retry(
            lambda: Select(
                browser.find_element(By.XPATH, "//select[@name='production_flavor']")
            ).select_by_value("s6.xlarge.2")
        )
        box = "//*[@id='modal']//input[@type='checkbox'][@value='stop-start']"
        retry(lambda: browser.find_element(By.XPATH, box).click())
        shot(browser, "30-form-at-slacks-limits")
        browser.find_element(By.ID, "modal-submit").click()
        wait_for(browser, f"//*[@id='messages']/div[contains(., '{LONG_NAME}')][.//button]")
        retry(
            lambda: browser.find_element(
                By.CSS_SELECTOR, "button[data-action-id='sdrs_confirm']"
            ).click()
        )
        dialog = WebDriverWait(browser, 10).until(
            ec.visibility_of_element_located((By.CSS_SELECTOR, ".confirm-box"))
        )
        text = dialog.text
        assert "Running servers are stopped first (shut down): ecs-ledger-archive-src" in text
        assert LONG_NAME in text and "&" not in text
        shot(browser, "31-confirm-dialog-at-slacks-limits")
        browser.find_element(By.ID, "confirm-no").click()
    finally:
        code, _ = demo.stop()
    assert code == 0


def test_alice_reads_the_bot_in_chinese_and_bob_in_english(browser: WebDriver) -> None:
    """The playground's people have Slack languages: alice Chinese (zh-CN), bob English. Her
    private answers and forms are in Chinese, his in English, and the channel's messages in the
    channel's language (English) for both; screenshots of her flow for the artefacts."""
    demo = Demo()
    try:
        ready(browser, demo, english=False)
        user = Select(browser.find_element(By.ID, "user"))
        assert "zh-CN" in user.first_selected_option.text
        type_command(browser, "/sdrs lang")
        said = wait_for(browser, "//div[contains(@class,'ephemeral')][contains(., 'zh-CN')]")
        assert "中文" in said.text  # type: ignore[attr-defined]
        shot(browser, "zh-1-lang")
        type_command(browser, "/sdrs help")
        wait_for(browser, "//div[contains(@class,'ephemeral')][contains(., '/sdrs lang zh|en')]")
        shot(browser, "zh-2-help")
        type_command(browser, f"/sdrs resize {sid('pi-erp-app')} s6.xlarge.2")
        wait_for(browser, "//div[contains(@class,'ephemeral')][contains(., 'ACTIVE')]")
        shot(browser, "zh-3-refused-preflight")
        type_command(browser, f"/sdrs resize {sid('pi-erp-db')} s6.xlarge.2")
        wait_for(browser, "//div[contains(@class,'message')]//*[contains(., 'ecs-erp-db-src')]")
        click_confirm(browser)
        open_thread(browser)
        in_thread(browser, "SUCCESS")
        shot(browser, "zh-4-confirmed-in-thread")
        type_command(browser, "/sdrs resize")
        wait_for(browser, "//*[@id='modal']//input[@name='instance']")
        shot(browser, "zh-5-form")
        browser.find_element(By.ID, "modal-close").click()
        user.select_by_value("U0BOB00001")
        type_command(browser, "/sdrs lang")
        said = wait_for(browser, "//div[contains(@class,'ephemeral')][contains(., 'en-US')]")
        assert "English" in said.text  # type: ignore[attr-defined]
        shot(browser, "zh-6-bob-in-english")
    finally:
        code, _ = demo.stop()
    assert code == 0, demo.output
