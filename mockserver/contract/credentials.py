"""Credentials for a contract run (``-H`` or the environment: out of shell history) and the
values a ``journal.masking.SecretText`` masks in all output."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from mockserver.vendors import vendor

#: ``-H`` headers whose values are never secret; every other ``-H`` value is masked.
PUBLIC_HEADERS = frozenset(
    {"accept", "accept-encoding", "accept-language", "content-type", "user-agent"}
)


@dataclass(frozen=True)
class Credentials:
    #: Headers sent with every request.
    headers: dict[str, str]
    #: Values to mask in every line of output.
    secrets: tuple[str, ...]
    #: Where the API's credential came from: ``env``, ``-H``, ``mock default`` or ``None``.
    source: str | None


def _secret(value: str) -> str:
    """For ``Scheme token`` the token (so ``Bearer ***`` stays readable), else the whole value."""
    scheme, _, token = value.partition(" ")
    return token.strip() if token.strip() and scheme.isalpha() else value


def resolve(
    api: str,
    cli_headers: Iterable[tuple[str, str]],
    env: Mapping[str, str],
    *,
    bundled: bool,
) -> Credentials:
    """Headers for the run: ``-H`` wins over the environment, which wins over the mock default."""
    headers: dict[str, str] = {}
    secrets: list[str] = []
    source: str | None = None
    wanted = vendor(api).credential
    for name, value in cli_headers:
        headers[name] = value
        if name.lower() not in PUBLIC_HEADERS:
            secrets.append(_secret(value))
        if name.lower() == wanted.header.lower():
            source = "-H"
    if source is None:
        value = env.get(wanted.env, "").strip()
        if value:
            headers[wanted.header] = wanted.template.format(value)
            secrets.append(value)
            source = f"${wanted.env}"
        elif bundled:
            headers[wanted.header] = wanted.sample
            source = "mock default"
    return Credentials(headers, tuple(dict.fromkeys(s for s in secrets if s)), source)
