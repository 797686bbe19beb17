"""A decoding task for `DecodingPool(task=...)` that does what no decoder should, on purpose: for a file named
`crash…` its worker process dies of SIGSEGV, for `hang…` it never returns; any other file is decoded for real.
A module of its own so the pool's worker processes can import it (the tests' folder is on their `sys.path`)."""

from __future__ import annotations

import os
import signal
import threading

from advisor.ingest.measuring import Prepared, prepare


def prepare_or_misbehave(decoder: str, profile: object, name: str, data: bytes, hint: object, sha256: str) -> Prepared:
    base = name.rsplit("/", 1)[-1]
    if base.startswith("crash"):
        os.kill(os.getpid(), signal.SIGSEGV)
    if base.startswith("hang"):
        threading.Event().wait()
    return prepare(decoder, profile, name, data, hint, sha256)  # type: ignore[arg-type]
