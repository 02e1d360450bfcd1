"""PLACEHOLDER until the credential providers land: the credential sources an account names."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr


class EnvironmentKeys(BaseModel):
    """The HUAWEICLOUD_SDK_* environment variables (AK/SK, security token or IAM token)."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["environment"] = "environment"


class StaticKeys(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    kind: Literal["static"] = "static"
    ak: str
    sk: SecretStr
    security_token: SecretStr | None = None


CredentialSource = Annotated[EnvironmentKeys | StaticKeys, Field(discriminator="kind")]
