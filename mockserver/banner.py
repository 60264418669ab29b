"""The start-up banner: what a starting mock serves, in one block, so a user need not read the
README to learn it; operations are read from the loaded specs, so a new one appears by itself."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from mockserver import __version__
from mockserver.control import PREFIX
from mockserver.healthcheck import TOKEN_ENV

if TYPE_CHECKING:
    from mockserver.config import ServeConfig
    from mockserver.reality.replay import Replays
    from mockserver.runtime import ApiRuntime


def banner(
    runtimes: Mapping[str, ApiRuntime],
    replays: Replays | None,
    config: ServeConfig,
    base_url: str,
    *,
    workers: int = 1,
    token_from: str = f"${TOKEN_ENV}",
) -> str:
    """``token_from``: where the control token came from (the environment, or the flag)."""
    lines = [f"mockserver {__version__} serving on {base_url} (seed {config.seed})"]
    for api, runtime in runtimes.items():
        lines += api_lines(api, runtime, base_url, config.fixtures_dir)
    if replays is not None and replays.exchanges:
        files = ", ".join(str(path) for path in config.replay)
        count = len(replays.exchanges)
        exchanges = f"{count:,} recorded exchange" + ("" if count == 1 else "s")
        lines.append(f"  replay     {exchanges} from {files}")
    if config.control:
        lines.append(f"  console    {base_url}{PREFIX}/")
    lines.append(f"  control    {control_line(config, token_from)}")
    lines.append(f"  state      {state_line(config)}")
    if workers > 1:
        lines.append(f"  workers    {workers} processes answering alike")
    return "\n".join(lines)


def api_lines(api: str, runtime: ApiRuntime, base_url: str, fixtures_dir: Path | None) -> list[str]:
    """The API's title, its operations as ``METHOD URL  operationId``, and its data."""
    spec = runtime.spec
    operations = sorted(spec.operations, key=lambda op: (op.path, op.method))
    width = max((len(op.path) for op in operations), default=0)
    lines = [f"  {api:<10} {spec.title} {spec.version}"]
    lines += [
        f"    {op.method:<6} {base_url}{op.path:<{width}}  {op.operation_id}" for op in operations
    ]
    source = "bundled fixtures"
    if fixtures_dir is not None and (fixtures_dir / api).is_dir():
        source = f"fixtures in {fixtures_dir / api}"
    described = runtime.backend.describe()
    lines.append(f"    data ({source}){described and f': {described}'}")
    return lines


def control_line(config: ServeConfig, token_from: str) -> str:
    if not config.control:
        return f"off (--no-control): {PREFIX} answers 404"
    if config.control_token:
        who = f"loopback callers, and others sending the token from {token_from}"
    else:
        who = f"loopback callers only (others: set ${TOKEN_ENV})"
    if config.control_origins:
        who += f"; browser apps from {', '.join(config.control_origins)}"
    return who


def state_line(config: ServeConfig) -> str:
    if config.state_url is None:
        return "in this process"
    from mockserver.state.redis.link import display_url

    return f"{display_url(config.state_url)} (prefix {config.state_prefix})"
