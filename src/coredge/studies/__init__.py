"""Studies over the pipeline: strategy comparison (`compare`), Monte Carlo risk, and scenario
sweeps on Dask (`sweep`, `sweep_task`). With `coredge.cli` these are the only callers of
`coredge.pipeline`.
"""
