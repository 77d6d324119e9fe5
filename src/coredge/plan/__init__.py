"""Stage 2, the plan: which sites, which tier, how many MW and GPUs, in which year.

`coredge.plan.result` holds the `Plan` (the stage's output) and what is derived from it
(coverage, single-site-failure shortfall); `costing` prices a plan's sites (the one site-pricing
formula); `greedy` is the latency-coverage heuristic; `milp` the optimising planner built on the
scenario model (`model`), its bound (`bound`, `cluster`), multi-year aggregation (`multiyear`),
resilient warm start and the exact failure repair (`repair`). The generic facility-location engine
they build on lives in `coredge.cflp`.
"""
