"""Alembic revisions of the store's schema (``versions/``) and their environment (``env.py``).

Run by :func:`bot.store.schema.migrate` at start; no ``alembic.ini`` is needed. See the
:mod:`bot.store.schema` docstring for how to add a revision.
"""
