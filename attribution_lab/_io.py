"""Reading a table file: the one place that opens CSV / TSV (optionally gzip) and Parquet files.

Every reader of a user's file (path tables, cost tables, event logs, touch tables) goes
through `read_table`, so they agree on what a missing file, a delimiter, an empty cell
and an unparsable file mean, and name rows in errors the same way.
"""

from __future__ import annotations

import gzip
import os
import zlib
from collections.abc import Mapping, Sequence
from typing import IO, Any, NamedTuple

import pandas as pd

from ._validation import RowNamer, check_columns

__all__ = [
    "Table",
    "delimiter_doubt",
    "existing_file",
    "open_text",
    "read_table",
    "row_namer",
    "sniff_delimiter",
]

#: Delimiters `sniff_delimiter` recognises, in the order that breaks ties.
DELIMITERS = (";", ",", "\t", "|")
_PARQUET = (".parquet", ".pq")
#: How `sniff_delimiter`'s error ends (the command line says ``--delimiter`` instead).
DELIMITER_HINT = "; pass delimiter="
_GZIP_MAGIC = b"\x1f\x8b"
# a damaged gzip file (truncated, corrupt) fails only while it is read
_PARSE_ERRORS = (
    pd.errors.ParserError,
    pd.errors.EmptyDataError,
    UnicodeDecodeError,
    gzip.BadGzipFile,
    EOFError,
    zlib.error,
)


class Table(NamedTuple):
    """A table read from a file, with the names its errors should use."""

    frame: pd.DataFrame
    #: the file's path as given, which starts every error message
    source: str
    #: 0-based row position -> ``"FILE: row i (line i + 2)"``
    name_row: RowNamer


def _one_line(exc: Exception) -> str:
    """The message of `exc` on one line (pandas' tokenizer errors end in a newline)."""
    return " ".join(str(exc).split())


def existing_file(path: str | os.PathLike) -> str:
    """`path` as a string, or an error naming it when it is not a file that can be read.

    FileNotFoundError when there is no such file; ValueError for a directory or a file
    this process may not read.
    """
    source = os.fspath(path)
    if not os.path.exists(source):
        raise FileNotFoundError(f"{source}: no such file")
    if os.path.isdir(source):
        raise ValueError(f"{source}: is a directory, not a file")
    if not os.access(source, os.R_OK):
        raise ValueError(f"{source}: permission denied (the file cannot be read)")
    return source


def _check_gzip(path: str | os.PathLike) -> None:
    """ValueError naming the file when its name ends in ``.gz`` but it is not gzip-compressed."""
    source = os.fspath(path)
    if not source.lower().endswith(".gz"):
        return
    with open(source, "rb") as fh:
        head = fh.read(2)
    if head != _GZIP_MAGIC:
        raise ValueError(
            f"{source}: not a gzip file (its name ends in .gz but it starts with {head!r})"
        )


def open_text(path: str | os.PathLike) -> IO[str]:
    """Open a text file for reading as UTF-8, through gzip when its name ends in ``.gz``.

    Raises ValueError naming the file when its name ends in ``.gz`` but it is not gzip.
    """
    if os.fspath(path).lower().endswith(".gz"):
        _check_gzip(path)
        return gzip.open(path, "rt", encoding="utf-8", newline="")
    return open(path, encoding="utf-8", newline="")


def sniff_delimiter(path: str | os.PathLike) -> str:
    """The field delimiter of a CSV file: the most frequent of ``; , tab |`` in its header line.

    Raises ValueError naming the file and the header when none of them occurs.
    """
    with open_text(path) as fh:
        header = fh.readline()
    if header.strip() == "":
        raise ValueError(f"{os.fspath(path)}: empty file (no header line)")
    counts = {d: header.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.__getitem__)
    if counts[best] == 0:
        raise ValueError(
            f"{os.fspath(path)}: cannot tell the delimiter from the header line {header.strip()!r}"
            + DELIMITER_HINT
        )
    return best


def row_namer(source: str, first_line: int = 2) -> RowNamer:
    """Name row ``i`` of a file whose row 0 is on line `first_line`: ``"FILE: row i (line n)"``.

    Line numbers assume one line per row (no quoted field spanning lines).
    """

    def name_row(i: int) -> str:
        return f"{source}: row {i} (line {i + first_line})"

    return name_row


