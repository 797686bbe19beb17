"""Mutate fields of a real FIT file in place and fix up its CRC, to make the glitched files devices write.

A glitch with a valid CRC is the case the plausibility gates exist for: the decoder accepts the file, so only the
values can give it away. This walks the FIT framing itself (headers, definition messages, developer fields,
compressed-timestamp headers, chained files) to find where each data message's fields are, then rewrites one field's
raw bytes and recomputes the file CRC with the FIT SDK's CRC-16 — independently of the decoders under test.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

_CRC_TABLE = (
    0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
    0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
)  # fmt: skip


def fit_crc(data: bytes) -> int:
    """The FIT SDK's CRC-16 (FitCRC_Get16), nibble by nibble."""
    crc = 0
    for byte in data:
        tmp = _CRC_TABLE[crc & 0xF]
        crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ _CRC_TABLE[byte & 0xF]
        tmp = _CRC_TABLE[crc & 0xF]
        crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ _CRC_TABLE[(byte >> 4) & 0xF]
    return crc


def _byte_table() -> tuple[int, ...]:
    """`fit_crc` one byte at a time: the CRC is reflected (CRC-16/ARC), so a byte's step is a table lookup."""
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(2):  # fit_crc's two nibble steps, starting from the byte itself
            crc = ((crc >> 4) & 0x0FFF) ^ _CRC_TABLE[crc & 0xF]
        table.append(crc)
    return tuple(table)


_CRC_BYTE_TABLE = _byte_table()


def fast_fit_crc(data: bytes) -> int:
    """The same CRC as `fit_crc`, about three times faster (dated copies of a one-hour run are 70 kB each)."""
    crc = 0
    for byte in data:
        crc = (crc >> 8) ^ _CRC_BYTE_TABLE[(crc ^ byte) & 0xFF]
    return crc


@dataclass(frozen=True)
class Message:
    """One data message: its global number and, per field number, (absolute offset, size, little-endian)."""

    global_num: int
    fields: dict[int, tuple[int, int, bool]]


def data_messages(data: bytes) -> list[Message]:
    """Every data message of every chained file, in order."""
    out: list[Message] = []
    pos = 0
    while pos + 12 <= len(data) and data[pos + 8 : pos + 12] == b".FIT":
        header_size = data[pos]
        data_size = struct.unpack_from("<I", data, pos + 4)[0]
        end = pos + header_size + data_size
        definitions: dict[int, tuple[int, bool, list[tuple[int, int]], int]] = {}
        p = pos + header_size
        while p < end:
            h = data[p]
            p += 1
            if h & 0x80:  # compressed timestamp header: a data message of local type 0-3
                local = (h >> 5) & 0x3
            elif h & 0x40:  # definition message
                local = h & 0x0F
                little = data[p + 1] == 0
                global_num = struct.unpack_from("<H" if little else ">H", data, p + 2)[0]
                n = data[p + 4]
                fields = [(data[p + 5 + 3 * i], data[p + 6 + 3 * i]) for i in range(n)]
                p += 5 + 3 * n
                dev_size = 0
                if h & 0x20:
                    ndev = data[p]
                    dev_size = sum(data[p + 2 + 3 * i] for i in range(ndev))
                    p += 1 + 3 * ndev
                definitions[local] = (global_num, little, fields, dev_size)
                continue
            else:
                local = h & 0x0F
            global_num, little, fields, dev_size = definitions[local]
            located = {}
            for num, size in fields:
                located[num] = (p, size, little)
                p += size
            p += dev_size
            out.append(Message(global_num, located))
        pos = end + 2
    return out


RECORD, SESSION = 20, 18
TIMESTAMP, RECORD_DISTANCE, SESSION_TOTAL_DISTANCE = 253, 5, 9


def patch(data: bytes, message: Message, field_num: int, value: int) -> bytes:
    """`data` with one field of `message` set to the raw unsigned `value`, every file CRC recomputed."""
    return patch_many(data, [(message, field_num, value)])


