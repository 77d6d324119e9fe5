"""Accelerator catalog: datasheet figures for the GPUs coredge plans with.

Every figure is **dense** (NVIDIA "with sparsity" figures are halved). Sources are from
``shared/reference/facts.md`` §1 (the table rows cited per field below); figures not found
there are labelled *assumption*.

Per-GPU fields
--------------
``tdp_w``                 board power limit [W]
``bf16_tflops``           dense BF16/FP16 tensor peak [TFLOP/s] (V100: FP16 tensor peak, the
                          figure Patterson et al. 2021 use; V100 has no BF16)
``fp8_tflops``            dense FP8 tensor peak [TFLOP/s]; ``None`` where the chip has no FP8
``fp4_tflops``            dense FP4 (NVFP4) tensor peak [TFLOP/s]; ``None`` before Blackwell
``hbm_gb``                device memory as the datasheet states it [GB]; NVIDIA's HBM figures
                          are binary (the measured H100 "80 GB" reports 79.65 GiB,
                          shared/calibration/h100_sxm_profile.json), so `Accelerator.memory_gib`
                          reads them as GiB unless ``visible_memory_gib`` says otherwise
``hbm_gb_s``              HBM bandwidth [GB/s]
``nvlink_gb_s``           NVLink bandwidth per GPU, both directions together [GB/s]
``server_overhead_w``     host share per GPU at full load (CPUs, NICs, NVSwitch, fans, PSU
                          losses) = (server max input - GPUs x TDP) / GPUs [W]
``gpu_price_usd``         price of one GPU module [USD]
``system_price_usd_per_gpu``  server (or rack) price incl. host and network share, per GPU [USD]

Rack fields: ``gpus_per_server``, ``servers_per_rack`` (so ``gpus_per_rack``), ``rack_power_kw``
(max input of a full rack) and ``rack_price_usd``.

``visible_memory_gib``    memory the driver exposes where it differs from ``hbm_gb`` [GiB]
                          (GDDR6 cards with ECC on)
``form_factor``           ``sxm`` (NVLink baseboard) or ``pcie`` (a PCIe card: no NVLink;
                          ``nvlink_gb_s`` then holds the PCIe Gen4 x16 figure, 64 GB/s both
                          directions)
``cooling``               what the server needs: ``air`` or ``liquid``

Ids: ``v100``, ``a100``, ``h100``, ``h200``, ``b200``, ``gb200`` (a B200 in a GB200 NVL72 rack;
its rack figures are the NVL72's), and the air-cooled PCIe edge cards ``l40s`` and ``l4``.

Dtypes (`Accelerator.peak_tflops`): ``bf16`` and ``fp16`` use the 16-bit peak, ``int4``
(weight-only W4A16) too; ``fp8`` the FP8 peak (Hopper, Ada, Blackwell); ``fp4`` the FP4 peak
(Blackwell only).
"""

from __future__ import annotations

from dataclasses import dataclass

from coredge.errors import InputError


