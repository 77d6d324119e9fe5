"""The power crunch: hourly grid data, curtailment-enabled headroom, power options per campus.

* `coredge.power.grid`: the shipped hourly grid tables (EIA-930 demand and fuel mix, EIA
  wholesale prices), each candidate region's balancing area, price hub and carbon, fallbacks;
* `coredge.power.headroom`: the largest constant new load a balancing area can add when it
  agrees to curtail (Norris et al. 2025, "Rethinking Load Growth");
* `coredge.power.options`: firm grid, flexible connection, bridge generation and batteries per
  core site, with time to first capacity and NPV.

docs/power.md explains the models and their sources.
"""
