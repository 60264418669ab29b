"""JUnit XML for CI systems: one writer for every command that reports (contract, verify)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

#: Characters XML 1.0 cannot carry, even escaped.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


@dataclass(frozen=True)
class Problem:
    """A ``failure`` (the check found something) or an ``error`` (the check could not run)."""

    kind: str  # "failure" or "error"
    message: str
    text: str
    type: str | None = None


@dataclass(frozen=True)
class Case:
    classname: str
    name: str
    problem: Problem | None = None
    output: str | None = None


def write_junit(
    path: Path,
    suite_name: str,
    cases: Sequence[Case],
    *,
    seconds: float,
    mask: Callable[[str], str] = lambda text: text,
) -> None:
    """Write ``cases`` as one suite to ``path``, every text through ``mask`` (secrets)."""

    def clean(text: str) -> str:
        return _XML_ILLEGAL.sub("\ufffd", mask(text))

    counts = {
        "tests": str(len(cases)),
        "failures": str(sum(1 for c in cases if c.problem and c.problem.kind == "failure")),
        "errors": str(sum(1 for c in cases if c.problem and c.problem.kind == "error")),
        "time": f"{seconds:.3f}",
    }
    suite = ElementTree.Element("testsuite", name=suite_name, **counts)
    for case in cases:
        element = ElementTree.SubElement(
            suite, "testcase", classname=case.classname, name=case.name
        )
        if case.problem is not None:
            attributes = {"message": clean(case.problem.message)}
            if case.problem.type is not None:
                attributes["type"] = case.problem.type
            problem = ElementTree.SubElement(element, case.problem.kind, **attributes)
            problem.text = clean(case.problem.text)
        if case.output is not None:
            ElementTree.SubElement(element, "system-out").text = clean(case.output)
    root = ElementTree.Element("testsuites", **counts)
    root.append(suite)
    path.parent.mkdir(parents=True, exist_ok=True)
    ElementTree.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
