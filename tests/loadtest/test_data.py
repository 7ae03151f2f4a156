"""Generated data is realistic and acceptable to the service's own request models."""

from __future__ import annotations

import json
import random
from collections import Counter
from datetime import date

import pytest

from core_lending.api.schemas import CustomerIn, DrawdownIn
from loadtest import data
from loadtest.scenario import BranchSelection

CODES = [f"52{n:04d}" for n in range(84)]


def test_resident_id_has_the_gb11643_check_character() -> None:
    # A published example: 11010519491231002X.
    assert data.id_number(random.Random(), "110105", date(1949, 12, 31), 2) == "11010519491231002X"


def test_customers_pass_the_services_request_model() -> None:
    rng = random.Random(1)
    branch = data.Branch("522629", "剑河县", True)
    payloads = [data.customer_payload(rng, branch, today=date(2026, 11, 28), serial=i) for i in range(300)]
    for payload in payloads:
        CustomerIn.model_validate_json(json.dumps(payload))  # as the service reads its body
        assert payload["id_number"][6:14] == payload["birth_date"].replace("-", "")
    segments = Counter(p["segment"] for p in payloads)
    assert segments.most_common(1)[0][0] == "farmer" and len(segments) == 4
    assert any(p["labels"]["fraud_risk"] == "high" for p in payloads)  # knock-outs belong in the mix


@pytest.mark.parametrize("available", [10_000, 123_456, 5_000_000, 9_000_000])
def test_drawdowns_are_whole_hundreds_within_the_available_credit(available: int) -> None:
    rng = random.Random(available)
    for _ in range(200):
        body = data.draw_request(rng, 7, available, (0.1, 1.0))
        assert body is not None
        DrawdownIn.model_validate_json(json.dumps(body))
        assert data.MIN_DRAW_FEN <= body["amount_fen"] <= min(available, data.LINE_CAP_FEN)
        assert body["amount_fen"] % 10_000 == 0
        assert body["term_months"] <= (12 if body["repayment_method"] == "revolving" else 36)
    assert data.draw_request(rng, 7, 9_999, (0.1, 1.0)) is None


def test_branch_weights_are_skewed_and_the_same_on_every_run() -> None:
    weights = data.branch_weights(CODES, BranchSelection())
    assert weights == data.branch_weights(list(reversed(CODES)), BranchSelection())
    assert 20 < max(weights.values()) / min(weights.values()) < 40
    explicit = data.branch_weights(CODES, BranchSelection(weights={"520000": 1000}))
    assert explicit["520000"] == 1000


def test_the_picker_acts_only_for_branches_with_a_token_and_the_selection() -> None:
    branches = [data.Branch(c, pilot=c in {"520001", "520002"}) for c in CODES]
    picker = data.BranchPicker(branches, BranchSelection(pilot_only=True), usable={"520001", "520003"})
    rng = random.Random(3)
    assert {picker.pick(rng).code for _ in range(50)} == {"520001"}
    with pytest.raises(ValueError, match="do not overlap"):
        data.BranchPicker(branches, BranchSelection(codes=["520005"]), usable={"520001"})


def test_seeded_generation_repeats_and_idempotency_keys_never_do() -> None:
    def one(seed: int) -> dict[str, object]:
        return data.customer_payload(random.Random(seed), data.Branch("522629"), today=date(2026, 1, 1), serial=1)
    assert one(9) == one(9) and one(9) != one(10)
    assert len({data.idempotency_key() for _ in range(1000)}) == 1000
