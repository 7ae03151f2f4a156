"""Scenario YAML → ``Scenario``, with every mistake reported as ``file:line: field: message``.

ruamel.yaml keeps the line of each key and value, so a pydantic error location
(``("shape", "spike", "at_s")``) is walked back through the parsed document to the line
the user has to fix. A missing field points at its parent mapping.
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from .errors import ScenarioError
from .scenario import Scenario

__all__ = ["load_scenario", "parse_scenario", "bundled_scenarios", "resolve_scenario_path"]


def bundled_scenarios() -> dict[str, Path]:
    """The example scenarios shipped with the package, by name (``steady`` → its path)."""
    folder = resources.files("loadtest") / "scenarios"
    return {Path(str(p)).stem: Path(str(p)) for p in folder.iterdir() if str(p).endswith((".yaml", ".yml"))}


def resolve_scenario_path(name_or_path: str | Path) -> Path:
    """A file path as given, or the bundled scenario of that name (``steady``)."""
    path = Path(name_or_path)
    if path.exists():
        return path
    bundled = bundled_scenarios()
    if str(name_or_path) in bundled:
        return bundled[str(name_or_path)]
    raise ScenarioError(path, [(None, "", f"no such file, and no bundled scenario of that name "
                                         f"(bundled: {', '.join(sorted(bundled))})")])


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file (or a bundled scenario's name)."""
    resolved = resolve_scenario_path(path)
    try:
        text = resolved.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(resolved, [(None, "", f"cannot read: {exc.strerror or exc}")]) from exc
    return parse_scenario(text, source=str(path))


def parse_scenario(text: str, *, source: str = "<scenario>") -> Scenario:
    """Validate scenario YAML text; ``source`` names it in error messages."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt")
    try:
        document = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        raise ScenarioError(source, [(line, "", f"not valid YAML: {exc.problem or exc.context}")]) from exc
    except YAMLError as exc:
        raise ScenarioError(source, [(None, "", f"not valid YAML: {exc}")]) from exc
    if not isinstance(document, dict):
        raise ScenarioError(source, [(1, "", "a scenario is a YAML mapping "
                                             "(name:, duration_s:, mix:, load:, shape:, ...)")])
    data = _plain(document)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        problems = [_problem(document, err) for err in exc.errors(include_url=False)]
        raise ScenarioError(source, problems) from None
    consistency = scenario.consistency_problems()
    if consistency:
        raise ScenarioError(source, [(_line_of(document, loc), ".".join(loc), msg) for loc, msg in consistency])
    return scenario


def _plain(node: Any) -> Any:
    """ruamel's commented containers as plain dicts and lists (pydantic wants those)."""
    if isinstance(node, dict):
        return {str(k) if not isinstance(k, (int, float)) else k: _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    if isinstance(node, str):
        return str(node)
    return node


def _problem(document: Any, err: Any) -> tuple[int | None, str, str]:
    loc: tuple[Any, ...] = tuple(err.get("loc", ()))
    message = err.get("msg", "invalid")
    kind = err.get("type")
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        # Point at the discriminating key itself (``shape.type``), not the whole mapping.
        ctx = err.get("ctx", {})
        key = str(ctx.get("discriminator", "type")).strip("'")
        loc = (*loc, key)
        if kind == "union_tag_invalid":
            message = f"{ctx.get('tag')!r} is not one of {ctx.get('expected_tags')}"
        else:
            message = "field required"
        return _line_of(document, loc), ".".join(str(p) for p in _visible_loc(document, loc)), message
    field = ".".join(str(part) for part in _visible_loc(document, loc))
    if kind == "extra_forbidden":
        message = "unknown field (misspelt?)"
    elif err.get("type") == "missing":
        message = "field required"
    elif "input" in err and err.get("type") not in ("model_type", "dict_type"):
        message = f"{message} (got {err['input']!r})"
    return _line_of(document, loc), field, message


def _visible_loc(document: Any, loc: Sequence[Any]) -> list[Any]:
    """``loc`` without pydantic's union tags (``load.closed.users`` → ``load.users``)."""
    visible: list[Any] = []
    node = document
    for part in loc:
        if isinstance(node, dict) and part in node:
            visible.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            visible.append(part)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and _is_union_tag(node, part):
            continue
        else:
            visible.append(part)
            node = None
    return visible


def _is_union_tag(node: dict[str, Any], part: str) -> bool:
    return node.get("model") == part or node.get("type") == part


def _line_of(document: Any, loc: Sequence[Any]) -> int | None:
    """1-based line of the deepest node of ``loc`` present in the document."""
    node = document
    line: int | None = _node_line(document)
    for part in loc:
        if isinstance(node, dict) and part in node:
            line = _key_line(node, part, line)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            line = _item_line(node, part, line)
            node = node[part]
        elif isinstance(node, dict) and isinstance(part, str) and _is_union_tag(node, part):
            continue
        else:
            break
    return line


def _node_line(node: Any) -> int | None:
    lc = getattr(node, "lc", None)
    return lc.line + 1 if lc is not None and lc.line is not None else None


def _key_line(node: Any, key: Any, default: int | None) -> int | None:
    lc = getattr(node, "lc", None)
    if lc is None:
        return default
    try:
        return lc.key(key)[0] + 1
    except (KeyError, TypeError, AttributeError):
        return default


def _item_line(node: Any, index: int, default: int | None) -> int | None:
    lc = getattr(node, "lc", None)
    if lc is None:
        return default
    try:
        return lc.item(index)[0] + 1
    except (KeyError, IndexError, TypeError, AttributeError):
        return default
