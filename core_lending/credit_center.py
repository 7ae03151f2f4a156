"""The credit center: registers customers, decides applications, reports and quotes credit.

Adapter between the pure domain and the store; HTTP-free. Every method takes the
caller's ``Principal`` and enforces ``access`` before touching data.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import domain as d
from .access import Action, Principal, authorize, check_reach
from .errors import Conflict, Forbidden, NotFound
from .runtime import Runtime, business_date, naive_utc
from .store.models import Branch, CreditApplication, CreditLine, Customer
from .store.records import add_customer, find_customer_by_id_number

__all__ = ["CreditCenter", "credit_snapshot", "customer_view"]


def customer_view(customer: Customer, principal: Principal) -> dict[str, Any]:
    """The customer as the caller may see it: PII in full only for the owning branch's manager."""
    full = principal.sees_pii_of(customer.branch_code)
    return {
        "customer_id": customer.id,
        "name": customer.name,
        "id_number": customer.id_number if full else customer.id_number_masked,
        "phone": customer.phone if full else customer.phone_masked,
        "pii_masked": not full,
        "branch_code": customer.branch_code,
        "segment": customer.segment,
        "birth_date": customer.birth_date,
        "annual_income_fen": customer.annual_income_fen,
        "other_debt_fen": customer.other_debt_fen,
        "labels": customer.labels,
    }


def credit_snapshot(line: CreditLine | None, customer_id: int, as_of: date) -> dict[str, Any]:
    if line is None or line.status != "active":
        return {"customer_id": customer_id, "line_fen": 0, "used_fen": line.used_fen if line else 0,
                "available_fen": 0, "apr_bps": None, "status": d.CreditStatus.NONE.value, "expires_on": None}
    status = d.credit_status(line_fen=line.line_fen, as_of=as_of, expires_on=line.expires_on)
    available = d.available_credit(line.line_fen, line.used_fen) if status is d.CreditStatus.ACTIVE else 0
    return {"customer_id": customer_id, "line_fen": line.line_fen, "used_fen": line.used_fen,
            "available_fen": available, "apr_bps": line.apr_bps, "status": status.value,
            "expires_on": line.expires_on}


def _profile(customer: Customer) -> d.CustomerProfile:
    return d.CustomerProfile(customer.segment, customer.birth_date, customer.annual_income_fen,
                             customer.other_debt_fen, d.Labels.from_dict(customer.labels))


