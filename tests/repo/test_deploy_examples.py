"""The deployment examples say only what the code reads: every environment name in the
Dockerfile, the compose file (and its env file) and the Kubernetes manifest is a setting of
:class:`bot.config.settings.Settings`, and every probe or health check asks for a path that the
process serves on that port (checked by asking a running app, not by reading a list)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.config.settings import Settings
from bot.health import build_health_app
from handlers.app import build_web_app
from tests.support.slack_harness import Harness

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
SETTINGS = {(info.alias or name).upper() for name, info in Settings.model_fields.items()}
# What serve needs in every example (docs/configuration.md: missing settings are listed
# together).
REQUIRED = {
    "SLACK_BOT_TOKEN",
    "HUAWEICLOUD_SDK_AK",
    "HUAWEICLOUD_SDK_SK",
    "HUAWEICLOUD_SDK_PROJECT_ID",
    "DATABASE_URL",
}
# The Dockerfile also sets the interpreter's own variables.
NOT_SETTINGS_OK = {
    "PATH",
    "PYTHONUNBUFFERED",
    "PYTHONDONTWRITEBYTECODE",
    "PIP_CERT",
    "PIP_DISABLE_PIP_VERSION_CHECK",
    "PIP_NO_CACHE_DIR",
}


def _k8s() -> list[dict[str, Any]]:
    text = (DEPLOY / "kubernetes" / "sdrs-bot.yaml").read_text()
    return [doc for doc in yaml.safe_load_all(text) if doc]


def _kind(kind: str) -> list[dict[str, Any]]:
    return [doc for doc in _k8s() if doc["kind"] == kind]


def _bot_containers() -> list[dict[str, Any]]:
    (deployment,) = _kind("Deployment")
    containers: list[dict[str, Any]] = deployment["spec"]["template"]["spec"]["containers"]
    return containers


def _compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose" / "compose.yaml").read_text())
    return loaded


def _env_file(path: Path) -> set[str]:
    lines = [line.strip() for line in path.read_text().splitlines()]
    return {line.split("=", 1)[0] for line in lines if line and not line.startswith("#")}


def _dockerfile_env() -> set[str]:
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    names: set[str] = set()
    for line in text.splitlines():
        if line.strip().startswith("ENV "):
            names |= set(re.findall(r"([A-Z_][A-Z0-9_]*)=", line))
    return names


def _k8s_env() -> dict[str, set[str]]:
    """Names per source: the ConfigMap, the Secret, and the containers' own env entries."""
    (config,) = _kind("ConfigMap")
    (secret,) = _kind("Secret")
    own = {e["name"] for c in _bot_containers() for e in c.get("env", [])}
    return {"ConfigMap": set(config["data"]), "Secret": set(secret["stringData"]), "env": own}


def test_every_environment_name_in_the_examples_is_a_setting() -> None:
    sources = {
        **{f"kubernetes {k}": v for k, v in _k8s_env().items()},
        "compose environment": set(_compose()["services"]["bot"]["environment"]),
        "compose bot.env.example": _env_file(DEPLOY / "compose" / "bot.env.example"),
        "Dockerfile ENV": _dockerfile_env() - NOT_SETTINGS_OK,
    }
    unknown = {where: sorted(names - SETTINGS) for where, names in sources.items()}
    assert unknown == {where: [] for where in sources}
    assert "DATABASE_URL" in sources["Dockerfile ENV"]  # the image keeps its data in /data


def test_each_example_gives_serve_what_it_needs_and_the_kubernetes_refs_exist() -> None:
    k8s = set().union(*_k8s_env().values())
    compose = set(_compose()["services"]["bot"]["environment"]) | _env_file(
        DEPLOY / "compose" / "bot.env.example"
    )
    for names in (k8s, compose):
        assert names >= REQUIRED, REQUIRED - names
        assert names & {"SLACK_APP_TOKEN", "SLACK_SIGNING_SECRET"}
    # secure by default: serve refuses to start unless some request policy is set
    (config,) = _kind("ConfigMap")
    policies = {k: v for k, v in config["data"].items() if k.startswith("POLICY_")}
    assert policies and all(policies.values()), policies
    env_example = (DEPLOY / "compose" / "bot.env.example").read_text()
    assert re.search(r"^POLICY_RESIZE_\w+=\S+", env_example, re.M)
    (container,) = _bot_containers()
    refs = {next(iter(ref.values()))["name"] for ref in container["envFrom"]}
    defined = {doc["metadata"]["name"] for doc in _kind("ConfigMap") + _kind("Secret")}
    assert refs == defined
    (deployment,) = _kind("Deployment")
    assert deployment["spec"]["replicas"] == 2
    assert _compose()["services"]["bot"]["deploy"]["replicas"] == 2
    (pdb,) = _kind("PodDisruptionBudget")
    assert pdb["spec"]["selector"] == deployment["spec"]["selector"]
    # Replicas share PostgreSQL, never a SQLite file.
    assert _compose()["services"]["bot"]["environment"]["DATABASE_URL"].startswith("postgresql")
    (secret,) = _kind("Secret")
    assert secret["stringData"]["DATABASE_URL"].startswith("postgresql")


