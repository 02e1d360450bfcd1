"""Each person's own choice of language (``/sdrs lang zh|en``), over their Slack locale
(:mod:`bot.core.audience`). One row per person who chose; ``/sdrs lang auto`` removes it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from bot.core.language import Language
from bot.store.schema import person_languages
from bot.store.times import epoch


class PeopleStore:
    engine: Engine

    def chosen_language(self, user: str) -> Language | None:
        """The language ``user`` chose; None: they did not (or chose one this version does not
        know)."""
        t = person_languages.c
        with self.engine.connect() as conn:
            value = conn.execute(select(t.language).where(t.user_id == user)).scalar_one_or_none()
        try:
            return Language(value) if value else None
        except ValueError:
            return None

    def choose_language(self, user: str, language: Language | None, now: datetime) -> None:
        """Keep ``user``'s choice (None: forget it, their Slack locale decides again)."""
        t = person_languages.c
        if language is None:
            with self.engine.begin() as conn:
                conn.execute(delete(person_languages).where(t.user_id == user))
            return
        values = {"language": language.value, "updated_at": epoch(now)}
        for _ in range(2):  # the row may appear between the two statements (another replica)
            try:
                with self.engine.begin() as conn:
                    changed = conn.execute(
                        update(person_languages).where(t.user_id == user).values(**values)
                    ).rowcount
                    if not changed:
                        conn.execute(insert(person_languages).values(user_id=user, **values))
                return
            except IntegrityError:
                continue
