"""Reading rollout files: YAML with positions (ruamel.yaml) → :class:`Rollout`, and every
problem reported at ``file:line:column``."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError

from release.spec.checks import check
from release.spec.errors import Issue, SpecError, SpecInvalid
from release.spec.model import Rollout

__all__ = ["lint_file", "lint_text", "load_file", "load_text"]


def _parse(text: str, file: str) -> Any:
    yaml = YAML(typ="rt")
    try:
        return yaml.load(io.StringIO(text))
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (0, 0)
        problem = exc.problem or exc.context or "not valid YAML"
        raise SpecError(f"not valid YAML: {problem}", file=file, line=line, column=column) from None
    except Exception as exc:  # noqa: BLE001 - ruamel raises a few unmarked errors (e.g. bad encoding)
        raise SpecError(f"not valid YAML: {exc}", file=file) from None


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, str) else k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _locate(root: Any, path: tuple[Any, ...]) -> tuple[int, int]:
    """1-based (line, column) of the deepest node along ``path`` that exists."""
    line, column = 1, 1
    node = root
    if isinstance(node, (CommentedMap, CommentedSeq)):
        line, column = node.lc.line + 1, node.lc.col + 1
    for part in path:
        if isinstance(node, CommentedMap) and isinstance(part, str) and part in node:
            key_line, key_col = node.lc.key(part)
            line, column = key_line + 1, key_col + 1
            node = node[part]
        elif isinstance(node, CommentedSeq) and isinstance(part, int) and 0 <= part < len(node):
            item_line, item_col = node.lc.item(part)
            line, column = item_line + 1, item_col + 1
            node = node[part]
        elif isinstance(part, str) and (part[:1].isupper() or "[" in part or part in {"str", "int"}):
            continue  # a union/validator branch name pydantic puts in locations
        else:
            break
    return line, column


def _dotted(path: tuple[Any, ...]) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif isinstance(part, str) and (part[:1].isupper() or "[" in part):
            continue
        else:
            out += f".{part}" if out else str(part)
    return out


def _issues_from(exc: ValidationError, root: Any, file: str) -> list[Issue]:
    issues = []
    for error in exc.errors():
        loc = tuple(error["loc"])
        extra = (error.get("ctx") or {}).get("path")
        if extra:
            loc = loc + tuple(extra)
        message = error["msg"]
        if error["type"] == "extra_forbidden":
            message = f"unknown key {loc[-1]!r}"
        elif error["type"] == "missing":
            message = f"missing required key {loc[-1]!r}"
        line, column = _locate(root, loc)
        issues.append(Issue(file, line, column, message, path=_dotted(loc)))
    return issues


def lint_text(text: str, file: str = "<string>") -> tuple[Rollout | None, list[Issue]]:
    """Validate a rollout document; returns the rollout (if valid) and all findings."""
    try:
        root = _parse(text, file)
    except SpecError as exc:
        return None, [Issue(file, exc.line, exc.column, str(exc.args[0]))]
    if not isinstance(root, dict):
        return None, [Issue(file, 1, 1, "a rollout file is a YAML mapping (apiVersion, kind, metadata, spec)")]
    try:
        rollout = Rollout.model_validate(_plain(root))
    except ValidationError as exc:
        return None, _issues_from(exc, root, file)
    except ImportError as exc:
        return None, [Issue(file, 1, 1, f"cannot validate the analysis section: {exc}")]
    issues = []
    for problem in check(rollout):
        line, column = _locate(root, problem.path)
        issues.append(Issue(file, line, column, problem.message, problem.severity, _dotted(problem.path)))
    valid = not any(i.severity == "error" for i in issues)
    return (rollout if valid else None), issues


def load_text(text: str, file: str = "<string>") -> Rollout:
    rollout, issues = lint_text(text, file)
    if rollout is None:
        raise SpecInvalid(issues)
    return rollout


def lint_file(path: str | Path) -> tuple[Rollout | None, list[Issue]]:
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        return None, [Issue(file, 0, 0, f"cannot read: {exc.strerror or exc}")]
    return lint_text(text, file)


def load_file(path: str | Path) -> Rollout:
    rollout, issues = lint_file(path)
    if rollout is None:
        raise SpecInvalid(issues)
    return rollout
