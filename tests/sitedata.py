"""Test data shared by the unit tests: a valid site to mutate, and a small release."""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]

BASE_SITE: dict = {
    "apiVersion": "aicloud/v1alpha1",
    "kind": "Site",
    "metadata": {"name": "t1"},
    "release": "lab-2026.11",
    "ssh": {"privateKey": {"file": "/tmp/key"}},
    "nodes": [
        {"name": "deploy", "address": "10.0.0.10", "roles": ["deploy"]},
        {"name": "n1", "address": "10.0.0.11", "roles": ["control-plane", "worker"]},
        {"name": "n2", "address": "10.0.0.12", "roles": ["worker"]},
    ],
    "network": {"managementCidr": "10.0.0.0/24"},
}

TEST_RELEASE: dict = {
    "apiVersion": "aicloud/v1alpha1",
    "kind": "Release",
    "version": "test-1",
    "date": "2026-11-22",
    "summary": "test release",
    "os": ["debian-12"],
    "accelerators": ["nvidia"],
    "fabrics": ["infiniband", "roce"],
    "cni": ["calico", "cilium"],
    "components": {
        "kubernetes": {"phase": "kubernetes", "version": "1.36.2", "source": "test"},
        "calico": {"phase": "kubernetes", "version": "3.31.0", "source": "test"},
        "cilium": {"phase": "kubernetes", "version": "1.18.0", "source": "test"},
        "nvidia-driver": {"phase": "accelerators", "version": "580.95.05", "source": "test", "vendor": "nvidia"},
        "containerd": {"phase": "runtime", "version": "2.1.4", "source": "test"},
    },
}


def site_dict(**changes) -> dict:
    data = copy.deepcopy(BASE_SITE)
    data.update(changes)
    return data


def dump(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False)
