"""The one base of every wire model (SDRS and ECS)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Wire(BaseModel):
    """Unknown keys are ignored (the APIs add fields); fields may be set by name or wire alias;
    values are immutable once read."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True, frozen=True)