def _locked() -> set[str]:
    lines = (ROOT / "requirements.lock").read_text().splitlines()
    return {re.split(r"[=;\s]", line)[0].lower() for line in lines if re.match(r"[a-z]", line)}


def test_the_examples_on_postgresql_run_an_image_with_the_postgresql_extra() -> None:
    """PostgreSQL's driver is the ``postgresql`` extra: the image the compose file builds (and
    the Kubernetes manifest runs) installs it - every requirement of the extra is pinned in
    requirements.lock, which the Dockerfile installs, and the Dockerfile imports the driver."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extra = pyproject["optional-dependencies"]["postgresql"]
    names = {re.split(r"[\[<>=;\s]", req)[0].lower() for req in extra}
    assert "psycopg" in names
    assert not names & {re.split(r"[\[<>=;\s]", r)[0].lower() for r in pyproject["dependencies"]}
    assert names <= _locked()
    assert "psycopg-binary" in _locked()  # psycopg[binary]: no libpq needed in the image
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "-r requirements.lock" in dockerfile
    assert "'.[postgresql]'" in dockerfile and "import psycopg" in dockerfile
    assert _compose()["services"]["bot"]["build"] == "../.."  # the repository's Dockerfile
    assert (
        "pip install 'sdrs-bot[postgresql]'"
        in (DEPLOY / "kubernetes" / "sdrs-bot.yaml").read_text()
    )


def _port_number(container: dict[str, Any], port: int | str) -> int:
    if isinstance(port, int):
        return port
    return int(next(p["containerPort"] for p in container["ports"] if p["name"] == port))


def _probes() -> list[tuple[str, int, str]]:
    """(where, port, path) of every HTTP probe and health check in the examples."""
    found = []
    for c in _bot_containers():
        for kind in ("readinessProbe", "livenessProbe", "startupProbe"):
            if kind in c:
                get = c[kind]["httpGet"]
                found.append((f"kubernetes {kind}", _port_number(c, get["port"]), get["path"]))
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    (check,) = [line for line in text.splitlines() if line.startswith("HEALTHCHECK")]
    match = re.search(r"http://127\.0\.0\.1:%s(/\w+)'.*'HEALTH_PORT', '(\d+)'", check)
    assert match, check
    found.append(("Dockerfile HEALTHCHECK", int(match.group(2)), match.group(1)))
    return found


def test_probes_name_the_ports_the_settings_and_image_use() -> None:
    (config,) = _kind("ConfigMap")
    health_port = int(
        config["data"].get("HEALTH_PORT", Settings.model_fields["health_port"].default)
    )
    http_port = int(Settings.model_fields["http_port"].default)
    assert {port for _, port, _ in _probes()} <= {health_port, http_port}
    paths = {(where, path) for where, _, path in _probes()}
    assert ("kubernetes readinessProbe", "/readyz") in paths
    assert ("kubernetes livenessProbe", "/healthz") in paths


async def _answers(app: web.Application, path: str) -> int:
    async with TestClient(TestServer(app)) as client:
        response = await client.get(path)
        return response.status


@pytest.mark.parametrize("where,port,path", _probes())
async def test_every_probe_path_is_served_on_its_port(
    h: Harness, where: str, port: int, path: str
) -> None:
    health = build_health_app(h.deps.store, h.deps.metrics, scheduler_running=lambda: True)
    apps = {
        Settings.model_fields["health_port"].default: health,
        Settings.model_fields["http_port"].default: build_web_app(h.app),
    }
    assert await _answers(apps[port], path) == 200, f"{where}: GET {path} on port {port}"
