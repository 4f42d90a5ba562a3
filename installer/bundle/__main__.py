"""`python -m installer.bundle verify [--quiet] [--fingerprint FPR] DIR`: the engine's check, no face.

For playbooks and scripts (playbooks/bundle.yml runs it on the controller): no click, rich or
textual, one line per problem on stderr (`refused: <file>: <why>`), exit 0 when the bundle
verifies and 2 when it is refused or is no bundle at all (argparse also exits 2 on bad usage).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from installer.bundle.model import BundleError
from installer.bundle.verify import verify

EXIT_OK = 0
EXIT_REFUSED = 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m installer.bundle", description="Check an offline bundle.")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("verify", help="every checksum and signature; every file not in bundle.json")
    check.add_argument("directory", type=Path)
    check.add_argument("--fingerprint", help="refuse unless the bundle is signed by this key")
    check.add_argument("--quiet", action="store_true", help="print only problems")
    args = parser.parse_args(argv)
    try:
        result = verify(args.directory, fingerprint=args.fingerprint)
    except BundleError as exc:
        print(f"refused: {exc}", file=sys.stderr)
        return EXIT_REFUSED
    for problem in result.problems:
        print(f"refused: {problem}", file=sys.stderr)
    if not result.ok:
        return EXIT_REFUSED
    if not args.quiet and result.manifest is not None:
        print(
            f"ok: {args.directory}: release {result.manifest.release}, {result.files} files, "
            f"signed by {result.manifest.key_fingerprint}"
        )
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
