"""Finance: cash flows, NPV/IRR/payback/LCOC metrics, portfolio financials and Monte Carlo risk.

Pure, vectorised functions over (sites x years) or (trials x sites x years) arrays; see
``docs/finance.md`` for conventions (end-of-year flows, units) and the default assumptions.
"""

from __future__ import annotations

from coredge.finance.assumptions import FinanceAssumptions, TierFinance, default_tiers
from coredge.finance.cashflow import CashFlows, SiteInputs, build_drivers, site_cash_flows
from coredge.finance.metrics import (
    irr,
    irr_detail,
    lcoc,
    moic,
    npv,
    payback_years,
    peak_funding_usd,
)
from coredge.finance.montecarlo import (
    Distribution,
    RiskResult,
    RiskSpec,
    UncertainVariable,
    run_monte_carlo,
)
from coredge.finance.portfolio import (
    cash_flow_table,
    portfolio_financials,
    site_inputs_from_table,
    tier_and_portfolio_metrics,
)

__all__ = [
    "CashFlows",
    "Distribution",
    "FinanceAssumptions",
    "RiskResult",
    "RiskSpec",
    "SiteInputs",
    "TierFinance",
    "UncertainVariable",
    "build_drivers",
    "cash_flow_table",
    "default_tiers",
    "irr",
    "irr_detail",
    "lcoc",
    "moic",
    "npv",
    "payback_years",
    "peak_funding_usd",
    "portfolio_financials",
    "run_monte_carlo",
    "site_cash_flows",
    "site_inputs_from_table",
    "tier_and_portfolio_metrics",
]
