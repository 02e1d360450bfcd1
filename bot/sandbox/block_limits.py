"""Slack's documented limits for what the bot sends (Block Kit, modals, message text), as one
validator: the Slack stand-in (:mod:`bot.sandbox.slack_api`) answers a payload that breaks one
as Slack does, and the tests check every surface the bot renders against the same functions.

Each violation is told in Slack's words, with a JSON pointer to the offending field, as Slack
puts them in ``response_metadata.messages``: ``must be less than 3001 characters
[json-pointer:/blocks/0/text/text]``. Each limit is a named constant with the page that
documents it.
"""

from __future__ import annotations

from typing import Any

# ---- surfaces -----------------------------------------------------------------------------
# https://api.slack.com/reference/block-kit/blocks
MESSAGE_BLOCKS = 50  # up to 50 blocks in a message
# https://api.slack.com/reference/surfaces/views#modal
MODAL_BLOCKS = 100  # a modal's blocks: at most 100
# https://api.slack.com/methods/chat.postMessage#truncating
MESSAGE_TEXT = 40_000  # past it: msg_too_long (Slack truncates)
# https://api.slack.com/methods/chat.postMessage#truncating
MESSAGE_TEXT_RECOMMENDED = 4_000  # what Slack recommends
# https://api.slack.com/reference/surfaces/views#modal
MODAL_TITLE = 24  # title: plain_text, at most 24 characters
# https://api.slack.com/reference/surfaces/views#modal
MODAL_SUBMIT = 24  # submit: plain_text, at most 24 characters
# https://api.slack.com/reference/surfaces/views#modal
MODAL_CLOSE = 24  # close: plain_text, at most 24 characters
# https://api.slack.com/reference/surfaces/views#modal
PRIVATE_METADATA = 3_000  # private_metadata: at most 3,000 characters
# https://api.slack.com/reference/surfaces/views#modal
CALLBACK_ID = 255  # callback_id: at most 255 characters

# ---- blocks -------------------------------------------------------------------------------
# https://api.slack.com/reference/block-kit/blocks
BLOCK_ID = 255  # block_id (every block): at most 255 characters
# https://api.slack.com/reference/block-kit/blocks#section
SECTION_TEXT = 3_000  # section text: at most 3,000 characters
# https://api.slack.com/reference/block-kit/blocks#section
SECTION_FIELDS = 10  # section fields: at most 10 items
# https://api.slack.com/reference/block-kit/blocks#section
SECTION_FIELD_TEXT = 2_000  # each section field: at most 2,000 characters
# https://api.slack.com/reference/block-kit/blocks#header
HEADER_TEXT = 150  # header text: plain_text, at most 150 characters
# https://api.slack.com/reference/block-kit/blocks#context
CONTEXT_ELEMENTS = 10  # context elements: at most 10
# https://api.slack.com/reference/block-kit/composition-objects#text
TEXT_OBJECT = 3_000  # a text object (a context element's): at most 3,000
# https://api.slack.com/reference/block-kit/blocks#actions
ACTIONS_ELEMENTS = 25  # actions elements: at most 25
# https://api.slack.com/reference/block-kit/blocks#input
INPUT_LABEL = 2_000  # input label: plain_text, at most 2,000 characters
# https://api.slack.com/reference/block-kit/blocks#input
INPUT_HINT = 2_000  # input hint: plain_text, at most 2,000 characters

# ---- elements -----------------------------------------------------------------------------
# https://api.slack.com/reference/block-kit/block-elements
ACTION_ID = 255  # action_id (every element): at most 255 characters
# https://api.slack.com/reference/block-kit/block-elements#button
BUTTON_TEXT = 75  # button text: plain_text, at most 75 characters
# https://api.slack.com/reference/block-kit/block-elements#button
BUTTON_VALUE = 2_000  # button value: at most 2,000 characters
# https://api.slack.com/reference/block-kit/block-elements#button
BUTTON_URL = 3_000  # button url: at most 3,000 characters
# https://api.slack.com/reference/block-kit/block-elements#static_select
PLACEHOLDER = 150  # placeholder (selects, inputs): at most 150
# https://api.slack.com/reference/block-kit/block-elements#static_select
SELECT_OPTIONS = 100  # a select's options: at most 100
# https://api.slack.com/reference/block-kit/block-elements#checkboxes
CHECKBOX_OPTIONS = 10  # a checkbox group's options: at most 10

