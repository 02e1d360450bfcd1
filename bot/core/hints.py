"""What to check before asking again when a change may or may not have reached the cloud (its
answer was lost or could not be read). Pure: the hints are :class:`~bot.core.wording.Wording`\\ s,
stored with the failure (:class:`bot.core.facts.FailureFacts`) and translated where shown."""

from __future__ import annotations

from collections.abc import Sequence

from bot.core.wording import N_, Wording, wording


def instance_resize_hint(instance_id: str) -> Wording:
    """A resize sent to SDRS whose answer was lost: the instance's status tells."""
    return wording(
        N_(
            "Check protected instance {instance} in SDRS before asking again: a status of "
            "'resizing' (or a new resize job) means the request was accepted."
        ),
        instance=instance_id,
    )


def instance_check_hint(instance_id: str) -> Wording:
    """A resize whose answer was lost or unreadable, and the instance did not show it."""
    return wording(
        N_("Check protected instance {instance} in SDRS before asking again."),
        instance=instance_id,
    )


def drill_name_hint(drill_id: str) -> Wording:
    """A drill rename whose answer could not be read."""
    return wording(N_("Check drill {drill}'s name in SDRS before asking again."), drill=drill_id)


def power_hint(server_ids: Sequence[str], *, stop: bool) -> Wording:
    """A batch stop or start sent to ECS whose answer was lost: the servers' status tells."""
    servers = ", ".join(server_ids)
    if stop:
        return wording(
            N_(
                "Read servers {servers} in ECS before asking again: SHUTOFF (or a task_state "
                "of powering-off) means the stop was accepted."
            ),
            servers=servers,
        )
    return wording(
        N_(
            "Read servers {servers} in ECS before asking again: ACTIVE (or a task_state of "
            "powering-on) means the start was accepted."
        ),
        servers=servers,
    )
