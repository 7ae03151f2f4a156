"""Drawdowns, loans, schedules and repayments."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from sqlalchemy.orm import Session

from ..access import Principal
from .operations import Api, services
from .schemas import DrawdownIn, LoanOut, RepaymentIn, RepaymentOut, ScheduleOut

__all__ = ["register"]


def register(api: Api) -> Blueprint:
    bp = Blueprint("loans", __name__, url_prefix="/v1")

    @api.route(bp, "/drawdowns", "POST", body=DrawdownIn, response=LoanOut, status=201, idempotent=True,
               tag="loans", outcome="drawdown",
               summary="Reserve available credit and create a loan pending disbursement")
    def draw(principal: Principal, body: DrawdownIn, session: Session) -> Any:
        return services().loans.drawdown(session, principal, body.model_dump())

    @api.route(bp, "/loans/<int:loan_id>", "GET", response=LoanOut, tag="loans", summary="Read a loan")
    def get_loan(principal: Principal, loan_id: int) -> Any:
        return services().loans.loan(principal, loan_id)

    @api.route(bp, "/loans/<int:loan_id>/schedule", "GET", response=ScheduleOut, tag="loans",
               summary="The loan's repayment schedule")
    def get_schedule(principal: Principal, loan_id: int) -> Any:
        return services().loans.schedule(principal, loan_id)

    @api.route(bp, "/loans/<int:loan_id>/repayments", "POST", body=RepaymentIn, response=RepaymentOut,
               status=201, idempotent=True, tag="loans",
               summary="Repay: accrued interest first, then principal; a settled loan closes")
    def repay(principal: Principal, body: RepaymentIn, session: Session, loan_id: int) -> Any:
        return services().loans.repay(session, principal, loan_id, body.amount_fen)

    return bp
