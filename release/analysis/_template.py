"""PromQL templates: ``{{track}}``, ``{{interval}}``, ``{{window}}`` and friends."""

from __future__ import annotations

import re
from collections.abc import Mapping

from ._errors import TemplateError

__all__ = ["keys", "render"]

_KEY = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def keys(template: str) -> tuple[str, ...]:
    """Keys a template uses, in order of first use."""
    seen: dict[str, None] = {}
    for m in _KEY.finditer(template):
        seen.setdefault(m.group(1), None)
    return tuple(seen)


def render(template: str, values: Mapping[str, str]) -> str:
    """Fill every ``{{key}}``; a key without a value is a :class:`TemplateError` naming it.

    >>> render('up{track="{{track}}"}', {"track": "canary"})
    'up{track="canary"}'
    """
    for key in keys(template):
        if key not in values:
            raise TemplateError(key, template, available=tuple(sorted(values)))
    return _KEY.sub(lambda m: str(values[m.group(1)]), template)