# ---- composition objects ------------------------------------------------------------------
# https://api.slack.com/reference/block-kit/composition-objects#option
OPTION_TEXT = 75  # option text: at most 75 characters
# https://api.slack.com/reference/block-kit/composition-objects#option
OPTION_DESCRIPTION = 75  # option description: at most 75 characters
# https://api.slack.com/reference/block-kit/composition-objects#option
OPTION_VALUE = 150  # option value: at most 150 characters
# https://api.slack.com/reference/block-kit/composition-objects#confirm
CONFIRM_TITLE = 100  # confirm dialog title: plain_text, at most 100
# https://api.slack.com/reference/block-kit/composition-objects#confirm
CONFIRM_TEXT = 300  # confirm dialog text: plain_text, at most 300
# https://api.slack.com/reference/block-kit/composition-objects#confirm
CONFIRM_BUTTON = 30  # confirm and deny button texts: at most 30 each

SELECTS = ("static_select", "multi_static_select", "external_select", "multi_external_select")


class _Check:
    """Collects violations as Slack words them."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, what: str, at: str) -> None:
        self.errors.append(f"{what} [json-pointer:{at}]")

    def length(self, value: Any, limit: int, at: str) -> None:
        if isinstance(value, str) and len(value) > limit:
            self.fail(f"must be less than {limit + 1} characters", at)

    def count(self, items: Any, limit: int, at: str) -> None:
        if isinstance(items, list) and len(items) > limit:
            self.fail(f"no more than {limit} items allowed", at)

    def text(self, obj: Any, limit: int, at: str, *, plain: bool = False) -> None:
        """A text object: its type (``plain``: plain_text only) and its text's length."""
        if obj is None:
            return
        if not isinstance(obj, dict) or obj.get("type") not in ("plain_text", "mrkdwn"):
            self.fail("must be a text object", at)
            return
        if plain and obj["type"] != "plain_text":
            self.fail("must be a plain_text object", f"{at}/type")
        self.length(obj.get("text"), limit, f"{at}/text")

    def confirm(self, obj: Any, at: str) -> None:
        if not isinstance(obj, dict):
            return
        self.text(obj.get("title"), CONFIRM_TITLE, f"{at}/title", plain=True)
        self.text(obj.get("text"), CONFIRM_TEXT, f"{at}/text", plain=True)
        self.text(obj.get("confirm"), CONFIRM_BUTTON, f"{at}/confirm", plain=True)
        self.text(obj.get("deny"), CONFIRM_BUTTON, f"{at}/deny", plain=True)

    def option(self, obj: Any, at: str, *, plain: bool) -> None:
        if not isinstance(obj, dict):
            self.fail("must be an option object", at)
            return
        self.text(obj.get("text"), OPTION_TEXT, f"{at}/text", plain=plain)
        self.text(obj.get("description"), OPTION_DESCRIPTION, f"{at}/description", plain=plain)
        self.length(obj.get("value"), OPTION_VALUE, f"{at}/value")

    def element(self, el: Any, at: str) -> None:
        if not isinstance(el, dict):
            return
        kind = el.get("type")
        self.length(el.get("action_id"), ACTION_ID, f"{at}/action_id")
        self.text(el.get("placeholder"), PLACEHOLDER, f"{at}/placeholder", plain=True)
        self.confirm(el.get("confirm"), f"{at}/confirm")
        if kind == "button":
            self.text(el.get("text"), BUTTON_TEXT, f"{at}/text", plain=True)
            self.length(el.get("value"), BUTTON_VALUE, f"{at}/value")
            self.length(el.get("url"), BUTTON_URL, f"{at}/url")
        plain = kind != "checkboxes" and kind != "radio_buttons"
        if kind in SELECTS or kind in ("checkboxes", "radio_buttons", "overflow"):
            options = el.get("options")
            most = SELECT_OPTIONS if kind in SELECTS else CHECKBOX_OPTIONS
            self.count(options, most, f"{at}/options")
            for i, opt in enumerate(options or []):
                self.option(opt, f"{at}/options/{i}", plain=plain)
            for i, group in enumerate(el.get("option_groups") or []):
                for j, opt in enumerate((group or {}).get("options") or []):
                    self.option(opt, f"{at}/option_groups/{i}/options/{j}", plain=plain)
            if el.get("initial_option") is not None:
                self.option(el["initial_option"], f"{at}/initial_option", plain=plain)
            for i, opt in enumerate(el.get("initial_options") or []):
                self.option(opt, f"{at}/initial_options/{i}", plain=plain)

    def block(self, block: Any, at: str) -> None:
        if not isinstance(block, dict):
            self.fail("must be a block object", at)
            return
        kind = block.get("type")
        self.length(block.get("block_id"), BLOCK_ID, f"{at}/block_id")
        if kind == "section":
            self.text(block.get("text"), SECTION_TEXT, f"{at}/text")
            fields = block.get("fields")
            self.count(fields, SECTION_FIELDS, f"{at}/fields")
            for i, f in enumerate(fields or []):
                self.text(f, SECTION_FIELD_TEXT, f"{at}/fields/{i}")
            self.element(block.get("accessory"), f"{at}/accessory")
        elif kind == "header":
            self.text(block.get("text"), HEADER_TEXT, f"{at}/text", plain=True)
        elif kind == "context":
            elements = block.get("elements")
            self.count(elements, CONTEXT_ELEMENTS, f"{at}/elements")
            for i, e in enumerate(elements or []):
                if isinstance(e, dict) and e.get("type") in ("plain_text", "mrkdwn"):
                    self.text(e, TEXT_OBJECT, f"{at}/elements/{i}")
        elif kind == "actions":
            elements = block.get("elements")
            self.count(elements, ACTIONS_ELEMENTS, f"{at}/elements")
            for i, e in enumerate(elements or []):
                self.element(e, f"{at}/elements/{i}")
        elif kind == "input":
            self.text(block.get("label"), INPUT_LABEL, f"{at}/label", plain=True)
            self.text(block.get("hint"), INPUT_HINT, f"{at}/hint", plain=True)
            self.element(block.get("element"), f"{at}/element")

    def blocks(self, blocks: Any, limit: int, at: str) -> None:
        if blocks is None:
            return
        if not isinstance(blocks, list):
            self.fail("must be an array", at)
            return
        self.count(blocks, limit, at)
        for i, block in enumerate(blocks):
            self.block(block, f"{at}/{i}")


