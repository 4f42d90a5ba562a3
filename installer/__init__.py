"""aicloud's engine: answer file, release BOMs, plan, render, runs. No face code here."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # Resolved on first use: reading package metadata costs time every command would pay.
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("aicloud")
        except PackageNotFoundError:  # running from a checkout without install
            return "0.0.0+checkout"
    raise AttributeError(name)
