"""Split a byte stream into decoded text lines.

Falco output reaches the dashboard as raw bytes from a file tail, a pipe or a
gzip file. ``LineSplitter`` turns those bytes into numbered lines and reports
NUL padding and over-long lines as ``Skip`` items, so one bad line never stops
the stream. Bytes that are not UTF-8 become U+FFFD instead of hiding the line.
"""

from __future__ import annotations

import codecs
import re
from typing import Any, NamedTuple

import orjson

from tui.parsing.alert import Skip
from tui.parsing.text import printable

Line = tuple[int, str]
"""A complete line: its 1-based number and its text without the line ending."""


class LocatedText(NamedTuple):
    """A complete line with the byte range it came from, for re-reading it later.

    It starts like ``Line``, so ``line[0]`` and ``line[1]`` are the number and
    the text.
    """

    line_no: int
    text: str
    offset: int
    """The stream offset of the line's first byte, or -1 when the bytes do not
    map to the text one to one (a UTF-16 stream)."""
    length: int
    """Bytes from ``offset`` up to, not including, the newline. A carriage
    return before the newline and NUL bytes count."""
    file: Any
    """The splitter's ``file`` when the line was completed."""


SAMPLE_CHARS = 200
"""How many characters of a skipped line ``Skip.sample`` keeps."""

_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")
"""The lone surrogates that the ``surrogateescape`` handler maps bytes to."""


class RepairedText(str):
    """A line's text in which each byte that was not UTF-8 became U+FFFD.

    It is a ``str``, so every reader of a line's text accepts it unchanged,
    and ``parse_line`` reads ``invalid_bytes`` to mark the line's alerts.
    """

    invalid_bytes: int = 0


def decode_utf8(data: bytes) -> str:
    """Decode ``data`` as UTF-8, replacing each byte that is not UTF-8 with U+FFFD.

    Valid data decodes to a plain ``str`` at full speed. Otherwise the result
    is a ``RepairedText`` that counts the replaced bytes. An attacker can put
    any byte in a command line or file name, so a line is never dropped for it.
    """
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    escaped = data.decode("utf-8", "surrogateescape")
    text, count = _ESCAPED_BYTE.subn("\ufffd", escaped)
    repaired = RepairedText(text)
    repaired.invalid_bytes = count
    return repaired


def without_cr(text: str) -> str:
    """Return ``text`` without one final carriage return, keeping its repair count."""
    if not text.endswith("\r"):
        return text
    if isinstance(text, RepairedText):
        stripped = RepairedText(text[:-1])
        stripped.invalid_bytes = text.invalid_bytes
        return stripped
    return text[:-1]


