"""The change signal: how a worker knows that nothing has been written, without asking the database.

Every signed-in request asks the database one question first: is this session still good, and what is
the data version (app/auth/sessions.py)? On PostgreSQL that round trip was most of what a kept dashboard
page cost, and it held the worker idle while it waited (issue 11). Its answer changes only when
something is written, so:

- after every commit that wrote anything, the app writes 8 fresh random bytes into a small file, one per
  database, in CHANGE_SIGNAL_DIR (the instance folder unless set);
- a worker that remembers an answer (`remember`) remembers it with the bytes it saw *before* it asked
  the database. While the file holds those bytes, nothing has been committed since it asked, so the
  answer stands (`recall`). A write committed while it asked changes the file after the commit, and
  the next request asks again.

Every worker on the machine maps the same file, so reading it costs no system call and no round trip.
The writer changes it before its response leaves, so a save or a sign-out is seen by every worker on
the very next request.

What the file cannot carry: a write from another machine, or one made outside the app (psql, a
restore by hand). A partnership that serves the app from several machines on one database sets
CHANGE_SIGNAL_DIR=off, and every request asks the database, as before. Whatever is remembered is asked
again at least every SESSION_TOUCH_SECONDS anyway (the session's "last seen" comes due), so a change
the file missed is seen within that time, not never. A folder that cannot be written turns the signal
off too (logged once), never on with a file no one changes.
"""

from __future__ import annotations

import hashlib
import mmap
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy.engine import URL

SIZE = 8  # bytes of the signal
MEMORY_ENTRIES = 4096  # remembered answers per app: one per signed-in browser
_OFF = ("", "off")
_lock = threading.Lock()
# (CHANGE_SIGNAL_DIR, database URL) -> (pid that mapped it, its map or None when off). A map holds a file
# descriptor, so only the most recent few are kept: a worker has one database, but a test run opens a
# thousand. One dropped here is closed once no caller holds it, and mapped again when next asked for.
_maps: OrderedDict[tuple[str, URL], tuple[int, mmap.mmap | None]] = OrderedDict()
MAPS_KEPT = 32


def _path(folder: str, url: URL) -> Path | None:
    """The signal file of the database at `url`, or None when there is none to share."""
    if folder in _OFF:
        return None
    if url.get_backend_name() == "sqlite":
        if url.database in (None, "", ":memory:"):
            return None  # a database of this process alone: nothing to tell
        name = "sqlite:" + os.path.realpath(url.database)  # the same file however its path is written
    else:
        name = url.render_as_string(hide_password=True)
    return Path(folder) / f"change-signal-{hashlib.sha256(name.encode()).hexdigest()[:20]}"


def _mapped(url: URL) -> mmap.mmap | None:
    """The signal file mapped into this process, or None when the signal is off. Looked up by setting
    and URL, so a request's read costs a dictionary look-up, not a path resolved and hashed."""
    key = (current_app.config["CHANGE_SIGNAL_DIR"], url)
    kept = _maps.get(key)
    if kept is not None and kept[0] == os.getpid():
        return kept[1]
    path = _path(*key)
    with _lock:
        mapped: mmap.mmap | None = None
        try:
            if path is not None:
                path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
                try:
                    if os.fstat(fd).st_size < SIZE:
                        os.ftruncate(fd, SIZE)  # two workers both growing it to SIZE leave it SIZE: no race
                    mapped = mmap.mmap(fd, SIZE)
                finally:
                    os.close(fd)  # the map keeps the file
        except OSError as exc:
            # The app's own logger: Alembic's logging set-up disables loggers made before it ran.
            current_app.logger.warning("change signal off: %s cannot be used (%s); every request asks "
                                       "the database", path, exc)
        _maps[key] = (os.getpid(), mapped)
        _maps.move_to_end(key)
        while len(_maps) > MAPS_KEPT:
            _maps.popitem(last=False)
    return mapped


def seen(url: URL) -> bytes | None:
    """The signal now, to remember an answer by; None when it is off (then nothing is remembered)."""
    mapped = _mapped(url)
    return None if mapped is None else mapped[:SIZE]


def signal(url: URL) -> None:
    """Tell every worker on this machine that something was written: call after the commit."""
    mapped = _mapped(url)
    if mapped is not None:
        mapped[:SIZE] = os.urandom(SIZE)  # random, not counted: no lock is needed between processes


# --- answers remembered while nothing is written ---------------------------------------------------


def _memory() -> OrderedDict:
    return current_app.extensions.setdefault("change_signal_memory", OrderedDict())


def recall(key: Any, now_seen: bytes | None) -> Any | None:
    """What was remembered under `key`, if the signal has not changed since; else None."""
    if now_seen is None:
        return None
    with _lock:
        kept = _memory().get(key)
    return kept[1] if kept is not None and kept[0] == now_seen else None


def remember(key: Any, seen_before: bytes | None, value: Any) -> None:
    """Keep `value`, read from the database after the signal was `seen_before`. It must be immutable."""
    if seen_before is None:
        return
    with _lock:
        memory = _memory()
        memory[key] = (seen_before, value)
        memory.move_to_end(key)
        while len(memory) > MEMORY_ENTRIES:
            memory.popitem(last=False)


def forget() -> None:
    """Forget every remembered answer of this app (as a freshly started worker has none)."""
    with _lock:
        _memory().clear()
