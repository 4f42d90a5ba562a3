"""The install phases, in order. A phase name maps to `playbooks/<phase>.yml`."""

from __future__ import annotations

from typing import Literal

Phase = Literal["preflight", "bundle", "os", "accelerators", "fabric", "runtime", "kubernetes", "platform", "validate"]
PHASES: tuple[Phase, ...] = Phase.__args__  # type: ignore[attr-defined]

DESCRIPTIONS: dict[Phase, str] = {
    "preflight": "reachability, OS, resources, hardware against the answer file",
    "bundle": "verify the offline bundle and serve it from the deploy node",
    "os": "OS baseline: hostname, hosts, time sync, sysctl, modules, swap, journald, SSH",
    "accelerators": "accelerator driver, fabric manager, container toolkit",
    "fabric": "RDMA stack, InfiniBand or RoCE, per-rail addressing",
    "runtime": "containerd with the bundle registry as mirror",
    "kubernetes": "kubeadm control plane, workers, CNI, device plugins, storage class",
    "platform": "scheduler, training operators, monitoring, storage for datasets",
    "validate": "accelerator burn-in, collective bandwidth, a small training job",
}
