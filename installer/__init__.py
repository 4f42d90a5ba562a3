"""aicloud's engine: answer file, release BOMs, plan, render, runs. No face code here."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("aicloud")
except PackageNotFoundError:  # running from a checkout without install
    __version__ = "0.0.0+checkout"
