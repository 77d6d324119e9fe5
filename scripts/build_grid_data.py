"""Build the hourly grid tables shipped under ``src/coredge/data/grid/`` from ``../shared/data/grid_hourly``.

Run from the repository root: ``python scripts/build_grid_data.py [SHARED_GRID_DIR]``. It writes
only what the sources' licences allow coredge to redistribute (src/coredge/data/grid/README.md):

* ``eia930_demand_mw_22ba_2016-2024.parquet``: cleaned EIA-930 hourly demand (Ruggles et al.,
  CC BY 4.0, on EIA public-domain data) of the 22 balancing areas of the Duke headroom study,
  2016-01-01T00Z .. 2024-12-31T22Z (hour-start UTC), int32 MW;
* ``eia930_generation_mwh_2022_8ba.parquet``: EIA-930 hourly net generation by fuel, 2022, 8 BAs
  (EIA, public domain; extracted by HewlettPackard/dc-rl, MIT);
* ``eia_wholesale_rt_lmp_usd_per_mwh_2022.parquet``: EIA Wholesale Electricity Market Portal
  hourly real-time LMP at the non-PJM hubs coredge maps regions to, 2022 (EIA, public domain).

Not written: Electricity Maps carbon intensity (ODbL) and PJM prices (PJM terms); tests read
those from ``../shared`` and skip when it is absent.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

OUT = Path(__file__).resolve().parents[1] / "src" / "coredge" / "data" / "grid"
DUKE_BAS = ("PJM", "MISO", "ERCO", "SWPP", "CISO", "NYIS", "ISNE", "SOCO", "TVA", "FPL", "DUK",
            "FPC", "CPLE", "SC", "SCEG", "BPAT", "AZPS", "SRP", "PACE", "PSCO", "PACW", "PGE")  # fmt: skip
HUBS = ("ERCOT_HUB_AVERAGE", "ERCOT_NORTH", "ERCOT_WEST", "MISO_INDIANA_HUB", "MISO_ILLINOIS_HUB",
        "MISO_MINNESOTA_HUB", "MISO_MISSISSIPPI_HUB", "MISO_LOUISIANA_HUB", "SPP_NORTH_HUB", "SPP_SOUTH_HUB", "CAISO_NP_15", "NYISO_F_CAPITAL",
        "ISONE_INTERNAL_HUB")  # fmt: skip


def _write(df: pd.DataFrame, name: str, meta: dict[str, str]) -> None:
    table = pa.Table.from_pandas(df, preserve_index=True)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           **{k.encode(): v.encode() for k, v in meta.items()}})
    enc = {c: "DELTA_BINARY_PACKED" for c in df.columns if pd.api.types.is_integer_dtype(df[c])}
    pq.write_table(table, OUT / name, compression="zstd", compression_level=19,
                   use_dictionary=False, column_encoding=enc or None)


def main(src: Path) -> None:
    """Write the three tables from the shared folder ``src``."""
    def read(rel: str) -> pd.DataFrame:
        return pd.read_csv(src / rel, index_col="time_utc", parse_dates=True)

    a = read("load/eia930_demand_mw_cleaned_2015-2019_ruggles_v2020.csv.gz")
    b = read("load/eia930_demand_mw_cleaned_2020-2024_ruggles_v2025.csv.gz")
    load = pd.concat([a[list(DUKE_BAS)], b[list(DUKE_BAS)]])
    load = load[load.index >= pd.Timestamp("2016-01-01", tz="UTC")].astype("int32")
    load.index.name = "time_utc"
    _write(load, "eia930_demand_mw_22ba_2016-2024.parquet", {
        "source": "EIA Form 930 hourly demand, cleaned by Ruggles et al. (Sci Data 7, 155, 2020; "
                  "Zenodo doi:10.5281/zenodo.3517196 v1.4 2025), releases 2020-Oct and 2025-Jan",
        "unit": "MW (hourly mean); index: hour start, UTC",
        "licence": "CC BY 4.0 (Ruggles et al.); underlying EIA-930 data public domain",
    })
    gen = pd.read_csv(src / "carbon/eia930_net_generation_by_fuel_mwh_2022_8ba.csv.gz",
                      parse_dates=["time_utc"])
    gen = gen.drop(columns=["source_avg_ci_gco2eq_per_kwh"]).set_index(["time_utc", "ba"])
    gen = gen.astype("Int32")
    _write(gen, "eia930_generation_mwh_2022_8ba.parquet", {
        "source": "EIA Form 930 hourly net generation by fuel (EIA bulk file EBA.zip), as "
                  "extracted by HewlettPackard/dc-rl (commit 6f66e829)",
        "unit": "MWh per hour; index: hour start, UTC",
        "licence": "public domain (U.S. government work); extraction MIT",
    })
    lmp = read("prices/lmp_hourly_rt_eia_wholesale_hubs_zones_2020-2024.csv.gz")[list(HUBS)]
    lmp = lmp[(lmp.index >= pd.Timestamp("2022-01-01", tz="UTC"))
              & (lmp.index < pd.Timestamp("2023-01-01", tz="UTC"))].astype("float32")
    _write(lmp, "eia_wholesale_rt_lmp_usd_per_mwh_2022.parquet", {
        "source": "U.S. EIA Wholesale Electricity Market Portal, real-time LMP by hub/zone "
                  "(as committed in Lauvera132/hydrogen_renewable_electrolysis_simulation, a372b1eb)",
        "unit": "USD/MWh (nominal), hourly mean of the intervals present; index: hour start, UTC",
        "licence": "public domain (U.S. government work)",
    })


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else
         Path(__file__).resolve().parents[2] / "shared" / "data" / "grid_hourly")
