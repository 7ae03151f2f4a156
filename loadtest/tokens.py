"""Bearer tokens for a run: one manager token per branch the journeys may act for.

Sources, first found wins: ``LENDOPS_LOADTEST_TOKENS`` (the JSON itself, set by the
runner for its Locust processes), ``LENDING_TOKENS_FILE`` (a file
``{"managers": {"522629": "<token>", ...}}``), or ``LENDING_TOKEN`` with
``LENDING_BRANCH`` for a single-branch run.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .errors import TokensError

__all__ = ["ManagerTokens", "load_tokens_file", "tokens_from_env", "ENV_TOKENS_JSON"]

ENV_TOKENS_JSON = "LENDOPS_LOADTEST_TOKENS"
ENV_TOKENS_FILE = "LENDING_TOKENS_FILE"
ENV_TOKEN = "LENDING_TOKEN"
ENV_BRANCH = "LENDING_BRANCH"

ManagerTokens = dict[str, str]


def parse_tokens(data: Any, source: str) -> ManagerTokens:
    if not isinstance(data, Mapping) or not isinstance(data.get("managers"), Mapping):
        raise TokensError(source, 'expected {"managers": {"<branch code>": "<token>", ...}}')
    tokens = {str(code): str(token) for code, token in data["managers"].items() if token}
    if not tokens:
        raise TokensError(source, "no manager token in it")
    return tokens


def load_tokens_file(path: str | Path) -> ManagerTokens:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise TokensError(str(path), f"cannot read: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise TokensError(str(path), f"not JSON: {exc}") from exc
    return parse_tokens(data, str(path))


def single_token(token: str, branch: str | None) -> ManagerTokens:
    if not branch:
        raise TokensError("--token", "a single token needs the branch it is bound to (--branch CODE)")
    return {branch: token}


def tokens_from_env(environ: Mapping[str, str] | None = None) -> ManagerTokens:
    env = os.environ if environ is None else environ
    if env.get(ENV_TOKENS_JSON):
        try:
            return parse_tokens(json.loads(env[ENV_TOKENS_JSON]), ENV_TOKENS_JSON)
        except json.JSONDecodeError as exc:
            raise TokensError(ENV_TOKENS_JSON, f"not JSON: {exc}") from exc
    if env.get(ENV_TOKENS_FILE):
        return load_tokens_file(env[ENV_TOKENS_FILE])
    if env.get(ENV_TOKEN):
        return single_token(env[ENV_TOKEN], env.get(ENV_BRANCH))
    raise TokensError("environment", f"no tokens: set {ENV_TOKENS_FILE} (or pass --tokens FILE), "
                                     f"or {ENV_TOKEN} with {ENV_BRANCH}")
