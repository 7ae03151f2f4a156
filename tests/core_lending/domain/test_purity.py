"""The domain stays pure: no web, SQL or HTTP libraries, no clock, no randomness."""

from __future__ import annotations

import ast
import doctest
import importlib
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import core_lending.domain as domain

PACKAGE_DIR = Path(domain.__file__).parent
MODULES = sorted(PACKAGE_DIR.glob("*.py"))
FORBIDDEN_IMPORTS = {"flask", "werkzeug", "sqlalchemy", "alembic", "requests", "random", "secrets",
                     "time", "os", "uuid", "socket", "threading", "subprocess"}
FORBIDDEN_CALLS = {"now", "today", "utcnow", "time", "monotonic", "perf_counter", "urandom"}


@pytest.mark.parametrize("path", MODULES, ids=lambda p: p.name)
def test_no_forbidden_imports_or_clock_reads(path: Path) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            names = [node.module or ""] if node.level == 0 else []
        else:
            names = []
        for name in names:
            assert name.split(".")[0] not in FORBIDDEN_IMPORTS, f"{path.name} imports {name}"
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            assert node.func.attr not in FORBIDDEN_CALLS, f"{path.name}:{node.lineno} calls .{node.func.attr}()"


def test_importing_the_domain_pulls_in_no_adapter_library() -> None:
    code = ("import sys, core_lending.domain; "
            "bad = sorted(m for m in sys.modules if m.split('.')[0] in "
            "('flask', 'sqlalchemy', 'requests', 'werkzeug', 'alembic')); print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_public_surface_is_exported() -> None:
    for name in domain.__all__:
        assert hasattr(domain, name), name
    expected = {"Segment", "FraudRisk", "RelationshipGrade", "RepaymentHistory", "CreditRecord",
                "RepaymentMethod", "Grade", "Decision", "Labels", "CustomerProfile", "Product",
                "DEFAULT_PRODUCT", "LprSchedule", "DEFAULT_LPR", "Scorecard", "DEFAULT_SCORECARD",
                "ScoreResult", "apr_bounds", "price", "credit_line", "CreditDecision", "decide",
                "Installment", "Schedule", "build_schedule", "accrued_interest_fen", "LoanStatus",
                "LoanEvent", "next_status", "allocate_repayment", "RepaymentAllocation",
                "available_credit", "validate_draw", "validate_quote", "DomainError",
                "ValidationError", "CreditUnavailable", "InsufficientCredit", "Overpayment",
                "InvalidTransition", "KnockedOut"}
    assert expected <= set(domain.__all__)


@pytest.mark.parametrize("name", sorted(m.name for m in pkgutil.iter_modules([str(PACKAGE_DIR)])))
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(f"core_lending.domain.{name}")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0


def test_package_docstring_example() -> None:
    assert doctest.testmod(domain).failed == 0