@dataclass(frozen=True)
class Accelerator:
    """Datasheet figures of one accelerator (per GPU) and the rack it is sold in.

    Attributes are documented in the module docstring; units are in the names.
    """

    id: str
    name: str
    tdp_w: float
    bf16_tflops: float
    fp8_tflops: float | None
    hbm_gb: float
    hbm_gb_s: float
    nvlink_gb_s: float
    server_overhead_w: float
    gpu_price_usd: float
    system_price_usd_per_gpu: float
    gpus_per_server: int
    servers_per_rack: int
    source: str
    fp4_tflops: float | None = None
    visible_memory_gib: float | None = None
    form_factor: str = "sxm"
    cooling: str = "air"

    @property
    def memory_gib(self) -> float:
        """Device memory the driver exposes [GiB] (see the module docstring)."""
        return self.visible_memory_gib if self.visible_memory_gib is not None else self.hbm_gb

    @property
    def memory_bytes(self) -> float:
        """Device memory the driver exposes [bytes]."""
        return self.memory_gib * 2.0**30

    @property
    def gpus_per_rack(self) -> int:
        """GPUs in one full rack [count]."""
        return self.gpus_per_server * self.servers_per_rack

    @property
    def rack_power_kw(self) -> float:
        """Max input power of one full rack, GPUs plus host overhead [kW]."""
        return self.gpus_per_rack * (self.tdp_w + self.server_overhead_w) / 1000.0

    @property
    def rack_price_usd(self) -> float:
        """Price of one full rack of systems [USD]."""
        return self.gpus_per_rack * self.system_price_usd_per_gpu

    @property
    def nvlink_unidir_gb_s(self) -> float:
        """NVLink bandwidth in one direction [GB/s] (half the bidirectional figure)."""
        return self.nvlink_gb_s / 2.0

    def peak_tflops(self, dtype: str) -> float:
        """Dense tensor peak for the arithmetic a weight dtype runs in [TFLOP/s].

        ``bf16`` and ``int4`` (weight-only quantisation, W4A16: the arithmetic is 16-bit) use the
        BF16 peak; ``fp8`` uses the FP8 peak and is refused on chips without FP8.
        """
        if dtype == "fp8":
            if self.fp8_tflops is None:
                raise InputError.of(
                    "dtype", dtype, f"{self.id} has no FP8 tensor cores; use bf16 or int4"
                )
            return self.fp8_tflops
        if dtype == "fp4":
            if self.fp4_tflops is None:
                raise InputError.of(
                    "dtype", dtype, f"{self.id} has no FP4 tensor cores; use fp8, bf16 or int4"
                )
            return self.fp4_tflops
        if dtype in ("bf16", "fp16", "int4"):
            return self.bf16_tflops
        raise InputError.of("dtype", dtype, "one of: bf16, fp16, fp8, fp4, int4")

    def dtypes(self) -> tuple[str, ...]:
        """Weight dtypes this accelerator runs natively (``int4`` is weight-only, everywhere).

        Examples
        --------
        >>> get_accelerator("b200").dtypes()
        ('bf16', 'fp16', 'fp8', 'fp4', 'int4')
        """
        out = ["bf16", "fp16"]
        if self.fp8_tflops is not None:
            out.append("fp8")
        if self.fp4_tflops is not None:
            out.append("fp4")
        return (*out, "int4")


# DGX H100/H200: 10.2 kW max input for 8 GPUs (NVIDIA DGX user guide via unanswered.io, 2023):
# (10,200 - 8 x 700) / 8 = 575 W per GPU of host overhead (derived).
_DGX_H100_OVERHEAD_W = (10_200.0 - 8 * 700.0) / 8
# DGX A100: 6.5 kW max for 8 x 400 W (pcnews.ru from NVIDIA docs, 2020): (6,500 - 3,200) / 8.
_DGX_A100_OVERHEAD_W = (6_500.0 - 8 * 400.0) / 8
# GB200 NVL72: ~120 kW per rack (facts.md §1b, range 120-132 kW) over 72 GPUs, minus the
# GPU share of the 2,700 W GB200 superchip (1 Grace + 2 B200, hmc-tech.com, secondary):
# assumption: Grace takes ~300 W, so each B200 ~1,200 W, overhead = 120,000/72 - 1,200.
_GB200_GPU_W = (2_700.0 - 300.0) / 2
_GB200_OVERHEAD_W = 120_000.0 / 72 - _GB200_GPU_W

