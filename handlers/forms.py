"""The resize and rename modals: opening them (``/sdrs resize``, ``/sdrs drill rename [id]``, the
help message's buttons), loading their selects from SDRS and ECS, and their submission, which
becomes the same intent as a typed command and goes through the same policy, preflight and
confirmation (:func:`bot.operations.request.request_confirmation`).

Opening acks first, then calls ``views.open`` with the trigger id (valid for 3 seconds) before
reading anything slow; what is read later arrives with ``views.update`` (guarded by the view's
hash, so a user's newer edit is not overwritten).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from bot.core.errors import CloudError
from bot.core.intents import (
    UUID_RE,
    RenameDrillIntent,
    RenameFormIntent,
    ResizeFormIntent,
    ResizeIntent,
)
from bot.core.notices import Denied, Notice
from bot.core.wire.ecs import Flavor
from bot.operations import form_reads
from bot.operations.access import allowed
from bot.operations.deps import Deps
from bot.operations.request import request_confirmation
from handlers import modal_input, modals, render
from handlers.messages.cloud import cloud_error_text
from handlers.slack_chat import SlackChat
from handlers.slack_io import slack_error, tell_user

log = logging.getLogger(__name__)
# options must be answered within Slack's 3 seconds: all the reads of one answer together get
# most of them, not all; of those, the person's user groups (when not known from the last
# minute, handlers.lookup.GROUP_CACHE_SECONDS) at most GROUPS_WITHIN
OPTIONS_WITHIN = 2.5
GROUPS_WITHIN = 1.0
# what ECS allows an instance's servers, as read when the form showed it, kept this long for
# its flavor fields' type-ahead (a flavor withdrawn meanwhile is refused by the preflight)
FLAVOR_CACHE_SECONDS = 600.0


class FlavorChoices:
    """The flavors each site's server of an instance may be resized to (ECS resize_flavors),
    by (account, instance, site), kept :data:`FLAVOR_CACHE_SECONDS` in this process."""

    def __init__(self, ttl: float = FLAVOR_CACHE_SECONDS, size: int = 256) -> None:
        self.ttl = ttl
        self.size = size
        self.now: Callable[[], float] = time.monotonic
        self._kept: dict[tuple[str, str, str], tuple[float, list[Flavor]]] = {}

    def keep(self, account: str, instance: str, site: str, flavors: list[Flavor]) -> None:
        self._kept.pop((account, instance, site), None)
        self._kept[(account, instance, site)] = (self.now(), flavors)
        while len(self._kept) > self.size:  # the oldest first
            self._kept.pop(next(iter(self._kept)))

    def get(self, account: str, instance: str, site: str) -> list[Flavor] | None:
        kept = self._kept.get((account, instance, site))
        if kept is None or self.now() - kept[0] >= self.ttl:
            return None
        return kept[1]


# views.update errors that mean the person moved on (changed the form meanwhile, so their newer
# state wins; or closed it), not that the form is wrong
USER_MOVED_ON = frozenset({"hash_conflict", "not_found"})


def register(app: AsyncApp, deps: Deps) -> None:
    flavors = FlavorChoices()

    async def open_from_button(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """The help message's "Resize..." / "Rename a drill..." buttons."""
        await ack()
        channel, user = _channel_of(body), _user_of(body)
        action = str(((body.get("actions") or [{}])[0]).get("action_id", ""))
        kind = "resize" if action == modals.OPEN_RESIZE else "rename_drill"
        if not await _may_use(deps, client, user, channel, kind):
            return
        view = modals.resize_view(channel) if kind == "resize" else modals.rename_view(channel)
        await open_view(client, str(body.get("trigger_id", "")), view)

    app.action(modals.OPEN_RESIZE)(open_from_button)
    app.action(modals.OPEN_RENAME)(open_from_button)

    @app.options(modals.PICK_INSTANCE)
    async def instance_options(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        until = asyncio.get_running_loop().time() + OPTIONS_WITHIN
        query = str(body.get("value") or "")
        may = await _may_use(
            deps,
            client,
            _user_of(body),
            _view_channel(body),
            "resize",
            tell=False,
            within=GROUPS_WITHIN,
        )
        found = (
            await instance_choices(deps, query, _view_channel(body), _left(until)) if may else []
        )
        await ack(options=found)

    @app.options(modals.PICK_DRILL)
    async def drill_options(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        until = asyncio.get_running_loop().time() + OPTIONS_WITHIN
        query = str(body.get("value") or "")
        may = await _may_use(
            deps,
            client,
            _user_of(body),
            _view_channel(body),
            "rename_drill",
            tell=False,
            within=GROUPS_WITHIN,
        )
        found = await drill_choices(deps, query, _view_channel(body), _left(until)) if may else []
        await ack(options=found)

    @app.options(modals.FLAVOR_ACTION)
    async def flavor_options(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        """A flavor field with more flavors than a select holds: those ECS allows the site's
        server that match what was typed, from what was read when the form showed them."""
        until = asyncio.get_running_loop().time() + OPTIONS_WITHIN
        may = await _may_use(
            deps,
            client,
            _user_of(body),
            _view_channel(body),
            "resize",
            tell=False,
            within=GROUPS_WITHIN,
        )
        found = await flavor_choices(deps, flavors, body, _left(until)) if may else []
        await ack(options=found)

    @app.action(modals.PICK_INSTANCE)
    async def instance_picked(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        if await _may_use(deps, client, _user_of(body), _view_channel(body), "resize", tell=False):
            deps.background.spawn(show_instance(deps, flavors, client, body), name="resize form")

    @app.action(modals.SITES_ACTION)
    async def sites_ticked(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        if await _may_use(deps, client, _user_of(body), _view_channel(body), "resize", tell=False):
            deps.background.spawn(
                show_ticked(deps, flavors, client, body), name="resize form sites"
            )

    @app.action(modals.PICK_DRILL)
    async def drill_picked(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
        await ack()
        channel = _view_channel(body)
        if await _may_use(deps, client, _user_of(body), channel, "rename_drill", tell=False):
            deps.background.spawn(show_drill(deps, client, body), name="rename form")

    def on_submit(
        read: Callable[[dict[str, Any]], ResizeIntent | RenameDrillIntent | dict[str, str]],
    ) -> Callable[..., Awaitable[None]]:
        """A form's view_submission: field errors in the ack, or close it and go on like the
        typed command."""

        async def submitted(ack: AsyncAck, body: dict[str, Any], client: AsyncWebClient) -> None:
            intent = read(body.get("view") or {})
            if isinstance(intent, dict):
                await ack(response_action="errors", errors=intent)
                return
            await ack()
            _submit(deps, client, body, intent)

        return submitted

    app.view(modals.RESIZE_CALLBACK)(on_submit(modal_input.resize_from_view))
    app.view(modals.RENAME_CALLBACK)(on_submit(modal_input.rename_from_view))


async def _may_use(
    deps: Deps,
    client: AsyncWebClient,
    user: str,
    channel: str,
    kind: str,
    *,
    tell: bool = True,
    within: float | None = None,
) -> bool:
    """A form shows what SDRS and ECS hold: only to people who may ask for its change here.
    ``within``: on the way to an ack, the user's groups must be known within that many seconds
    (a group not known by then counts as not theirs)."""
    chat = SlackChat(client, deps.bindings.language_in, groups_within=within)
    decision = await allowed(deps, chat, user, channel, kind)
    if decision.allowed or decision.denial is None:
        return True
    log.info("form %s refused to %s in %s: %s", kind, user, channel, decision.denial)
    if tell:
        await tell_user(client, channel, user, render.notice(Denied(decision.denial)))
    return False


def _left(until: float) -> float:
    """Seconds left until ``until`` (the loop's clock), at least a little."""
    return max(until - asyncio.get_running_loop().time(), 0.05)


def _user_of(body: dict[str, Any]) -> str:
    return str((body.get("user") or {}).get("id") or "")


def _view_channel(body: dict[str, Any]) -> str:
    """The channel a form was opened in (kept in the view's private metadata)."""
    return modal_input.metadata_of(body.get("view") or {}).get("channel", "")


def _channel_of(body: dict[str, Any]) -> str:
    channel = body.get("channel") or {}
    container = body.get("container") or {}
    return str(channel.get("id") or container.get("channel_id") or "")


def _submit(
    deps: Deps,
    client: AsyncWebClient,
    body: dict[str, Any],
    intent: ResizeIntent | RenameDrillIntent,
) -> None:
    user = str((body.get("user") or {}).get("id", ""))
    view = body.get("view") or {}
    channel = modal_input.metadata_of(view).get("channel", "")
    account = deps.form_account(channel)
    if account is not None:  # the form showed this account's state: the request is for it
        intent = intent.model_copy(update={"account": account.name})

    async def tell(notice: Notice) -> None:
        await tell_user(client, channel, user, render.notice(notice))

    work = request_confirmation(
        deps,
        SlackChat(client, deps.bindings.language_in),
        tell,
        intent,
        user=user,
        channel=channel,
        request_key=f"view:{view.get('id', '')}",  # a repeated submission is one request
    )
    deps.background.spawn(work, name=f"form {intent.kind} by {user}")


def open_form(
    deps: Deps,
    client: AsyncWebClient,
    command: dict[str, Any],
    intent: ResizeFormIntent | RenameFormIntent,
) -> None:
    """Open the modal right after the ack (the trigger id is only valid for 3 seconds)."""
    trigger, channel = str(command.get("trigger_id", "")), str(command["channel_id"])
    user = str(command.get("user_id") or "")

    async def work() -> None:
        kind = "resize" if isinstance(intent, ResizeFormIntent) else "rename_drill"
        if not await _may_use(deps, client, user, channel, kind):
            return
        if isinstance(intent, ResizeFormIntent):
            await open_view(client, trigger, modals.resize_view(channel))
        else:
            await open_rename_form(deps, client, trigger, channel, intent)

    deps.background.spawn(work(), name=f"open {intent.kind}")


async def open_view(client: AsyncWebClient, trigger_id: str, view: dict[str, Any]) -> str | None:
    """views.open; the new view's id, or None when Slack refused (logged)."""
    try:
        opened = await client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        log.warning("views.open failed: %s", slack_error(exc))
        return None
    return str((opened.get("view") or {}).get("id") or "") or None


async def update_view(
    client: AsyncWebClient, view_id: str, view: dict[str, Any], view_hash: str | None = None
) -> None:
    try:
        await client.views_update(view_id=view_id, view=view, hash=view_hash)
    except SlackApiError as exc:
        error = slack_error(exc)
        if error in USER_MOVED_ON:
            log.info("views.update of %s not applied: %s", view_id, error)
        else:  # Slack refused the form itself (invalid_arguments): the person is left without it
            log.warning("views.update of %s refused: %s", view_id, error)


async def open_rename_form(
    deps: Deps, client: AsyncWebClient, trigger_id: str, channel: str, intent: RenameFormIntent
) -> None:
    """``/sdrs drill rename [id]``: open at once, then prefill the name when the drill is read."""
    drill_id = intent.drill_id
    view = modals.rename_view(channel, (drill_id, drill_id) if drill_id else None)
    view_id = await open_view(client, trigger_id, view)
    if view_id and drill_id:
        await _fill_drill(deps, client, view_id, None, channel, drill_id)


async def instance_choices(
    deps: Deps, query: str, channel: str, within: float = OPTIONS_WITHIN
) -> list[dict[str, Any]]:
    """Protected instances whose name contains ``query`` (SDRS matches fuzzily)."""
    account = deps.form_account(channel)
    if account is None:
        return []
    try:
        found = await form_reads.instances(account, query, within)
    except (CloudError, TimeoutError) as exc:
        log.warning("protected instances not listed for the form: %s", exc)
        return []
    return [
        modals.option(f"{i.name or i.id} ({i.status})", i.id).to_dict()
        for i in found[: modals.MAX_OPTIONS]
    ]


async def drill_choices(
    deps: Deps, query: str, channel: str, within: float = OPTIONS_WITHIN
) -> list[dict[str, Any]]:
    account = deps.form_account(channel)
    if account is None:
        return []
    try:
        drills = await form_reads.drills(account, query, within)
    except (CloudError, TimeoutError) as exc:
        log.warning("drills not listed for the form: %s", exc)
        return []
    return [modals.option(d.name, d.id).to_dict() for d in drills[: modals.MAX_OPTIONS]]


async def flavor_choices(
    deps: Deps, flavors: FlavorChoices, body: dict[str, Any], within: float = OPTIONS_WITHIN
) -> list[dict[str, Any]]:
    """The options of a site's flavor field: from what the form was built with, or (another
    replica built it, or it is older than the cache) read again from SDRS and ECS within
    ``within`` seconds; nothing when they do not answer in time."""
    view = body.get("view") or {}
    meta = modal_input.metadata_of(view)
    site = modal_input.flavor_site(str(body.get("block_id") or ""))
    instance_id, channel = meta.get("instance", ""), meta.get("channel", "")
    account = deps.form_account(channel)
    if site is None or account is None or not UUID_RE.fullmatch(instance_id):
        return []
    allowed_here = flavors.get(account.name, instance_id, site)
    if allowed_here is None:
        try:
            state = await asyncio.wait_for(
                form_reads.instance_state(account, instance_id, [site]), within
            )
        except (CloudError, TimeoutError) as exc:
            log.warning("flavors not listed for the form: %s", exc or type(exc).__name__)
            return []
        allowed_here = state.offered_flavors(site) or []
        flavors.keep(account.name, instance_id, site, allowed_here)
    query = str(body.get("value") or "")
    return [o.to_dict() for o in modals.matching_flavors(allowed_here, query)]


async def show_instance(
    deps: Deps, flavors: FlavorChoices, client: AsyncWebClient, body: dict[str, Any]
) -> None:
    """An instance was chosen: show its servers and fill the flavor selects from ECS."""
    view = body.get("view") or {}
    action = (body.get("actions") or [{}])[0]
    selected = action.get("selected_option") or {}
    instance_id = str(selected.get("value") or "")
    label = str((selected.get("text") or {}).get("text") or instance_id)
    await _show_sites(
        deps, flavors, client, view, instance_id, label, modal_input.ticked_sites(view)
    )


async def show_ticked(
    deps: Deps, flavors: FlavorChoices, client: AsyncWebClient, body: dict[str, Any]
) -> None:
    """A site was ticked or unticked: rebuild the form with a flavor field for each ticked
    site, the servers read again (their power state may have changed meanwhile)."""
    view = body.get("view") or {}
    action = (body.get("actions") or [{}])[0]
    ticked = [str(o.get("value")) for o in action.get("selected_options") or []]
    meta = modal_input.metadata_of(view)
    instance_id = meta.get("instance", "")
    await _show_sites(
        deps,
        flavors,
        client,
        view,
        instance_id,
        meta.get("label") or instance_id,
        [s for s in modals.SITES if s in ticked],
    )


async def _show_sites(
    deps: Deps,
    flavors: FlavorChoices,
    client: AsyncWebClient,
    view: dict[str, Any],
    instance_id: str,
    label: str,
    ticked: list[str] | None,
) -> None:
    """Read the instance's servers (SDRS, then ECS) and update the form, guarded by the view's
    hash: Slack keeps what was typed in fields whose block and action ids stay the same."""
    channel = modal_input.metadata_of(view).get("channel", "")
    account = deps.form_account(channel)
    if not UUID_RE.fullmatch(instance_id) or account is None:  # only ids the picker offered
        return
    try:
        state = await form_reads.instance_state(account, instance_id, list(modals.SITES))
    except CloudError as exc:
        new = modals.resize_view(channel, (instance_id, label), problem=form_problem(exc))
        await update_view(client, str(view.get("id")), new, view.get("hash"))
        return
    inst = state.instance
    sites = []
    for site, server_id in (("production", inst.production_server()), ("dr", inst.dr_server())):
        server = state.servers.get(server_id or "")
        if server is None:
            continue
        choices = state.offered_flavors(site)  # less what its zone does not sell
        if choices is not None:  # the flavor field's type-ahead serves from these
            flavors.keep(account.name, instance_id, site, choices)
        sites.append(
            modals.SiteInfo(
                site=site,
                server_name=server.name or server.id,
                status=server.status,
                flavor=server.flavor,
                choices=choices,
                on_dedicated_host=server.on_dedicated_host,
                current_host=server.dedicated_host_id or "",
            )
        )
    new = modals.resize_view(channel, (instance_id, label), sites, ticked=ticked)
    await update_view(client, str(view.get("id")), new, view.get("hash"))


async def show_drill(deps: Deps, client: AsyncWebClient, body: dict[str, Any]) -> None:
    view = body.get("view") or {}
    action = (body.get("actions") or [{}])[0]
    drill_id = str((action.get("selected_option") or {}).get("value") or "")
    channel = modal_input.metadata_of(view).get("channel", "")
    if UUID_RE.fullmatch(drill_id):  # only ids the picker offered reach a request path
        await _fill_drill(deps, client, str(view.get("id")), view.get("hash"), channel, drill_id)


async def _fill_drill(
    deps: Deps,
    client: AsyncWebClient,
    view_id: str,
    view_hash: str | None,
    channel: str,
    drill_id: str,
) -> None:
    account = deps.form_account(channel)
    if account is None:
        return
    try:
        drill, group = await form_reads.drill_with_group(account, drill_id)
    except CloudError as exc:
        log.info("drill %s not read for the form: %s", drill_id, exc)
        return
    new = modals.rename_view(channel, (drill.id, drill.name), drill.name, group)
    await update_view(client, view_id, new, view_hash)


def form_problem(exc: CloudError) -> str:
    """The cloud's refusal as plain text for the form (which escapes it once itself, and adds
    its own mark)."""
    text = cloud_error_text(exc).replace("*", "")
    text = text.removeprefix(":x: ").removeprefix(":warning: ")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
