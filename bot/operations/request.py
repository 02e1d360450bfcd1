"""Requesting a change: policy, then preflight (read the real state; refuse before anything
is posted), then the confirmation, whose buttons carry only the operation's opaque id."""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import timedelta

from bot.core import notices
from bot.core.bindings import NoAccount
from bot.core.errors import CloudError
from bot.core.facts import (
    Announcement,
    FailureFacts,
    OperationFacts,
    ScheduleFacts,
    rename_facts,
    resize_facts,
)
from bot.core.flavors import canonical_flavors
from bot.core.intents import MutatingIntent, RenameDrillIntent, ResizeIntent, command_text
from bot.core.preflight import check_resize
from bot.core.states import AuditAction, EventKind, OpKind, OpState
from bot.huaweicloud.pace import turn
from bot.huaweicloud.reads import read_resize_state
from bot.huaweicloud.sdrs import SdrsClient
from bot.operations.access import allowed
from bot.operations.chat import Chat, ChatPostError, Tell
from bot.operations.deps import Deps
from bot.operations.names import resolve_names
from bot.operations.schedule import plan

log = logging.getLogger(__name__)


async def request_confirmation(
    deps: Deps,
    chat: Chat,
    tell: Tell,
    intent: MutatingIntent,
    *,
    user: str,
    channel: str,
    request_key: str | None,
) -> None:
    """``tell`` answers the requester privately."""

    chosen = deps.bindings.choose(channel, intent.account)

    def count(outcome: str) -> None:  # the account label only once one is chosen (never as typed)
        account = "" if isinstance(chosen, NoAccount) else chosen.account
        deps.metrics.commands.labels(intent.kind, outcome, account).inc()

    if isinstance(chosen, NoAccount):
        count("no-account")
        await tell(notices.NoAccount(chosen.reason, chosen.available, chosen.asked))
        return
    intent = intent.model_copy(update={"account": chosen.account})
    decision = await allowed(deps, chat, user, channel, intent.kind, chosen.policy)
    if not decision.allowed and decision.denial is not None:
        log.info(
            "request denied: %s (%s)",
            intent.kind,
            decision.denial,
            extra={"user": user, "channel": channel, "kind": intent.kind, "outcome": "denied"},
        )
        count("denied")
        await tell(notices.Denied(decision.denial))
        return

    planned: ScheduleFacts | None = None
    if isinstance(intent, ResizeIntent) and intent.schedule is not None:
        # an unknown window or an unusable time is refused before anything is read or posted
        found = plan(deps, chosen.account, intent.schedule, deps.now(), stops=intent.stop_start)
        if not isinstance(found, tuple):
            count("not-schedulable")
            await tell(found)
            return
        planned = found[1]
    checked: str | None = None
    facts: OperationFacts
    try:
        cloud = deps.cloud(chosen.account)
        resolved = await resolve_names(cloud.sdrs, intent)
        if isinstance(resolved, notices.NameUnresolved):
            count("name-unresolved")
            await tell(resolved)
            return
        intent = resolved
        if isinstance(intent, RenameDrillIntent):
            drill = await cloud.sdrs.get_drill(intent.drill_id)
            if drill.name == intent.name:
                count("same-name")
                await tell(notices.SameName(drill.name))
                return
            group = await _group_name(cloud.sdrs, drill.server_group_id)
            facts = rename_facts(intent, drill.name, group, region=cloud.region)
        else:
            state = await read_resize_state(cloud.sdrs, cloud.ecs, intent, deh=cloud.deh)
            intent = canonical_flavors(intent, state.catalogue())  # S6.XLARGE.2 -> s6.xlarge.2
            check = check_resize(intent, state)
            if not check.allowed:
                log.info(
                    "resize of %s refused by preflight: %s (%s)",
                    intent.instance_id,
                    check.refusal,
                    check.detail,
                    extra={
                        "user": user,
                        "channel": channel,
                        "kind": intent.kind,
                        "outcome": "preflight-refused",
                    },
                )
                count("preflight-refused")
                await asyncio.to_thread(
                    deps.store.record_event,
                    deps.now(),
                    AuditAction.PREFLIGHT_REFUSED,
                    actor=user,
                    channel=channel,
                    detail={
                        "intent": intent.model_dump(exclude_none=True),
                        "refusal": str(check.refusal),
                        "detail": check.detail,
                    },
                )
                await tell(notices.PreflightRefused(check))
                return
            # a site on a dedicated host keeps its host unless one was named: the stored intent
            # (and so the body sent at Confirm) names it
            intent = intent.model_copy(update=check.host_fields())
            facts = resize_facts(intent, check, state.catalogue(), region=cloud.region)
            if planned is not None:
                facts = facts.model_copy(update={"schedule": planned})
            checked = json.dumps(check.snapshot(), sort_keys=True)
    except CloudError as exc:
        count("cloud-error")
        await tell(notices.CloudFailed(FailureFacts.of(exc), command_text(intent)))
        return

    await turn()  # work after the ack waits its turn behind acks (bot.huaweicloud.pace)
    now = deps.now()
    op, created = await asyncio.to_thread(
        deps.store.create_pending,
        kind=OpKind(intent.kind),
        intent_json=intent.model_dump_json(),
        facts_json=facts.model_dump_json(),
        requester=user,
        channel=channel,
        now=now,
        expires_at=now + timedelta(seconds=deps.settings.confirmation_ttl_seconds),
        request_key=request_key,
        checked_json=checked,
        account=chosen.account,
    )
    if not created and (op.state is not OpState.PENDING or op.message_ts is not None):
        log.info("command %s handled again; operation %s already exists", request_key, op.id)
        count("duplicate")
        return
    await turn()
    try:
        # handled again after a crash between storing the operation and saving its message:
        # the confirmation may exist already
        ts = await chat.post_confirmation(op, chosen.policy, maybe_posted=not created)
    except ChatPostError as exc:
        log.warning("confirmation for %s not posted in %s: %s", op.id, channel, exc.error)
        # A confirmation that may exist without us knowing must not be confirmable: the bot
        # withdraws it (nobody cancelled it); a click on it is told so and removes its buttons.
        reason = f"the confirmation's post failed: {exc.error}"
        await asyncio.to_thread(deps.store.withdraw, op.id, deps.now(), reason=reason)
        count("not-posted")
        await tell(notices.NotPosted(exc.error))
        return
    announced = Announcement(event=EventKind.REQUESTED, op=facts, channel=channel, actor=user)
    await asyncio.to_thread(
        deps.store.set_message_ts,
        op.id,
        ts,
        messages=deps.announce(op.id, announced, skip=channel),
        now=deps.now(),
    )
    deps.kick()
    count("confirmation-posted")
    context = {"op_id": op.id, "user": user, "channel": channel, "kind": intent.kind}
    log.info("operation %s requested: %s", op.id, intent.kind, extra=context)


async def _group_name(sdrs: SdrsClient, group_id: str | None) -> str | None:
    """The protection group's name for a drill's confirmation (its id if it cannot be read)."""
    if not group_id:
        return None
    try:
        return (await sdrs.get_protection_group(group_id)).name or group_id
    except CloudError as exc:
        log.warning("protection group %s not read: %s", group_id, exc)
        return group_id