def raw_value(data: bytes, message: Message, field_num: int) -> int:
    offset, size, little = message.fields[field_num]
    return int.from_bytes(data[offset : offset + size], "little" if little else "big")


def patch_many(data: bytes, changes: list[tuple[Message, int, int]]) -> bytes:
    """`data` with each (message, field number, raw value) written, the CRCs recomputed once."""
    out = bytearray(data)
    for message, field_num, value in changes:
        offset, size, little = message.fields[field_num]
        out[offset : offset + size] = value.to_bytes(size, "little" if little else "big")
    return fix_crcs(bytes(out))


def fix_crcs(data: bytes) -> bytes:
    out = bytearray(data)
    pos = 0
    while pos + 12 <= len(out) and out[pos + 8 : pos + 12] == b".FIT":
        end = pos + out[pos] + struct.unpack_from("<I", out, pos + 4)[0]
        struct.pack_into("<H", out, end, fast_fit_crc(bytes(out[pos:end])))
        pos = end + 2
    return bytes(out)


def records_with(data: bytes, field_num: int) -> list[Message]:
    return [m for m in data_messages(data) if m.global_num == RECORD and field_num in m.fields]


# --------------------------------------------------------------------------------------------------------------
# Dated copies: the same file at another start, without encoding it again

FILE_ID = 0
SERIAL_NUMBER = 3
OTHER_TIME_FIELDS: dict[int, tuple[int, ...]] = {
    FILE_ID: (4,),  # time_created
    SESSION: (2,),  # start_time
    19: (2,),  # lap.start_time
    34: (5,),  # activity.local_timestamp
    103: (1,),  # monitoring_info.local_timestamp
}
"""The date_time and local_date_time fields besides `timestamp` (253, in any message) of the messages
`tests/fitgen.py` writes; a field missing here would keep its old time in a dated copy, which
`test_import.py::test_a_dated_copy_is_the_file_fitgen_writes_for_that_start` would catch."""


@dataclass(frozen=True)
class Dated:
    """A FIT file and where its times and serial number are, so that copies at other starts cost a few field
    writes and a CRC instead of a second encoding (fit-tool takes about a second per hour of 1 s samples).

    Valid for files without compressed-timestamp headers (fitgen never writes them): their times are offsets
    from the last full timestamp, which a shift that is not a multiple of 32 s would break."""

    data: bytes
    times: tuple[tuple[int, int, bool], ...]
    serial_number: tuple[int, int, bool] | None

    @classmethod
    def of(cls, data: bytes) -> Dated:
        times: list[tuple[int, int, bool]] = []
        serial = None
        for message in data_messages(data):
            for field_num in (TIMESTAMP, *OTHER_TIME_FIELDS.get(message.global_num, ())):
                if field_num in message.fields:
                    times.append(message.fields[field_num])
            if message.global_num == FILE_ID and SERIAL_NUMBER in message.fields:
                serial = message.fields[SERIAL_NUMBER]
        return cls(data, tuple(times), serial)

    def copy(self, shift_s: int, serial_number: int | None = None) -> bytes:
        """The file with every time `shift_s` seconds later (earlier when negative) and, if given, another serial
        number; every file CRC recomputed. Invalid (unset) times stay invalid."""
        out = bytearray(self.data)
        for offset, size, little in self.times:
            order = "little" if little else "big"
            value = int.from_bytes(out[offset : offset + size], order)
            if value != (1 << (8 * size)) - 1:  # 0xFFFFFFFF: the field is not set
                out[offset : offset + size] = (value + shift_s).to_bytes(size, order)
        if serial_number is not None and self.serial_number is not None:
            offset, size, little = self.serial_number
            out[offset : offset + size] = serial_number.to_bytes(size, "little" if little else "big")
        return fix_crcs(bytes(out))
