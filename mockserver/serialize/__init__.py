"""Serialization: Python values to the bytes a response carries (orjson: several times faster
than the standard library, the same compact encoding), and YAML read safely."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson

from mockserver import precomputed
from mockserver.errors import InvalidDocument, LimitError

if TYPE_CHECKING:
    import yaml

#: What following aliases may add to a document, in nodes plus characters of text: a few shared
#: blocks are fine, a "billion laughs" (9 aliases of 9 aliases of ... ) is refused before it is
#: built. libyaml itself refuses nesting deeper than 1,000 levels.
MAX_ALIAS_EXPANSION = 1_000_000
ALIAS_LIMIT = "YAML aliases"


def json_bytes(value: Any) -> bytes:
    return orjson.dumps(value)


def decode_json(body: bytes) -> Any:
    """orjson, or the stdlib for integers orjson cannot hold (valid JSON, e.g. an echoed page).
    Anything neither reads is a ``ValueError``: nesting past the stdlib's recursion limit too (a
    ``[[[...]]]`` request body would otherwise crash whoever masks or compares it)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        try:
            return json.loads(body)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def load_yaml(text: str | bytes) -> Any:
    """A YAML (or JSON) document, safe tags only: aliases expanding past
    :data:`MAX_ALIAS_EXPANSION` raise :class:`LimitError`; invalid YAML, or a value the safe
    constructor cannot build (``2024-13-45``), :class:`InvalidDocument`."""
    import yaml  # here: the bundled documents come parsed, so start-up never imports PyYAML

    # libyaml's parser when PyYAML was built with it: ten times faster on our documents.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        if (b"&" if isinstance(text, bytes) else "&") in text:  # no anchor, no alias
            check_expansion(node)
        return loader.construct_document(node)
    except yaml.MarkedYAMLError as exc:
        where = _position(exc.problem_mark)
        raise InvalidDocument(str(exc), problem=exc.problem, **where) from None
    except yaml.YAMLError as exc:
        raise InvalidDocument(str(exc)) from None
    except (ValueError, OverflowError, TypeError, RecursionError) as exc:
        problem = f"cannot build a value: {exc}"
        mark = getattr(node, "start_mark", None)
        raise InvalidDocument(problem, problem=problem, **_position(mark)) from None
    finally:
        loader.dispose()


def _position(mark: yaml.Mark | None) -> dict[str, int]:
    """A parser's 0-based mark as :class:`InvalidDocument`'s 1-based line and column."""
    return {"line": mark.line + 1, "column": mark.column + 1} if mark else {}


def read_yaml_file(path: Path, max_bytes: int | None = None) -> Any:
    """A YAML file through :func:`load_yaml`, refused (``LimitError``) past ``max_bytes``
    before it is read; a bundled document comes parsed ahead of time."""
    if max_bytes is not None:
        size = path.stat().st_size
        if size > max_bytes:
            raise LimitError(
                f"{path}: {size:,} bytes, more than --max-load-bytes {max_bytes:,}",
                limit="--max-load-bytes",
            )
    try:
        return precomputed.yaml_file(path, load_yaml)
    except LimitError as exc:
        raise LimitError([f"{path}: {reason}" for reason in exc.reasons], limit=exc.limit) from None


def check_expansion(root: yaml.Node) -> None:
    """Refuse a node graph whose expansion (every alias followed) exceeds its own size by more
    than :data:`MAX_ALIAS_EXPANSION`, or that contains itself. Linear in the graph: each shared
    node's expanded size is computed once (iteratively: nesting may be 1,000 deep)."""
    import yaml

    expanded: dict[int, int] = {}
    own = 0
    pending: list[tuple[yaml.Node, bool]] = [(root, False)]
    visiting: set[int] = set()
    while pending:
        node, children_done = pending.pop()
        key = id(node)
        if key in expanded:
            continue
        if isinstance(node, yaml.ScalarNode):
            size = 1 + len(node.value)
            expanded[key] = size
            own += size
            continue
        children = _children(node)
        if not children_done:
            if key in visiting:
                raise LimitError(
                    f"the YAML document refers to itself (line {node.start_mark.line + 1})",
                    limit=ALIAS_LIMIT,
                )
            visiting.add(key)
            pending.append((node, True))
            pending.extend((child, False) for child in children if id(child) not in expanded)
            continue
        visiting.discard(key)
        expanded[key] = 1 + sum(expanded[id(child)] for child in children)
        own += 1
    if expanded[id(root)] > own + MAX_ALIAS_EXPANSION:
        raise LimitError(
            f"the YAML document's aliases expand it to {expanded[id(root)]:,} nodes and "
            f"characters, more than {MAX_ALIAS_EXPANSION:,} beyond its own {own:,}",
            limit=ALIAS_LIMIT,
        )


def _children(node: yaml.Node) -> list[yaml.Node]:
    import yaml

    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return list(node.value)
