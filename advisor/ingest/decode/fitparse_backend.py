"""FIT decoding with python-fitparse (`[fit] decoder = "fitparse"`), giving the same `DecodedActivity` as fitdecode.

Both backends feed the library's `FieldData` through the same code (`advisor.ingest.decode._fields` and
`_assemble`), and both libraries apply scale/offset and component expansion (speed -> enhanced_speed, altitude ->
enhanced_altitude, compressed speed/distance) with the same arithmetic, so the floats come out bit-identical.
Differences handled here:
- fitparse renders `date_time` fields as *naive* UTC datetimes; the assembler makes them aware.
- `check_crc=True` (the default) raises on a bad CRC, like fitdecode with `CrcCheck.RAISE`.
- `check_developer_data=False` reads developer fields with a missing description as bytes instead of raising,
  matching fitdecode's `ErrorHandling.IGNORE`; fitparse then *warns* (as it does for misaligned field sizes), and
  those warnings are silenced for the duration of the decode. `warnings.catch_warnings` is process-global, so two
  threads decoding with this backend at once could briefly see each other's filter state: harmless here.
- `UncachedFitFile` streams messages instead of keeping every message of a 10-hour run in memory.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import fitparse
from fitparse.utils import FitCRCError, FitEOFError, FitHeaderError, FitParseError

from advisor.domain.activity import DecodedActivity, DecodeError, TruncatedFileError
from advisor.ingest.decode._assemble import Assembler
from advisor.ingest.decode._fields import check_prefix, fields_of

TRUNCATED = "truncated file (unexpected end of data)"


def decode(data: bytes) -> DecodedActivity:
    """Decode every chained FIT file in `data`; raise `DecodeError` with a one-line reason on failure."""
    check_prefix(data)
    assembler = Assembler()
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning, module=r"fitparse(\.|$)")
        fit = _guard(lambda: fitparse.UncachedFitFile(data, check_crc=True, check_developer_data=False))
        try:
            messages = fit.get_messages()
            while (message := _guard(lambda: next(messages, None))) is not None:
                assembler.add(fields_of(message.name, message.fields))
        finally:
            fit.close()
    return assembler.finish()


def _guard(step: Callable[[], Any]) -> Any:
    """Run one decoder step; its errors become `DecodeError` with a one-line reason (our own bugs stay bugs)."""
    try:
        return step()
    except FitCRCError as exc:
        raise DecodeError("bad CRC") from exc
    except FitHeaderError as exc:
        raise DecodeError("not a FIT file (corrupt header)") from exc
    except FitEOFError as exc:
        raise TruncatedFileError(TRUNCATED) from exc
    except FitParseError as exc:
        if "invalid local message type" in str(exc):
            raise DecodeError("invalid local message type") from exc
        raise DecodeError("malformed FIT data") from exc
    except Exception as exc:  # the library can trip over hostile bytes in many ways: the file is bad, not us
        raise DecodeError("malformed FIT data") from exc
