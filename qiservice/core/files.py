"""Uploaded files' names: what we keep of the name a browser or client sent.

Files are stored under a random name (outside the web root, served only through a
permission check); the original name is kept in the row for the download's
Content-Disposition. It is never trusted as a path: only its last part is kept (after a
slash or a backslash), without control or bidirectional-override characters (NUL would
break PostgreSQL, CR/LF a response header, U+202E would disguise "exe.pdf"), and a long
name is shortened before its extension, which the type check reads.
"""

import unicodedata
from pathlib import PurePosixPath

MAX_NAME = 200
MAX_SUFFIX = 10


def safe_file_name(raw, max_length=MAX_NAME):
    name = PurePosixPath(str(raw or "").replace("\\", "/")).name
    kept = []
    for ch in name:
        if unicodedata.category(ch).startswith("Z"):
            kept.append(" ")  # any space (U+3000 …) as a plain one
        elif ch.isprintable():
            kept.append(ch)
    name = " ".join("".join(kept).split())
    if name in (".", ".."):
        return ""
    if len(name) > max_length:
        suffix = PurePosixPath(name).suffix
        suffix = suffix if len(suffix) <= MAX_SUFFIX else ""
        name = name[: max_length - len(suffix)] + suffix
    return name