def message_block_errors(blocks: Any) -> list[str]:
    """What breaks Slack's limits in a message's ``blocks`` (empty: nothing)."""
    check = _Check()
    check.blocks(blocks, MESSAGE_BLOCKS, "/blocks")
    return check.errors


def view_errors(view: Any) -> list[str]:
    """What breaks Slack's limits in a modal view (empty: nothing)."""
    check = _Check()
    if not isinstance(view, dict):
        check.fail("must be a view object", "/view")
        return check.errors
    check.text(view.get("title"), MODAL_TITLE, "/view/title", plain=True)
    check.text(view.get("submit"), MODAL_SUBMIT, "/view/submit", plain=True)
    check.text(view.get("close"), MODAL_CLOSE, "/view/close", plain=True)
    check.length(view.get("private_metadata"), PRIVATE_METADATA, "/view/private_metadata")
    check.length(view.get("callback_id"), CALLBACK_ID, "/view/callback_id")
    check.blocks(view.get("blocks"), MODAL_BLOCKS, "/view/blocks")
    return check.errors


def options_errors(options: Any) -> list[str]:
    """What breaks Slack's limits in an options load's answer (an external select's options)."""
    check = _Check()
    check.count(options, SELECT_OPTIONS, "/options")
    for i, opt in enumerate(options or []):
        check.option(opt, f"/options/{i}", plain=True)
    return check.errors


def text_too_long(text: Any) -> bool:
    """A message's ``text`` past what Slack takes (``msg_too_long``)."""
    return isinstance(text, str) and len(text) > MESSAGE_TEXT
