from __future__ import annotations

import pytest

from release.webhook import Notification, payload_for

N = Notification(
    event="rollback", rollout="lending", phase="rolling_back", message="canary worse than stable (latency)",
    stable="1.0.0", canary="1.1.0", step=3, steps=8, weight=25, cohort=("520221",),
    verdicts=[{"metric": "latency", "decision": "fail", "explanation": "p-value 0.001 < alpha"}],
)


def test_generic_is_the_whole_notification() -> None:
    body = payload_for("generic", N)
    assert body["event"] == "rollback" and body["weight"] == 25 and body["cohort"] == ["520221"]
    assert body["verdicts"][0]["metric"] == "latency"


def test_dingtalk_markdown_has_title_and_text_with_the_verdict() -> None:
    body = payload_for("dingtalk", N)
    assert body["msgtype"] == "markdown"
    assert set(body["markdown"]) == {"title", "text"}
    assert "lending: rollback" in body["markdown"]["title"]
    assert "`latency` fail: p-value 0.001 < alpha" in body["markdown"]["text"]
    assert "step 4/8" in body["markdown"]["text"]


def test_wecom_markdown_has_content_only() -> None:
    body = payload_for("wecom", N)
    assert body["msgtype"] == "markdown" and set(body["markdown"]) == {"content"}
    assert "canary worse than stable" in body["markdown"]["content"]


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError):
        payload_for("slack", N)
