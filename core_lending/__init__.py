"""The lending service: credit granting, pricing, drawdown, disbursement, repayment."""
