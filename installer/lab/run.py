"""Running external tools: argument lists, timeouts, stderr kept for the error."""

from __future__ import annotations

import subprocess

from installer.lab.errors import CommandFailed

DEFAULT_TIMEOUT = 120.0


def run(
    args: list[str], *, timeout: float = DEFAULT_TIMEOUT, input: str | bytes | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run a tool and return its result; raise `CommandFailed` with its stderr if it fails."""
    data = input.decode() if isinstance(input, bytes) else input
    try:
        result = subprocess.run(
            args,
            input=data,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
            stdin=None if data is not None else subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as exc:
        stderr = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        raise CommandFailed(args, None, stderr) from None
    if check and result.returncode != 0:
        raise CommandFailed(args, result.returncode, result.stderr)
    return result
