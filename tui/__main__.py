"""`python -m tui [site.yaml]`: the wizard without the CLI (the same as `aicloud tui -f`)."""

from __future__ import annotations

import sys
from pathlib import Path

from tui.app import run

if __name__ == "__main__":
    run(Path(sys.argv[1]) if len(sys.argv) > 1 else None)