_UTF8_BOM = codecs.BOM_UTF8
_UTF16_BOMS = {codecs.BOM_UTF16_LE: "utf-16-le", codecs.BOM_UTF16_BE: "utf-16-be"}
_BOM_PREFIXES = (_UTF8_BOM, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class LineSplitter:
    """Turn byte chunks into ``(line_no, text)`` lines and ``Skip`` items.

    The first bytes of the stream select the encoding. A UTF-8 BOM or no BOM
    means UTF-8, decoded line by line with each invalid byte replaced by
    U+FFFD (see ``decode_utf8``). A UTF-16 LE/BE BOM switches to an
    incremental UTF-16 decoder, which replaces invalid code units with U+FFFD.
    NUL bytes are dropped everywhere, because ``copytruncate`` log rotation
    leaves runs of them at the start of the rewritten file. A line longer than
    ``max_line_bytes`` is reported once and its remaining bytes are discarded
    up to the next newline, so memory stays bounded by ``max_line_bytes``.

    With ``offsets=True`` complete lines come out as ``LocatedText``, with
    offsets counted from ``first_offset``, the stream position of the first
    byte fed.
    """

    def __init__(
        self,
        origin: str,
        max_line_bytes: int = 1 << 20,
        first_line_no: int = 1,
        offsets: bool = False,
        first_offset: int = 0,
    ) -> None:
        self.origin = origin
        self.max_line_bytes = max(max_line_bytes, 1)
        self.offsets = offsets
        self.file: Any = None
        """An opaque tag copied into each ``LocatedText``: the file the offsets
        point into."""
        self._line_no = first_line_no
        self._fed = first_offset
        self.continued_lines = 0
        """How many lines went on after ``release_pending_line`` returned them."""
        self._start_stream()

    @property
    def line_no(self) -> int:
        """The number the next complete line will get."""
        return self._line_no

    @property
    def buffered_bytes(self) -> int:
        """The number of bytes held for the current unterminated line, or 0 once
        ``release_pending_line`` returned it."""
        if self._released:
            return 0
        pending = len(self._head) + len(self._buffer)
        if self._decoder is not None:
            # The UTF-16 buffer contains decoded text, two bytes per code unit.
            pending += len(self._text_buffer) * 2
        return pending

    @property
    def has_pending_line(self) -> bool:
        """True while an unterminated line is held and not released, even one of
        NUL bytes only, which are dropped instead of buffered."""
        return self.buffered_bytes > 0 or (self._saw_nul and not self._released)

    def feed(self, chunk: bytes) -> list[Line | Skip]:
        """Add ``chunk`` and return the lines it completed, in order."""
        out: list[Line | Skip] = []
        if not chunk:
            return out
        self._fed += len(chunk)

        if self._released:
            chunk = self._continue_released_line(chunk)
            if not chunk:
                return out

        if self._swallow_newline:
            self._swallow_newline = False
            if chunk.startswith(b"\r\n"):
                chunk = chunk[2:]
            elif chunk.startswith(b"\n"):
                chunk = chunk[1:]
            self._line_start = self._fed - len(chunk)
            if not chunk:
                return out

        if self._encoding is None:
            chunk = self._detect_encoding(chunk)
            if self._encoding is None:
                return out

        self._split_chunk(chunk, out)
        return out

    def flush(self) -> list[Line | Skip]:
        """Return the unterminated last line at the end of the stream, then reset.

        Call it when the stream is closed (end of a file read once, standard
        input closed). A file tail keeps the partial line buffered instead.
        """
        out: list[Line | Skip] = []
        if self._released:
            # The line was returned by ``release_pending_line`` already.
            self._start_stream()
            return out
        if self._encoding is None and self._head:
            self._split_chunk(self._detect_encoding(b"", final=True), out)
        self._split_chunk(b"", out, final=True)

        if self._buffer or self._text_buffer or self._discarding or self._saw_nul:
            self._end_line(out, self._fed)
        self._start_stream()
        return out

    def release_pending_json(self) -> list[Line]:
        """Return the unterminated line as complete when it is a whole JSON object.

        A file whose last alert lacks its newline would otherwise hold that
        alert back for ever. The caller decides when the line has been idle
        long enough. A newline that still arrives for it afterwards is dropped,
        so a writer that sends the line and its newline apart adds no blank line.
        """
        text = self._pending_text()
        if text is None:
            return []
        stripped = text.strip()
        if not (stripped.startswith("{") and stripped.endswith("}")):
            return []
        try:
            orjson.loads(stripped)
        except orjson.JSONDecodeError:
            return []

        line_no = self._line_no
        self._line_no += 1
        line = self._line(line_no, without_cr(text), self._fed)
        self._buffer = bytearray()
        self._text_buffer = ""
        self._saw_nul = False
        self._swallow_newline = self._decoder is None
        self._swallow_text_newline = self._decoder is not None
        self._line_start = self._fed
        return [line]

    def release_pending_line(self) -> list[Line | Skip]:
        """Return the unterminated line as complete, because its stream went quiet.

        A whole JSON object is released as ``release_pending_json`` does. Any
        other line (invalid JSON, text, binary bytes) is released but stays
        buffered. A newline that arrives next ends it. Other bytes mean the
        writer paused mid-line: the line goes on and is returned again, whole
        and with the same number, when it ends. A JSON alert cut by that pause
        is then still returned once, after one extra item for its first part.
        A UTF-16 line is released for good, like a JSON object.

        NOTE: the first part of a cut plain-text alert parses as an alert, so
        that alert is counted twice.
        """
        if self._released or self._discarding:
            return []
        if self._encoding is None and self._head:
            # Too few bytes to tell a BOM from text: they are taken as text.
            self._split_chunk(self._detect_encoding(b"", final=True), [])
        released = self.release_pending_json()
        if released:
            return released
        if not (self._buffer or self._text_buffer or self._saw_nul):
            return []

        out: list[Line | Skip] = []
        if self._decoder is not None:
            self._end_line(out, -1)
            self._swallow_text_newline = True
            return out

        line_no = self._line_no
        self._line_no += 1
        self._released = True
        text = without_cr(decode_utf8(self._buffer))
        if not text and self._saw_nul:
            return [self._skip("NUL padding", "", line_no)]
        return [self._line(line_no, text, self._fed)]

    def _continue_released_line(self, chunk: bytes) -> bytes:
        """End or continue the released line with ``chunk``; return what is left.

        ``chunk`` was counted in ``_fed`` already.
        """
        self._released = False
        if chunk.startswith((b"\n", b"\r\n")):
            # The line ended as it was released.
            after_newline = chunk.index(b"\n") + 1
            self._buffer = bytearray()
            self._saw_nul = False
            self._line_start = self._fed - len(chunk) + after_newline
            return chunk[after_newline:]

        self._line_no -= 1
        self.continued_lines += 1
        return chunk

    def _pending_text(self) -> str | None:
        """Return the buffered partial line as text, or None when there is none."""
        if self._discarding:
            return None
        if self._decoder is not None:
            return self._text_buffer or None
        if not self._buffer:
            return None
        return decode_utf8(self._buffer)

    def reset(
        self, first_line_no: int | None = None, first_offset: int | None = None
    ) -> None:
        """Forget buffered bytes and the detected encoding.

        Use it after the file was truncated: the stream starts again at byte
        zero, so a BOM may follow. ``first_line_no`` restarts the numbering,
        and ``first_offset`` the byte offsets.
        """
        if first_offset is not None:
            self._fed = first_offset
        self._start_stream()
        if first_line_no is not None:
            self._line_no = first_line_no

    def _start_stream(self) -> None:
        self._encoding: str | None = None
        self._decoder: codecs.IncrementalDecoder | None = None
        self._head = b""
        self._buffer = bytearray()
        self._text_buffer = ""
        self._discarding = False
        self._saw_nul = False
        self._swallow_newline = False
        self._swallow_text_newline = False
        self._released = False
        self._line_start = self._fed

    def _detect_encoding(self, chunk: bytes, final: bool = False) -> bytes:
        """Consume a BOM from the stream start and return the bytes after it."""
        data = self._head + chunk
        self._head = b""
        if not final and any(
            len(data) < len(bom) and bom.startswith(data) for bom in _BOM_PREFIXES
        ):
            # Too few bytes to tell a BOM from text yet, so wait for more.
            self._head = data
            return b""

        self._encoding = "utf-8"
        if data.startswith(_UTF8_BOM):
            data = data[len(_UTF8_BOM) :]
        else:
            data = self._start_utf16(data)

        # The first line starts after the BOM.
        self._line_start = self._fed - len(data)
        return data

    def _start_utf16(self, data: bytes) -> bytes:
        """Switch to UTF-16 when ``data`` starts with its BOM; return the rest."""
        for bom, encoding in _UTF16_BOMS.items():
            if data.startswith(bom):
                self._encoding = encoding
                self._decoder = codecs.getincrementaldecoder(encoding)("replace")
                return data[len(bom) :]
        return data

    def _split_chunk(
        self, data: bytes, out: list[Line | Skip], final: bool = False
    ) -> None:
        if self._decoder is None:
            self._split_bytes(data, out)
        else:
            self._split_text(self._decoder.decode(data, final), out)

    def _split_bytes(self, data: bytes, out: list[Line | Skip]) -> None:
        # ``data`` is always the last bytes fed, so its stream offset is known.
        position = self._fed - len(data)
        pieces = data.split(b"\n")
        for piece in pieces[:-1]:
            self._append_bytes(piece, out)
            position += len(piece)
            self._end_line(out, position)
            position += 1
            self._line_start = position
        self._append_bytes(pieces[-1], out)

    def _append_bytes(self, piece: bytes, out: list[Line | Skip]) -> None:
        if not piece or self._discarding:
            return

        if b"\x00" in piece:
            piece = piece.replace(b"\x00", b"")
            self._saw_nul = True

        if len(self._buffer) + len(piece) > self.max_line_bytes:
            start = bytes(self._buffer[: SAMPLE_CHARS * 4]) + piece[: SAMPLE_CHARS * 4]
            self._start_discarding(start.decode("utf-8", "replace"), out)
            return
        self._buffer += piece

    def _split_text(self, text: str, out: list[Line | Skip]) -> None:
        if self._swallow_text_newline and text:
            # The newline of a line released before it arrived.
            self._swallow_text_newline = False
            newline = "\r\n" if text.startswith("\r\n") else "\n"
            text = text.removeprefix(newline)
        pieces = text.split("\n")
        for piece in pieces[:-1]:
            self._append_text(piece, out)
            self._end_line(out, -1)
        self._append_text(pieces[-1], out)

    def _append_text(self, piece: str, out: list[Line | Skip]) -> None:
        if not piece or self._discarding:
            return

        if "\x00" in piece:
            piece = piece.replace("\x00", "")
            self._saw_nul = True

        if (len(self._text_buffer) + len(piece)) * 2 > self.max_line_bytes:
            start = self._text_buffer[:SAMPLE_CHARS] + piece[:SAMPLE_CHARS]
            self._start_discarding(start, out)
            return
        self._text_buffer += piece

    def _start_discarding(self, start: str, out: list[Line | Skip]) -> None:
        """Report the current line as too long and drop it up to its newline."""
        out.append(self._skip("line too long", start))
        self._buffer = bytearray()
        self._text_buffer = ""
        self._discarding = True

    def _end_line(self, out: list[Line | Skip], end: int) -> None:
        """Close the current line, which ends at stream offset ``end``, and
        append it (or its skip) to ``out``."""
        line_no = self._line_no
        self._line_no += 1
        saw_nul, self._saw_nul = self._saw_nul, False
        if self._discarding:
            # The skip was reported when the line grew too long.
            self._discarding = False
            return

        text = without_cr(self._take_text())
        if not text and saw_nul:
            out.append(self._skip("NUL padding", "", line_no))
            return
        out.append(self._line(line_no, text, end))

    def _line(self, line_no: int, text: str, end: int) -> Line | LocatedText:
        """Build the output line; ``end`` is where its bytes end in the stream."""
        if not self.offsets:
            return (line_no, text)
        if self._decoder is not None:
            return LocatedText(line_no, text, -1, 0, self.file)
        start = self._line_start
        return LocatedText(line_no, text, start, end - start, self.file)

    def _take_text(self) -> str:
        """Return the buffered line as text and empty the buffer."""
        if self._decoder is not None:
            text, self._text_buffer = self._text_buffer, ""
            return text

        raw = bytes(self._buffer)
        self._buffer = bytearray()
        return decode_utf8(raw)

    def _skip(self, reason: str, text: str, line_no: int | None = None) -> Skip:
        return Skip(
            reason=reason,
            origin=self.origin,
            line_no=self._line_no if line_no is None else line_no,
            sample=printable(text[:SAMPLE_CHARS]),
        )
