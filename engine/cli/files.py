"""What commands read and write: a file, or `-` for standard input or output.

Standard input is read as files are, bounded (at most one byte past the size limit is read, so a
larger input is refused, never read whole); its problems name it `<stdin>`.
"""

from __future__ import annotations

import sys
from pathlib import Path

from engine.loading.yaml_source import MAX_BYTES

STDIN = "-"
STDIN_NAME = "<stdin>"


def read_stdin() -> bytes:
    given = getattr(sys.stdin, "buffer", sys.stdin).read(MAX_BYTES + 1)
    return given.encode("utf-8") if isinstance(given, str) else given


def emit(content: str | bytes, output: str | None) -> int:
    """Write `content` to the file `output`, or to standard output when it is None or `-`."""
    if output and output != STDIN:
        if isinstance(content, bytes):
            Path(output).write_bytes(content)
        else:
            Path(output).write_text(content, encoding="utf-8")
    elif isinstance(content, bytes):
        sys.stdout.flush()
        sys.stdout.buffer.write(content)
    else:
        sys.stdout.write(content)
    return 0