class CreditCenter:
    def __init__(self, rt: Runtime) -> None:
        self.rt = rt

    # --- customers -----------------------------------------------------------------
    def register(self, principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
        authorize(principal, Action.REGISTER)
        if data["branch_code"] != principal.branch_code:
            raise Forbidden("a customer manager registers customers of their own branch only",
                            action=Action.REGISTER.value)
        labels = d.Labels.from_dict(dict(data["labels"]))
        # The domain validates the situation (age, amounts) exactly as scoring will read it.
        d.CustomerProfile(data["segment"], data["birth_date"], data["annual_income_fen"],
                          data["other_debt_fen"], labels)
        now = self.rt.clock()
        today = business_date(now)
        born: date = data["birth_date"]
        if born >= today or today.year - born.year > 120:
            raise d.ValidationError("birth_date", "birth_date must be a past date within 120 years",
                                    reason="out_of_range")
        with self.rt.db.write() as s:
            if s.get(Branch, data["branch_code"]) is None:
                raise NotFound("branch", data["branch_code"])
            if find_customer_by_id_number(s, data["id_number"]) is not None:
                raise Conflict("a customer with this ID number is already registered", code="customer-exists")
            customer = add_customer(
                s, branch_code=data["branch_code"], name=data["name"], id_number=data["id_number"],
                phone=data["phone"], segment=str(data["segment"]), birth_date=data["birth_date"],
                annual_income_fen=data["annual_income_fen"], other_debt_fen=data["other_debt_fen"],
                labels=labels.to_dict(), now=naive_utc(now),
            )
            return customer_view(customer, principal)

    def _customer(self, s: Session, principal: Principal, customer_id: int) -> Customer:
        customer = s.get(Customer, customer_id)
        if customer is None:
            raise NotFound("customer", customer_id)
        check_reach(principal, branch_code=customer.branch_code, customer_id=customer.id,
                    resource="customer", ident=customer_id)
        return customer

    def customer(self, principal: Principal, customer_id: int) -> dict[str, Any]:
        authorize(principal, Action.READ)
        with self.rt.db.read() as s:
            return customer_view(self._customer(s, principal, customer_id), principal)

    # --- credit --------------------------------------------------------------------
    def apply(self, principal: Principal, customer_id: int) -> dict[str, Any]:
        authorize(principal, Action.APPLY)
        rt, faults = self.rt, self.rt.faults.spec
        now = rt.clock()
        as_of = business_date(now)
        with rt.db.read() as s:
            customer = self._customer(s, principal, customer_id)
            branch = customer.branch_code
            profile = _profile(customer)
        lpr = d.DEFAULT_LPR.on(as_of)
        with rt.tracer.start_as_current_span("credit.score", attributes=rt.span_attributes(branch=branch)) as span:
            decision = d.decide(profile, as_of=as_of, lpr_bps=lpr, adjustment_points=faults.approval_shift_points)
            grade = decision.grade.value if decision.grade else "none"
            span.set_attributes(rt.span_attributes(decision=decision.decision.value, grade=grade))
        with rt.tracer.start_as_current_span("credit.line", attributes=rt.span_attributes(branch=branch, grade=grade)):
            line_fen = decision.line_fen
        with rt.tracer.start_as_current_span("credit.price", attributes=rt.span_attributes(branch=branch, grade=grade)):
            apr = decision.apr_bps
            outside = False
            if apr is not None:
                apr += faults.apr_shift_bps  # a drill build whose pricing bypasses the clamp
                lo, hi = d.apr_bounds(lpr)
                outside = not lo <= apr <= hi
        with rt.tracer.start_as_current_span("credit.persist", attributes=rt.span_attributes(
                branch=branch, decision=decision.decision.value, grade=grade)):
            with rt.db.write() as s:
                # Lock the customer first: two first-time applications must not both insert a line.
                s.scalar(select(Customer.id).where(Customer.id == customer_id).with_for_update())
                line = s.scalar(select(CreditLine).where(CreditLine.customer_id == customer_id).with_for_update())
                if line is not None and line.used_fen > 0:
                    raise Conflict("the customer's credit line is in use; repay before a new application",
                                   code="credit-line-in-use")
                app = CreditApplication(
                    customer_id=customer_id, branch_code=branch, decision=decision.decision.value,
                    score=decision.score, grade=grade, line_fen=line_fen, apr_bps=apr,
                    reasons=list(decision.reasons), scorecard_version=decision.scorecard_version,
                    lpr_bps=lpr, inputs_hash=decision.inputs_hash, build_version=rt.settings.version,
                    track=rt.settings.track, created_at=naive_utc(now),
                )
                s.add(app)
                s.flush()
                if decision.approved:
                    if line is None:
                        line = CreditLine(customer_id=customer_id, used_fen=0)
                        s.add(line)
                    line.line_fen, line.apr_bps, line.status = line_fen, apr, "active"
                    line.granted_on, line.expires_on, line.application_id = as_of, decision.expires_on, app.id
                elif line is not None:
                    line.status, line.line_fen, line.application_id = "declined", 0, app.id
                application_id = app.id
        rt.metrics.credit_decision(decision.decision.value, grade=grade, branch=branch)
        if decision.approved and apr is not None:
            rt.metrics.granted(line_fen=line_fen, apr_bps=apr, outside_guardrail=outside)
        return {
            "application_id": application_id, "customer_id": customer_id,
            "decision": decision.decision.value, "score": decision.score,
            "grade": decision.grade.value if decision.grade else None, "line_fen": line_fen,
            "apr_bps": apr, "reasons": list(decision.reasons), "scorecard_version": decision.scorecard_version,
            "lpr_bps": lpr, "inputs_hash": decision.inputs_hash, "expires_on": decision.expires_on,
        }

    def credit(self, principal: Principal, customer_id: int) -> dict[str, Any]:
        authorize(principal, Action.READ)
        with self.rt.db.read() as s:
            self._customer(s, principal, customer_id)
            line = s.scalar(select(CreditLine).where(CreditLine.customer_id == customer_id))
            return credit_snapshot(line, customer_id, business_date(self.rt.clock()))

    def quote(self, principal: Principal, data: dict[str, Any]) -> dict[str, Any]:
        authorize(principal, Action.QUOTE)
        as_of = business_date(self.rt.clock())
        with self.rt.db.read() as s:
            self._customer(s, principal, data["customer_id"])
            line = s.scalar(select(CreditLine).where(CreditLine.customer_id == data["customer_id"]))
            snap = credit_snapshot(line, data["customer_id"], as_of)
        request = d.validate_quote(amount_fen=data["amount_fen"], term_months=data["term_months"],
                                   method=data["repayment_method"])
        if snap["status"] != d.CreditStatus.ACTIVE.value or snap["apr_bps"] is None:
            raise d.CreditUnavailable(snap["status"], f"no usable credit line (status {snap['status']})")
        schedule = d.build_schedule(request.amount_fen, snap["apr_bps"], request.term_months, request.method, as_of)
        return schedule_view(schedule, amount_fen=request.amount_fen)


def schedule_view(schedule: d.Schedule, *, amount_fen: int) -> dict[str, Any]:
    return {
        "apr_bps": schedule.apr_bps, "amount_fen": amount_fen, "term_months": schedule.term_months,
        "repayment_method": schedule.method.value,
        "installments": [
            {"number": i.number, "due_date": i.due_date, "principal_fen": i.principal_fen,
             "interest_fen": i.interest_fen, "total_fen": i.total_fen}
            for i in schedule.installments
        ],
        "total_interest_fen": schedule.total_interest_fen,
    }
