"""FIT decoding with fitdecode (the default backend): streaming, one frame at a time, no message cache.

Reader settings and why:
- `check_crc=CrcCheck.RAISE`: fitdecode's default only *warns* on a bad CRC and goes on returning data; a corrupt
  file must fail instead of importing wrong numbers. A header CRC of zero is allowed by the FIT spec and fitdecode
  accepts it.
- `error_handling=ErrorHandling.IGNORE`: this covers *recoverable* oddities only — a field size that is not a
  multiple of its base type (the Coros PACE 2 writes those; the field is then read as bytes) and developer fields
  whose description is missing (read as bytes). Real devices write such files and the FIT SDK reads them, so
  failing them would lose runs; IGNORE rather than WARN keeps imports quiet. Undefined local message types,
  truncation and bad CRCs still raise. (python-fitparse behaves the same way with `check_developer_data=False`.)

- `processor=_LeanProcessor()`: the same conversions as fitdecode's `DefaultDataProcessor` (booleans, UTC
  datetimes, times of day, `hr` event timestamps) without its per-field dispatch, which builds and looks up a
  `process_field_<name>` and a `process_units_<unit>` method name for every field although the default defines
  none: about a tenth of the library's decode time on a one-hour run. The backend-equality tests against fitparse
  check that the values are unchanged.

Chained FIT files, 12-byte headers, compressed timestamp headers and developer fields are handled by fitdecode
itself. Beyond the decoder's own errors, a stream in which not one data message decodes fails ("no data in file").
An activity with sessions but no `record` messages decodes (later steps fall back to the session totals).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import fitdecode

from advisor.domain.activity import DecodedActivity, DecodeError, TruncatedFileError
from advisor.ingest.decode._assemble import Assembler
from advisor.ingest.decode._fields import check_prefix, fields_of

TRUNCATED = "truncated file (unexpected end of data)"


class _LeanProcessor(fitdecode.DefaultDataProcessor):
    """`DefaultDataProcessor`'s conversions, dispatched only for the types and messages it actually converts."""

    _TYPES = frozenset({"bool", "date_time", "local_date_time", "localtime_into_day"})

    def on_process_type(self, reader: Any, field_data: Any) -> None:
        if field_data.type.name in self._TYPES:
            super().on_process_type(reader, field_data)

    def on_process_field(self, reader: Any, field_data: Any) -> None:
        return None

    def on_process_unit(self, reader: Any, field_data: Any) -> None:
        return None

    def on_process_message(self, reader: Any, data_message: Any) -> None:
        if data_message.name == "hr":
            super().on_process_message(reader, data_message)


def decode(data: bytes) -> DecodedActivity:
    """Decode every chained FIT file in `data`; raise `DecodeError` with a one-line reason on failure."""
    check_prefix(data)
    assembler = Assembler()
    with fitdecode.FitReader(
        data,
        processor=_LeanProcessor(),
        check_crc=fitdecode.CrcCheck.RAISE,
        error_handling=fitdecode.ErrorHandling.IGNORE,
    ) as reader:
        frames = iter(reader)
        while (frame := _next_frame(frames)) is not None:
            if frame.frame_type == fitdecode.FIT_FRAME_DATA:
                assembler.add(fields_of(frame.name, frame.fields))
    return assembler.finish()


def _next_frame(frames: Iterator[Any]) -> Any | None:
    """The next frame, None at the end; decoder errors become `DecodeError` (our own bugs stay bugs)."""
    try:
        return next(frames)
    except StopIteration:
        return None
    except fitdecode.FitCRCError as exc:
        raise DecodeError("bad CRC") from exc
    except fitdecode.FitHeaderError as exc:
        if "truncated" in str(exc):
            raise TruncatedFileError(TRUNCATED) from exc
        raise DecodeError("not a FIT file (corrupt header)") from exc
    except fitdecode.FitEOFError as exc:
        raise TruncatedFileError(TRUNCATED) from exc
    except fitdecode.FitParseError as exc:
        if "not defined" in str(exc) and "local message" in str(exc):
            raise DecodeError("invalid local message type") from exc
        raise DecodeError("malformed FIT data") from exc
    except Exception as exc:  # the library can trip over hostile bytes in many ways: the file is bad, not us
        raise DecodeError("malformed FIT data") from exc