def read_table(
    path: str | os.PathLike,
    *,
    delimiter: str | None = None,
    columns: Sequence[str] | None = None,
    dtype: Any = None,
    keep_default_na: bool = False,
    na_values: Mapping[str, Sequence[str]] | Sequence[str] | None = None,
    parquet: bool = False,
) -> Table:
    """Read a CSV / TSV file (optionally ``.gz``), or a Parquet file, into a DataFrame.

    Parameters
    ----------
    path : str or path
    delimiter : str, optional
        CSV field delimiter; by default the most frequent of ``;``, ``,``, tab and ``|``
        in the header line (`sniff_delimiter`).
    columns : sequence of str, optional
        Read only these columns, after checking the file has them (a missing one raises
        ValueError naming the closest column, as `check_columns` does).
    dtype, na_values
        As in `pandas.read_csv` (`dtype` is not used for Parquet).
    keep_default_na : bool, default False
        Whether cells such as ``NA``, ``null`` or ``nan`` are missing values, as
        `pandas.read_csv` has them by default. Off by default because a channel may
        well be called ``NA`` or ``null``; then only the `na_values` are missing (pass
        ``{column: [""]}`` to have empty cells of numeric columns missing).
    parquet : bool, default False
        Read files ending in ``.parquet`` or ``.pq`` as Parquet (through pyarrow);
        otherwise every file is read as CSV.

    Returns
    -------
    Table
        ``(frame, source, name_row)``: the DataFrame, the path as a string, and a
        function naming row ``i`` as ``"FILE: row i (line i + 2)"`` (for Parquet
        ``"FILE: row i"``) for error messages.

    Raises
    ------
    FileNotFoundError
        When there is no such file (the message names it).
    ValueError
        When the delimiter cannot be told from the header line, a column of `columns` is
        missing, a file named ``.gz`` is not gzip (``"FILE: not a gzip file (...)"``), or
        the file cannot be parsed (``"FILE: cannot parse as CSV (...)"``, or ``as
        Parquet``).

    Examples
    --------
    >>> import tempfile
    >>> f = os.path.join(tempfile.mkdtemp(), "spend.csv.gz")
    >>> with gzip.open(f, "wt") as fh:
    ...     _ = fh.write("channel;cost\\nNA;10\\nsearch;\\n")
    >>> frame, source, name_row = read_table(f, na_values={"cost": [""]})
    >>> frame["channel"].tolist(), frame["cost"].tolist()
    (['NA', 'search'], [10.0, nan])
    >>> name_row(1).endswith("spend.csv.gz: row 1 (line 3)")
    True
    """
    source = existing_file(path)
    if parquet and source.lower().endswith(_PARQUET):
        import pyarrow as pa
        import pyarrow.parquet as pq

        try:
            if columns is not None:
                check_columns(pq.read_schema(source).names, columns, source)
            frame = pd.read_parquet(source, columns=None if columns is None else list(columns))
        except pa.ArrowInvalid as exc:
            raise ValueError(f"{source}: cannot parse as Parquet ({_one_line(exc)})") from None

        def name_row(i: int) -> str:
            return f"{source}: row {i}"

        return Table(frame, source, name_row)
    _check_gzip(source)
    try:
        sep = delimiter or sniff_delimiter(source)
        if columns is not None:
            check_columns(pd.read_csv(source, sep=sep, nrows=0).columns, columns, source)
        frame = pd.read_csv(
            source,
            sep=sep,
            usecols=None if columns is None else list(columns),
            dtype=dtype,
            keep_default_na=keep_default_na,
            na_values=na_values,
        )
    except pd.errors.EmptyDataError:
        raise ValueError(f"{source}: empty file (no header line)") from None
    except _PARSE_ERRORS as exc:
        raise ValueError(f"{source}: cannot parse as CSV ({_one_line(exc)})") from None
    return Table(frame, source, row_namer(source))


def delimiter_doubt(columns: Sequence[Any]) -> str:
    """A hint for a missing column when the header read as a single column that holds one
    of the delimiters: the delimiter given was probably wrong. Ends in `DELIMITER_HINT`.

    Examples
    --------
    >>> delimiter_doubt(["path,total_conversions"])
    "; the header read as one column holding ',', so the delimiter looks wrong; pass delimiter="
    >>> delimiter_doubt(["path", "total"])
    ''
    """
    if len(columns) != 1:
        return ""
    held = [d for d in DELIMITERS if d in str(columns[0])]
    if not held:
        return ""
    return f"; the header read as one column holding {held[0]!r}, so the delimiter looks wrong" + (
        DELIMITER_HINT
    )
