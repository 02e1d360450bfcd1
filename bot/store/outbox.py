"""The outbox: Slack messages to deliver, written in the same transaction as the state change
that causes them (see :mod:`handlers.outbox` for the sender and the no-duplicate rule).

Delivery order is kept per channel: only the oldest undelivered message of a channel can be
claimed. Pacing is kept per channel in ``channel_pacing``: claiming a message reserves the
channel's next slot, so any number of replicas together send at most one message per channel
per interval. A claim is a lease: a sender that dies mid-send loses it after ``lease_seconds``,
and the message is claimed again, marked ``uncertain``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, func, insert, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.core.facts import MESSAGE, Rendered
from bot.core.language import Language
from bot.core.records import OutboxMessage
from bot.core.states import OutboxState
from bot.store.schema import channel_pacing, outbox, sqlite_write_transaction
from bot.store.times import epoch

SEND_STATES = (OutboxState.PENDING.value, OutboxState.SENDING.value)


@dataclass(frozen=True)
class Delivered:
    """A message Slack took (:meth:`OutboxStore.mark_sent_many`): its row, the ts Slack gave
    it, and when its channel's next slot may start at the earliest (pacing from delivery)."""

    row_id: int
    sent_ts: str | None
    channel: str
    quiet_until: datetime


# the language of a message in a channel, seen by everyone (the channel binding's); None: not
# known here (the row is then sent in English)
ChannelLanguage = Callable[[str], Language | None]


def no_language(channel: str) -> Language | None:
    return None


@dataclass(frozen=True)
class OutboxRow:
    id: int
    message: OutboxMessage
    attempts: int
    uncertain: bool
    created_at: float


def enqueue_in(
    conn: Connection,
    message: OutboxMessage,
    now: datetime,
    channel_language: ChannelLanguage = no_language,
) -> bool:
    """Add a message inside the caller's transaction; False when its dedupe key exists. Its
    audience's language is decided now: the message's own, else its channel's."""
    exists = conn.execute(
        select(outbox.c.id).where(outbox.c.dedupe_key == message.dedupe_key)
    ).first()
    if exists:
        return False
    _ensure_pacing_row(conn, message.channel)
    conn.execute(
        insert(outbox).values(
            dedupe_key=message.dedupe_key,
            method=message.method,
            channel=message.channel,
            thread_ts=message.thread_ts,
            ts=message.ts,
            text="",
            content_json=MESSAGE.dump_json(message.content).decode(),
            reply_broadcast=message.reply_broadcast,
            language=_stored(message.language or channel_language(message.channel)),
            state=OutboxState.PENDING.value,
            attempts=0,
            uncertain=False,
            next_attempt_at=epoch(now),
            created_at=epoch(now),
        )
    )
    return True


def _content(row: Any) -> Any:
    """What a row says: its facts, or (a row queued before v4) its rendered text."""
    if row.content_json:
        return MESSAGE.validate_json(row.content_json)
    blocks = json.loads(row.blocks_json) if row.blocks_json else None
    return Rendered(text=row.text, blocks=blocks)


def _stored(language: Language | None) -> str | None:
    return language.value if language is not None else None


def _language(value: str | None) -> Language | None:
    """A row's language; None (English) for a row queued before languages, or one this version
    does not know."""
    try:
        return Language(value) if value else None
    except ValueError:
        return None


def _ensure_pacing_row(conn: Connection, channel: str) -> None:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as upsert
    else:
        from sqlalchemy.dialects.sqlite import insert as upsert  # type: ignore[assignment]
    conn.execute(
        upsert(channel_pacing).values(channel=channel, next_at=0.0).on_conflict_do_nothing()
    )


def _due_heads(connectable: Engine | Connection, at: float) -> list[Any]:
    """The oldest undelivered message of each channel, among the 2,000 oldest, if it is due."""
    t = outbox.c
    query = select(outbox).where(t.state.in_(SEND_STATES)).order_by(t.id).limit(2000)
    if isinstance(connectable, Engine):
        with connectable.connect() as conn:
            rows = conn.execute(query).all()
    else:
        rows = connectable.execute(query).all()
    heads: dict[str, Any] = {}
    for row in rows:
        heads.setdefault(row.channel, row)
    return [
        row
        for row in heads.values()
        if row.next_attempt_at <= at
        and (row.state == OutboxState.PENDING or (row.lease_until or 0) < at)
    ]


def _claimed_row(row: Any, crashed_mid_send: bool) -> OutboxRow:
    return OutboxRow(
        id=row.id,
        message=OutboxMessage(
            dedupe_key=row.dedupe_key,
            channel=row.channel,
            content=_content(row),
            thread_ts=row.thread_ts,
            ts=row.ts if row.method == "chat.update" else None,
            reply_broadcast=bool(row.reply_broadcast),
            language=_language(row.language),
        ),
        attempts=row.attempts + 1,
        uncertain=bool(row.uncertain) or crashed_mid_send,
        created_at=row.created_at,
    )


