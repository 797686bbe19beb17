"""Hostile and damaged activity files, written by the tests themselves: fuzzed copies of the real FIT samples,
a run that makes the native FIT decoder panic, deeply nested and entity-laden XML.

Each FIT mutant keeps a valid header and file CRC (recomputed after the damage), so the damage reaches the decoders'
message parsing instead of being refused at the first checksum.
"""

from __future__ import annotations

import random
import struct
from pathlib import Path

from fitdecode.utils import compute_crc
from fitgen import track_from_segments, write_activity

PANIC_DEFINITION = bytes([0x40, 0, 0, 0xFF, 0xFF, 1, 0xFF, 0xFF, 0xFF]) + bytes([0x00]) + bytes(255)
"""A definition message for global message 0xFFFF with one field of size 255 and the unknown base type 0xFF, then
one data message of it. fitfast 0.1.0 divides the field's size by the base type's size (0 for an unknown type) and
panics; fitdecode skips an unknown message, as the FIT SDK does."""


def with_crcs(data: bytes) -> bytes:
    """`data` with its header's data size, header CRC (14-byte headers) and file CRC made right again."""
    out = bytearray(data)
    header = out[0]
    out[4:8] = struct.pack("<I", len(out) - header - 2)
    if header >= 14:
        out[12:14] = struct.pack("<H", compute_crc(bytes(out[:12])))
    out[-2:] = struct.pack("<H", compute_crc(bytes(out[:-2])))
    return bytes(out)


def panicking_run(seed: int = 1) -> bytes:
    """A real 3 km run with `PANIC_DEFINITION` appended: every byte valid FIT, all the run's records readable."""
    good = write_activity(None, track_from_segments([(3000, 0.0)], seed=seed))
    return with_crcs(good[:-2] + PANIC_DEFINITION + b"\0\0")


def mutant(data: bytes, rng: random.Random) -> bytes:
    """One damaged copy of a FIT file: bit flips, a truncation or a duplicated chunk, CRCs recomputed."""
    out = bytearray(data)
    header = out[0]
    body_end = len(out) - 2
    kind = rng.randrange(3)
    if kind == 0:
        for _ in range(rng.randint(1, 8)):
            out[rng.randrange(header, body_end)] ^= 1 << rng.randrange(8)
    elif kind == 1:
        out = out[: rng.randrange(header + 1, body_end)] + out[-2:]
    else:
        start = rng.randrange(header, body_end)
        end = min(body_end, start + rng.randint(1, 64))
        out = out[:end] + out[start:end] + out[end:]
    return with_crcs(bytes(out))


def fit_mutants(samples: list[Path], count: int, seed: int) -> list[tuple[str, bytes]]:
    """`count` mutants of the given sample files, named after their source, the same for the same seed."""
    rng = random.Random(seed)
    originals = [(path.stem, path.read_bytes()) for path in samples]
    out = []
    for i in range(count):
        stem, data = rng.choice(originals)
        out.append((f"mutant{i:03d}-{stem}.fit", mutant(data, rng)))
    return out


GPX_HEAD = b'<?xml version="1.0"?><gpx version="1.1" creator="t" xmlns="http://www.topografix.com/GPX/1/1">'
POINT = b'<trkpt lat="46.0" lon="14.0"><ele>300</ele><time>2025-03-01T07:00:00Z</time>'


def deeply_nested_gpx(levels: int = 200_000) -> bytes:
    """A GPX track point with `levels` nested `<extensions>`: about 5 MB that made gpxpy's recursive copy
    overflow the C stack (a segmentation fault, exit 139)."""
    return (
        GPX_HEAD
        + b"<trk><trkseg>"
        + POINT
        + b"<extensions>" * levels
        + b"</extensions>" * levels
        + b"</trkpt></trkseg></trk></gpx>"
    )


def hostile_xml() -> list[tuple[str, bytes]]:
    """GPX and TCX files that are damaged or built to attack the parser, each with the name it would arrive as."""
    laughs = b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;">]>'
    external = b'<?xml version="1.0"?><!DOCTYPE gpx [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
    tcx_deep = (
        b'<?xml version="1.0"?><TrainingCenterDatabase xmlns="http://www.garmin.com/xmlschemas/'
        b'TrainingCenterDatabase/v2"><Activities>'
        + b"<Activity>" * 100_000
        + b"</Activity>" * 100_000
        + b"</Activities></TrainingCenterDatabase>"
    )
    return [
        ("deep.gpx", deeply_nested_gpx()),
        ("deep.tcx", tcx_deep),
        ("laughs.gpx", laughs + b"<gpx>&b;</gpx>"),
        ("external.gpx", external + b"<gpx>&x;</gpx>"),
        ("cut.gpx", (GPX_HEAD + b"<trk><trkseg>" + POINT * 50)[:-7]),
        ("junk.gpx", bytes(random.Random(7).randbytes(4096))),
        ("nan.gpx", GPX_HEAD + b"<trk><trkseg>" + POINT.replace(b"300", b"NaN") + b"</trkpt></trkseg></trk></gpx>"),
        ("empty.tcx", b""),
    ]
