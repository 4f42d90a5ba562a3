"""Accelerator management tools: driver versions and device lists from real outputs."""

from __future__ import annotations

from pathlib import Path

from installer.discovery.facts import SMI_FACTS, Cnmon, Efsmi, NpuSmi, NvidiaSmi, RocmSmi
from installer.vendors import VENDORS, Vendor

DATA = Path(__file__).resolve().parents[1] / "data"


def lines(path: str) -> list[str]:
    return (DATA / path).read_text().splitlines()


def test_nvidia_smi_q_h100_reads_driver_cuda_and_eight_gpus():
    report = NvidiaSmi().process(lines("gpud/nvidia-smi-q.h100-8gpu.535.161.08.txt"))
    assert report.driver_version == "535.161.08"
    assert report.extra["cuda_version"] == "12.2"
    assert len(report.devices) == 8
    assert report.devices[0].name == "NVIDIA H100 80GB HBM3"
    assert report.devices[0].bus_id == "00000000:19:00.0"


def test_nvidia_smi_truncated_keeps_the_gpus_it_listed():
    text = lines("gpud/nvidia-smi-q.h100-8gpu.535.161.08.txt")
    report = NvidiaSmi().process(text[:300])
    assert report.driver_version == "535.161.08" and 1 <= len(report.devices) < 8


def test_nvidia_smi_error_text_is_no_report():
    assert (
        NvidiaSmi().process(["NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver."]) is None
    )


def test_npu_smi_ascend_910b():
    report = NpuSmi().process(lines("paddledocs/npu-smi-info.ascend-910b2c-x2.txt"))
    assert report.driver_version == "23.0.3"
    assert [(d.index, d.name, d.bus_id) for d in report.devices] == [
        (0, "910B2C", "0000:5a:00.0"),
        (1, "910B2C", "0000:29:00.0"),
    ]


def test_rocm_smi_hygon_dcu_counts_four():
    report = RocmSmi().process(lines("paddledocs/rocm-smi.hygon-dcu-x4.txt"))
    assert [d.index for d in report.devices] == [0, 1, 2, 3]


def test_efsmi_enflame_s60():
    report = Efsmi().process(lines("paddledocs/efsmi.enflame-s60-x2.txt"))
    assert report.driver_version == "1.2.0.301"
    assert [(d.name, d.bus_id) for d in report.devices] == [("S60", "00:01:00.0"), ("S60", "00:09:00.0")]


def test_cnmon_cambricon_mlu370():
    report = Cnmon().process(lines("paddledocs/cnmon.cambricon-mlu370-x8-x2.txt"))
    assert report.driver_version == "5.10.13"
    assert [(d.name, d.bus_id) for d in report.devices] == [
        ("MLU370-X8", "0000:39:00.0"),
        ("MLU370-X8", "0000:3d:00.0"),
    ]


def test_every_tool_fact_is_the_one_the_vendor_table_names():
    for vendor in (Vendor.NVIDIA, Vendor.HUAWEI_ASCEND, Vendor.HYGON_DCU, Vendor.ENFLAME, Vendor.CAMBRICON):
        assert VENDORS[vendor].smi_command in SMI_FACTS