def _claim_heads(
    conn: Connection,
    heads: list[Any],
    owner: str,
    at: float,
    lease_seconds: float,
    pace: float,
    limit: int,
) -> list[OutboxRow]:
    """Take up to ``limit`` of ``heads`` (oldest first) whose channel's slot is free, and
    reserve those channels' next slots: three statements in the caller's transaction, whatever
    the number of rows - the free slots (locked), the heads taken, the slots reserved. A head is
    taken only if it is still due and free (another replica may have taken it since it was
    read). On PostgreSQL the slots and the heads are locked with ``SKIP LOCKED``: a claim never
    waits for another transaction (a slot being reserved or pushed later by a hold, a row being
    marked sent is left for the next claim), so it cannot be part of a deadlock."""
    if not heads:
        return []
    t, p = outbox.c, channel_pacing.c
    slots = select(p.channel).where(p.channel.in_({row.channel for row in heads}), p.next_at <= at)
    if conn.dialect.name == "postgresql":
        slots = slots.order_by(p.channel).with_for_update(skip_locked=True)
    free = set(conn.execute(slots).scalars())
    by_id = {row.id: row for row in heads if row.channel in free}
    if not by_id:
        return []
    takeable = (
        select(t.id)
        .where(
            t.id.in_(list(by_id)),
            t.state.in_(SEND_STATES),
            t.next_attempt_at <= at,
            or_(t.state == OutboxState.PENDING.value, t.lease_until < at),
        )
        .order_by(t.id)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        takeable = takeable.with_for_update(skip_locked=True)
    won = conn.execute(
        update(outbox)
        .where(t.id.in_(takeable.scalar_subquery()))
        .values(
            state=OutboxState.SENDING.value,
            lease_owner=owner,
            lease_until=at + lease_seconds,
            attempts=t.attempts + 1,
            # taken while "sending": its last sender died mid-send (Slack may have it)
            uncertain=or_(t.uncertain, t.state == OutboxState.SENDING.value),
        )
        .returning(t.id)
    ).scalars()
    chosen = [by_id[item_id] for item_id in sorted(won)]
    if chosen:  # their slots are this transaction's (locked above; SQLite: the write lock)
        conn.execute(
            update(channel_pacing)
            .where(p.channel.in_({row.channel for row in chosen}))
            .values(next_at=at + pace)
        )
    return [_claimed_row(row, row.state == OutboxState.SENDING) for row in chosen]


_SENT = (
    update(outbox)
    .where(outbox.c.id == bindparam("b_row"))
    .values(
        state=OutboxState.SENT.value, sent_ts=bindparam("b_ts"), lease_until=None, last_error=None
    )
)
_QUIET = (
    update(channel_pacing)
    .where(
        channel_pacing.c.channel == bindparam("b_ch"), channel_pacing.c.next_at < bindparam("b_at")
    )
    .values(next_at=bindparam("b_at"))
)


def _mark_sent_locked(conn: Connection, owner: str, delivered: list[Delivered]) -> set[int]:
    """:meth:`OutboxStore.mark_sent_many` in the caller's transaction: the ids marked."""
    t = outbox.c
    mine = (
        select(t.id)
        .where(
            t.id.in_([d.row_id for d in delivered]),
            t.lease_owner == owner,
            t.state == OutboxState.SENDING.value,
        )
        .order_by(t.id)
    )
    if conn.dialect.name == "postgresql":
        mine = mine.with_for_update()
    won = set(conn.execute(mine).scalars())
    if not won:
        return won
    conn.execute(
        _SENT, [{"b_row": d.row_id, "b_ts": d.sent_ts} for d in delivered if d.row_id in won]
    )
    quiet: dict[str, float] = {}
    for d in delivered:
        if d.row_id in won:
            quiet[d.channel] = max(quiet.get(d.channel, 0.0), epoch(d.quiet_until))
    conn.execute(_QUIET, [{"b_ch": ch, "b_at": at} for ch, at in sorted(quiet.items())])
    return won


class OutboxStore:
    engine: Engine
    channel_language: ChannelLanguage  # see Store

    def enqueue(self, message: OutboxMessage, now: datetime) -> bool:
        try:
            with self.engine.begin() as conn:
                return enqueue_in(conn, message, now, self.channel_language)
        except IntegrityError:
            return False  # the same key, inserted at the same moment by another replica

    def claim_messages(
        self, owner: str, now: datetime, *, lease_seconds: float, pace_seconds: float, limit: int
    ) -> list[OutboxRow]:
        """Claim up to ``limit`` due messages, the oldest undelivered one of each channel whose
        pacing slot is free; each claim reserves that channel's next slot.

        The heads are read, then taken in one short transaction of three statements
        (:func:`_claim_heads`: a statement per row cost 1.4 ms of CPU per message on
        PostgreSQL and 0.5 ms on SQLite, and a burst of reports waited for it). On SQLite the
        transaction holds the write lock from its start, the heads read inside it (every writer
        queues for that one lock); on PostgreSQL the heads are read before it and replicas
        skip each other's rows instead of waiting."""
        at = epoch(now)
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as conn, sqlite_write_transaction(conn):
                heads = _due_heads(conn, at)
                return _claim_heads(conn, heads, owner, at, lease_seconds, pace_seconds, limit)
        heads = _due_heads(self.engine, at)
        with self.engine.begin() as conn:
            return _claim_heads(conn, heads, owner, at, lease_seconds, pace_seconds, limit)

    def hold_channel(self, channel: str, until: datetime) -> None:
        """Keep a channel quiet until ``until`` (Slack said Retry-After)."""
        p = channel_pacing.c
        with self.engine.begin() as conn:
            conn.execute(
                update(channel_pacing)
                .where(p.channel == channel, p.next_at < epoch(until))
                .values(next_at=epoch(until))
            )

    def mark_sent(self, row_id: int, owner: str, sent_ts: str | None) -> bool:
        """Record a delivery found without sending (the look-up after an uncertain send): the
        channel's pacing stays as the claim reserved it. A message sent now is recorded with
        its channel's quiet time by :meth:`mark_sent_many`."""
        t = outbox.c
        with self.engine.begin() as conn:
            return (
                conn.execute(
                    update(outbox)
                    .where(
                        t.id == row_id, t.lease_owner == owner, t.state == OutboxState.SENDING.value
                    )
                    .values(
                        state=OutboxState.SENT.value,
                        sent_ts=sent_ts,
                        lease_until=None,
                        last_error=None,
                    )
                ).rowcount
                == 1
            )

    def mark_sent_many(self, owner: str, delivered: list[Delivered]) -> list[bool]:
        """Record deliveries: each row sent, and its channel's next slot no earlier than its
        quiet time (pacing counts from when Slack had the message, not from the claim, so a
        slow send cannot bring two messages closer together than the pace), for several in one
        transaction of three statements, whatever their number (the sender writes the
        deliveries that finish together at once, :mod:`bot.store.group_commit`): each
        message's row, whether it was still this owner's to mark. The statements keep one shape
        for any number of rows (a list read, then two ``executemany``), so SQLAlchemy compiles
        each once; the rows to mark are locked first (SQLite: the write lock; PostgreSQL: the
        rows, by id), the channels' slots then taken in the channels' order."""
        if not delivered:
            return []
        if self.engine.dialect.name == "sqlite":
            with self.engine.connect() as conn, sqlite_write_transaction(conn):
                won = _mark_sent_locked(conn, owner, delivered)
        else:
            with self.engine.begin() as conn:
                won = _mark_sent_locked(conn, owner, delivered)
        return [d.row_id in won for d in delivered]

    def mark_retry(
        self, row_id: int, owner: str, at: datetime, error: str, *, uncertain: bool
    ) -> None:
        self._give_back(row_id, owner, at, error, uncertain=outbox.c.uncertain | uncertain)

    def mark_waiting(self, row_id: int, owner: str, at: datetime, reason: str) -> None:
        """Give a claimed row back to be tried at ``at`` without counting the claim as an
        attempt: it waited (for a look-up budget), it did not fail."""
        self._give_back(row_id, owner, at, reason, attempts=outbox.c.attempts - 1)

    def _give_back(self, row_id: int, owner: str, at: datetime, why: str, **values: object) -> None:
        """A row this owner is sending goes back to pending, to be tried at ``at``."""
        t = outbox.c
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(t.id == row_id, t.lease_owner == owner, t.state == OutboxState.SENDING.value)
                .values(
                    state=OutboxState.PENDING.value,
                    next_attempt_at=epoch(at),
                    last_error=why[:500],
                    lease_until=None,
                    **values,
                )
            )

    def mark_dead(self, row_id: int, owner: str, error: str) -> None:
        t = outbox.c
        with self.engine.begin() as conn:
            conn.execute(
                update(outbox)
                .where(t.id == row_id, t.lease_owner == owner)
                .values(state=OutboxState.DEAD.value, last_error=error[:500], lease_until=None)
            )

    def outbox_stats(self, now: datetime) -> tuple[int, float | None]:
        """(messages waiting, age in seconds of the oldest waiting one)."""
        t = outbox.c
        with self.engine.connect() as conn:
            count, oldest = conn.execute(
                select(func.count(), func.min(t.created_at)).where(t.state.in_(SEND_STATES))
            ).one()
        if not count:
            return 0, None
        return int(count), epoch(now) - float(oldest)
