"""CSV downloads, written one way: UTF-8 with a byte-order mark so Excel reads the accents, and every
cell guarded against formula injection as the Excel pack is (a cell starting "=", "+", "-", "@" ...
gets a leading apostrophe, so a spreadsheet shows it as text instead of running it)."""

import csv
import io
from collections.abc import Iterable, Sequence

from flask import Response, stream_with_context

from app.reports.workbook import safe_text


def _cell(value) -> str:
    return "" if value is None else safe_text(str(value))


def csv_response(filename: str, header: Sequence[str], rows: Iterable[Sequence]) -> Response:
    """A CSV attachment streamed row by row, so a long listing never sits whole in memory."""

    def generate():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow([_cell(h) for h in header])
        for row in rows:
            writer.writerow([_cell(value) for value in row])
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(generate()), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
