"""Edit cells of a CSV file and leave every other byte as it was.

An LMS re-imports the file a TA downloaded from it, so the kit must not "normalise" it:
Python's ``csv`` writer would re-quote every field by its own rule (Moodle writes with PHP's
``fputcsv``, which also quotes fields holding a space) and could change line endings. Here
the file is split into raw fields (RFC 4180: ``"`` quotes, ``""`` escapes), only the edited
fields are re-encoded, and the rest is joined back byte for byte. ``csv.reader`` gives the
same values (checked in tests/test_lms_csv.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

# PHP's fputcsv encloses a field holding one of these (besides the delimiter).
_PHP_SPECIAL = set('"\\\n\r\t ')


@dataclass
class RawCsv:
    """A CSV text as rows of raw (still quoted) fields, with each row's line ending."""

    delimiter: str
    rows: list[list[str]] = field(default_factory=list)
    endings: list[str] = field(default_factory=list)
    quote_all: bool = False  # the file encloses every non-empty field: new values are enclosed too

    @classmethod
    def parse(cls, text: str, delimiter: str = ",") -> RawCsv:
        table = cls(delimiter)
        row: list[str] = []
        start = i = 0
        quoted = False
        while i < len(text):
            char = text[i]
            if quoted:
                if char == '"':
                    if text.startswith('""', i):
                        i += 1
                    else:
                        quoted = False
            elif char == '"':
                quoted = True
            elif char == delimiter:
                row.append(text[start:i])
                start = i + 1
            elif char in "\r\n":
                ending = "\r\n" if text.startswith("\r\n", i) else char
                row.append(text[start:i])
                table.rows.append(row)
                table.endings.append(ending)
                row = []
                i += len(ending)
                start = i
                continue
            i += 1
        if start < len(text) or row:
            row.append(text[start:])
            table.rows.append(row)
            table.endings.append("")
        fields = [raw for cells in table.rows for raw in cells if raw]
        table.quote_all = bool(fields) and all(raw.startswith('"') for raw in fields)
        return table

    def text(self) -> str:
        return "".join(self.delimiter.join(row) + ending for row, ending in zip(self.rows, self.endings))

    def value(self, row: int, column: int) -> str:
        raw = self.rows[row][column] if column < len(self.rows[row]) else ""
        if raw.startswith('"') and raw.endswith('"') and len(raw) >= 2:
            return raw[1:-1].replace('""', '"')
        return raw

    def values(self, row: int) -> list[str]:
        return [self.value(row, column) for column in range(len(self.rows[row]))]

    def set(self, row: int, column: int, value: str) -> None:
        """Set one cell, enclosed as the file's writer would: always when it encloses every field,
        else as PHP's fputcsv does (Moodle), which also covers what RFC 4180 requires."""
        cells = self.rows[row]
        while len(cells) <= column:
            cells.append("")
        needs_quotes = self.quote_all or any(c in _PHP_SPECIAL or c == self.delimiter for c in value)
        cells[column] = '"' + value.replace('"', '""') + '"' if needs_quotes and value != "" else value


def sniff_delimiter(header_line: str) -> str:
    """The delimiter of a header line: the most frequent of , ; and tab outside quotes."""
    counts = {d: 0 for d in ",;\t"}
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(counts, key=counts.get)
    return best if counts[best] else ","