ACCELERATORS: dict[str, Accelerator] = {
    a.id: a
    for a in (
        Accelerator(
            id="v100",
            name="NVIDIA V100 SXM2 32GB",
            # 300 W, 125 TFLOPS FP16 tensor peak: Patterson et al. 2021 via MLCarbon models.csv
            # (facts.md §2c); 32 GB, 0.9 TB/s, NVLink 300 GB/s: NVIDIA V100 datasheet (2018),
            # not in facts.md: cited from the datasheet as given in the task brief.
            tdp_w=300.0,
            bf16_tflops=125.0,
            fp8_tflops=None,
            hbm_gb=32.0,
            hbm_gb_s=900.0,
            nvlink_gb_s=300.0,
            # assumption: DGX-1 (8 x V100) ~3.5 kW max -> (3,500 - 2,400) / 8 = 137.5 W
            server_overhead_w=137.5,
            gpu_price_usd=10_000.0,  # assumption (2018-2020 street price)
            system_price_usd_per_gpu=20_000.0,  # assumption
            gpus_per_server=8,
            servers_per_rack=4,  # assumption
            source="facts.md §2c (Patterson 2021: 300 W, 125 TFLOPS); V100 datasheet 2018",
        ),
        Accelerator(
            id="a100",
            name="NVIDIA A100 80GB SXM",
            # facts.md §1a: 400 W, 312 TFLOPS BF16 dense, 80 GB, 2,039 GB/s; NVLink 600 GB/s.
            tdp_w=400.0,
            bf16_tflops=312.0,
            fp8_tflops=None,
            hbm_gb=80.0,
            hbm_gb_s=2_039.0,
            nvlink_gb_s=600.0,
            server_overhead_w=_DGX_A100_OVERHEAD_W,
            gpu_price_usd=15_000.0,  # assumption (2022-2024 street price)
            system_price_usd_per_gpu=25_000.0,  # assumption
            gpus_per_server=8,
            servers_per_rack=4,  # assumption: 4 x 6.5 kW DGX A100 per rack
            source="facts.md §1a/§1b (A100 80GB SXM, DGX A100 6.5 kW)",
        ),
        Accelerator(
            id="h100",
            name="NVIDIA H100 SXM 80GB",
            # facts.md §1a: 700 W, 989 BF16 / 1,979 FP8 dense, 80 GB, 3.35 TB/s; NVLink 900 GB/s.
            tdp_w=700.0,
            bf16_tflops=989.0,
            fp8_tflops=1_979.0,
            hbm_gb=80.0,
            hbm_gb_s=3_350.0,
            nvlink_gb_s=900.0,
            server_overhead_w=_DGX_H100_OVERHEAD_W,
            # $25-30k per GPU (Raymond James 2023, facts.md §1c): midpoint.
            gpu_price_usd=27_500.0,
            # 8 x H100 node incl. InfiniBand $310k (Thinkmate quote, Aug 2024, facts.md §1c) / 8.
            system_price_usd_per_gpu=310_000.0 / 8,
            gpus_per_server=8,
            servers_per_rack=4,  # assumption: 4 x 10.2 kW DGX H100 per rack (~41 kW)
            source="facts.md §1a/§1b/§1c (H100 SXM, DGX H100 10.2 kW, $310k node 2024)",
        ),
        Accelerator(
            id="h200",
            name="NVIDIA H200 SXM 141GB",
            # facts.md §1a: 700 W, 989 / 1,979 dense, 141 GB HBM3e, 4.8 TB/s; NVLink 900 GB/s.
            tdp_w=700.0,
            bf16_tflops=989.0,
            fp8_tflops=1_979.0,
            hbm_gb=141.0,
            hbm_gb_s=4_800.0,
            nvlink_gb_s=900.0,
            server_overhead_w=_DGX_H100_OVERHEAD_W,  # same DGX/HGX chassis (facts.md §1b)
            gpu_price_usd=32_000.0,  # assumption (~15% over H100)
            system_price_usd_per_gpu=44_000.0,  # assumption
            gpus_per_server=8,
            servers_per_rack=4,  # assumption
            source="facts.md §1a/§1b (H200 SXM; DGX H200 10.2 kW)",
        ),
        Accelerator(
            id="b200",
            name="NVIDIA B200 (HGX)",
            # facts.md §1a: 1,000 W, 2,250 BF16 / 4,500 FP8 dense, 192 GB, 8 TB/s; NVLink 1.8 TB/s.
            tdp_w=1_000.0,
            bf16_tflops=2_250.0,
            fp8_tflops=4_500.0,
            hbm_gb=192.0,
            hbm_gb_s=8_000.0,
            nvlink_gb_s=1_800.0,
            server_overhead_w=_DGX_H100_OVERHEAD_W,  # assumption: same host share as DGX H100
            gpu_price_usd=40_000.0,  # assumption
            system_price_usd_per_gpu=55_000.0,  # assumption
            gpus_per_server=8,
            servers_per_rack=4,  # assumption (~63 kW/rack: needs liquid cooling)
            source="facts.md §1a (B200 HGX; hmc-tech, LLM-Prof; secondary); FP4 9 PF dense: "
            "NVIDIA DGX B200 datasheet (2024: 72 PF FP4 for 8 GPUs)",
            # NVIDIA DGX B200 datasheet (2024): 144 PF FP4 sparse / 72 PF FP4 dense per 8 GPUs
            fp4_tflops=9_000.0,
            cooling="liquid",
            # DGX B200 exposes 180 GB per GPU (1,440 GB per 8 GPUs, NVIDIA DGX B200 datasheet,
            # 2024; the TensorRT-LLM 1.0 performance overview's "B200 180GB")
            visible_memory_gib=180.0,
        ),
        Accelerator(
            id="gb200",
            name="NVIDIA B200 in GB200 NVL72",
            # facts.md §1a: 2,500 BF16 dense per GPU, FP8 5,000 (derived: 720 PF sparse/72/2),
            # 192 GB (186-192), 8 TB/s; NVLink 1.8 TB/s.
            tdp_w=_GB200_GPU_W,
            bf16_tflops=2_500.0,
            fp8_tflops=5_000.0,
            hbm_gb=186.0,
            hbm_gb_s=8_000.0,
            nvlink_gb_s=1_800.0,
            server_overhead_w=_GB200_OVERHEAD_W,
            # $2-3 M per NVL72 rack (awesomeagents, continuumlabs ~$3 M; facts.md §1b): $3 M / 72.
            gpu_price_usd=3_000_000.0 / 72 * 0.7,  # assumption: GPUs are ~70% of the rack price
            system_price_usd_per_gpu=3_000_000.0 / 72,
            gpus_per_server=4,  # 18 compute trays x (2 Grace + 4 B200)
            servers_per_rack=18,
            source="facts.md §1a/§1b (GB200 NVL72: ~120 kW, 72 GPUs, $2-3 M per rack); FP4: "
            "NVIDIA GB200 NVL72 page (2024: 1,440 PF FP4 sparse per 72 GPUs)",
            # 1,440 PF FP4 sparse / 72 GPUs / 2 = 10 PF dense per GPU
            fp4_tflops=10_000.0,
            cooling="liquid",
        ),
        Accelerator(
            id="l40s",
            name="NVIDIA L40S 48GB (PCIe)",
            # NVIDIA L40S datasheet (2023): 350 W, 48 GB GDDR6 ECC, 864 GB/s, PCIe Gen4 x16
            # (64 GB/s both directions), no NVLink; BF16 362.05 / FP8 733 TFLOPS dense (the
            # datasheet's 733 / 1,466 "with sparsity" halved); dual-slot passive, air-cooled.
            tdp_w=350.0,
            bf16_tflops=362.05,
            fp8_tflops=733.0,
            hbm_gb=48.0,
            hbm_gb_s=864.0,
            nvlink_gb_s=64.0,
            # assumption: 8 x L40S PCIe server (2 CPUs, NICs, fans) at ~4.4 kW max input:
            # (4,400 - 8 x 350) / 8 = 200 W per GPU
            server_overhead_w=200.0,
            gpu_price_usd=9_000.0,  # assumption (2024 street price $7.5-10k)
            system_price_usd_per_gpu=15_000.0,  # assumption
            gpus_per_server=8,
            servers_per_rack=4,  # assumption (~18 kW per air-cooled rack)
            source="NVIDIA L40S datasheet (2023); server figures are assumptions",
            # 46,068 MiB visible with ECC on (nvidia-smi on L40S, widely reported): 44.99 GiB
            visible_memory_gib=46_068 / 1024,
            form_factor="pcie",
            cooling="air",
        ),
        Accelerator(
            id="l4",
            name="NVIDIA L4 24GB (PCIe)",
            # NVIDIA L4 datasheet (2023): 72 W, 24 GB GDDR6, 300 GB/s, PCIe Gen4 x16, no NVLink;
            # BF16 121 / FP8 242.5 TFLOPS dense (242 / 485 with sparsity halved); low-profile,
            # passive, air-cooled.
            tdp_w=72.0,
            bf16_tflops=121.0,
            fp8_tflops=242.5,
            hbm_gb=24.0,
            hbm_gb_s=300.0,
            nvlink_gb_s=64.0,
            # assumption: 8 x L4 in a 2U server at ~1.6 kW max input: (1,600 - 576) / 8
            server_overhead_w=128.0,
            gpu_price_usd=2_500.0,  # assumption (2024 street price)
            system_price_usd_per_gpu=5_000.0,  # assumption
            gpus_per_server=8,
            servers_per_rack=8,  # assumption (~13 kW per air-cooled rack)
            source="NVIDIA L4 datasheet (2023); server figures are assumptions",
            # 23,034 MiB visible (nvidia-smi on L4, widely reported): 22.49 GiB
            visible_memory_gib=23_034 / 1024,
            form_factor="pcie",
            cooling="air",
        ),
    )
}
"""All accelerators by id."""


def get_accelerator(gpu_id: str, field: str = "--gpu") -> Accelerator:
    """Look up an accelerator by id.

    Parameters
    ----------
    gpu_id : str
        One of ``v100, a100, h100, h200, b200, gb200, l40s, l4`` (case-insensitive).
    field : str
        Name of the option or field, for the error message.

    Raises
    ------
    InputError
        For an unknown id, naming the field, the value and the allowed ids.

    Examples
    --------
    >>> get_accelerator("h100").hbm_gb_s
    3350.0
    """
    try:
        return ACCELERATORS[gpu_id.lower()]
    except (KeyError, AttributeError):
        raise InputError.of(field, gpu_id, "one of: " + ", ".join(ACCELERATORS)) from None
