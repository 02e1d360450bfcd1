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

BLOCKS_PAGE = "https://api.slack.com/reference/block-kit/blocks"
OBJECTS_PAGE = "https://api.slack.com/reference/block-kit/composition-objects"
ELEMENTS_PAGE = "https://api.slack.com/reference/block-kit/block-elements"
MODALS_PAGE = "https://api.slack.com/reference/surfaces/views"
POST_PAGE = "https://api.slack.com/methods/chat.postMessage"

# ---- surfaces ----------------------------------------------------------------------------
MESSAGE_BLOCKS = 50  # BLOCKS_PAGE: "up to 50 blocks in each message"
MODAL_BLOCKS = 100  # MODALS_PAGE: blocks "Max of 100 blocks"
MESSAGE_TEXT = 40_000  # POST_PAGE: text longer than 40,000 characters is truncated
MESSAGE_TEXT_RECOMMENDED = 4_000  # POST_PAGE: "limit the number of characters ... to 4,000"
MODAL_TITLE = 24  # MODALS_PAGE: title, plain_text, "max length of 24 characters"
MODAL_SUBMIT = 24  # MODALS_PAGE: submit, "Max length of 24 characters"
MODAL_CLOSE = 24  # MODALS_PAGE: close, "Max length of 24 characters"
PRIVATE_METADATA = 3_000  # MODALS_PAGE: private_metadata, "Max length of 3000 characters"
CALLBACK_ID = 255  # MODALS_PAGE: callback_id, "Max length of 255 characters"

# ---- blocks ------------------------------------------------------------------------------
BLOCK_ID = 255  # BLOCKS_PAGE: block_id, "Maximum length for this field is 255 characters"
SECTION_TEXT = 3_000  # BLOCKS_PAGE (section): text, "Maximum length ... is 3000 characters"
SECTION_FIELDS = 10  # BLOCKS_PAGE (section): fields, "Maximum number of items is 10"
SECTION_FIELD_TEXT = 2_000  # BLOCKS_PAGE (section): "Maximum length ... in each item is 2000"
HEADER_TEXT = 150  # BLOCKS_PAGE (header): plain_text, "Maximum length ... is 150 characters"
CONTEXT_ELEMENTS = 10  # BLOCKS_PAGE (context): elements, "Maximum number of items is 10"
TEXT_OBJECT = 3_000  # OBJECTS_PAGE (text object): text, "maximum length ... 3000 characters"
ACTIONS_ELEMENTS = 25  # BLOCKS_PAGE (actions): elements, "a maximum of 25 elements"
INPUT_LABEL = 2_000  # BLOCKS_PAGE (input): label, "Maximum length ... is 2000 characters"
INPUT_HINT = 2_000  # BLOCKS_PAGE (input): hint, "Maximum length ... is 2000 characters"

# ---- elements ----------------------------------------------------------------------------
ACTION_ID = 255  # ELEMENTS_PAGE: action_id, "Maximum length ... is 255 characters"
BUTTON_TEXT = 75  # ELEMENTS_PAGE (button): text, "Maximum length ... is 75 characters"
BUTTON_VALUE = 2_000  # ELEMENTS_PAGE (button): value, "Maximum length ... is 2000 characters"
BUTTON_URL = 3_000  # ELEMENTS_PAGE (button): url, "Maximum length ... is 3000 characters"
PLACEHOLDER = 150  # ELEMENTS_PAGE (selects, inputs): placeholder, "Maximum length ... 150"
SELECT_OPTIONS = 100  # ELEMENTS_PAGE (static select): options, "Maximum number ... is 100"
CHECKBOX_OPTIONS = 10  # ELEMENTS_PAGE (checkboxes): options, "Maximum number ... is 10"

# ---- composition objects -----------------------------------------------------------------
OPTION_TEXT = 75  # OBJECTS_PAGE (option): text, "Maximum length ... is 75 characters"
OPTION_DESCRIPTION = 75  # OBJECTS_PAGE (option): description, "Maximum length ... is 75"
OPTION_VALUE = 150  # OBJECTS_PAGE (option): value, "Maximum length ... is 150 characters"
CONFIRM_TITLE = 100  # OBJECTS_PAGE (confirmation dialog): title, plain_text, max 100
CONFIRM_TEXT = 300  # OBJECTS_PAGE (confirmation dialog): text, plain_text, max 300
CONFIRM_BUTTON = 30  # OBJECTS_PAGE (confirmation dialog): confirm and deny, max 30 each

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
