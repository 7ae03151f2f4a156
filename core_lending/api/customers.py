"""Customers, credit applications, credit read-back and quotes."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from ..access import Principal
from .operations import Api, services
from .schemas import (
    ApplicationIn,
    ApplicationOut,
    CreditOut,
    CustomerIn,
    CustomerOut,
    QuoteIn,
    QuoteOut,
)

__all__ = ["register"]


def register(api: Api) -> Blueprint:
    bp = Blueprint("customers", __name__, url_prefix="/v1")

    @api.route(bp, "/customers", "POST", body=CustomerIn, response=CustomerOut, status=201, tag="customers",
               summary="Register a customer of the manager's own branch")
    def create_customer(principal: Principal, body: CustomerIn) -> Any:
        return services().credit.register(principal, body.model_dump())

    @api.route(bp, "/customers/<int:customer_id>", "GET", response=CustomerOut, tag="customers",
               summary="Read a customer (PII masked except for the owning branch's manager)")
    def get_customer(principal: Principal, customer_id: int) -> Any:
        return services().credit.customer(principal, customer_id)

    @api.route(bp, "/credit/applications", "POST", body=ApplicationIn, response=ApplicationOut, status=201,
               tag="credit", summary="Score and decide a credit application")
    def apply_for_credit(principal: Principal, body: ApplicationIn) -> Any:
        return services().credit.apply(principal, body.customer_id)

    @api.route(bp, "/customers/<int:customer_id>/credit", "GET", response=CreditOut, tag="credit",
               summary="Line, used, available, APR, status and expiry of a customer's credit")
    def get_credit(principal: Principal, customer_id: int) -> Any:
        return services().credit.credit(principal, customer_id)

    @api.route(bp, "/quotes", "POST", body=QuoteIn, response=QuoteOut, tag="credit",
               summary="APR, full schedule and total interest for an amount, term and method")
    def quote(principal: Principal, body: QuoteIn) -> Any:
        return services().credit.quote(principal, body.model_dump())

    return bp
