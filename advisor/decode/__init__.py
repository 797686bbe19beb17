"""Read FIT bytes into a `DecodedFit`, with the decoder library chosen by configuration (`[fit] decoder`).

Two backends exist because python-fitparse and fitdecode each fail on files the other reads, and users pick one
in config; both are held to producing identical `DecodedFit`s (tests compare them on every sample file). The
libraries are imported lazily so choosing one never pays for importing the other.
"""

from __future__ import annotations

from typing import Final

from advisor.decode.model import DailyClimb, DecodedFit, FitDecodeError, RecordStream, SessionTotals

BACKENDS: Final = ("fitdecode", "fitparse")


def decode_fit(data: bytes, backend: str = "fitdecode") -> DecodedFit:
    """Decode FIT bytes (chained files included).

    Raises `FitDecodeError` (one readable line, e.g. "bad CRC") for a file that cannot be decoded, and
    `ValueError` for a backend name not in `BACKENDS`.
    """
    if backend == "fitdecode":
        from advisor.decode import fitdecode_backend

        return fitdecode_backend.decode(data)
    if backend == "fitparse":
        from advisor.decode import fitparse_backend

        return fitparse_backend.decode(data)
    raise ValueError(f"unknown FIT decoder {backend!r}; expected one of {', '.join(BACKENDS)}")


__all__ = [
    "BACKENDS",
    "DailyClimb",
    "DecodedFit",
    "FitDecodeError",
    "RecordStream",
    "SessionTotals",
    "decode_fit",
]
