"""Has anything committed since? SQLite's WAL-index header, read without a query.

In WAL mode every commit rewrites the header of the WAL-index, the `<database>-shm` file that all
connections, in every process, map as shared memory (https://www.sqlite.org/walformat.html, "The
WAL-Index Format"): its first 48 bytes hold the last committed frame, the frame checksums and a change
counter, so they differ after every commit. The writer writes the header's first copy last, before
its COMMIT returns. So if the first copy reads the same as before, no commit has completed in between;
any difference, a torn read included, only means "look again". `PRAGMA data_version` answers the same
question, but as a statement that takes a read lock on the file (several times this read's cost:
docs/benchmarks.md), and it is what the poll path falls back to where the header cannot be read.

The file descriptor is opened once per process and file and never closed while the file exists:
closing any descriptor of a file drops every POSIX lock the process holds on it, and SQLite's own
connections in this process hold such locks on the `-shm` file. A connection in WAL mode keeps a
shared lock on the database file for its whole life, and SQLite deletes the `-shm` file only when
no connection anywhere has the database open, so the poll path, which opens this reader after its
own connection has read the database and keeps that connection open, reads the live file.
"""
import os
import struct
import threading

_HEADER = 48
_VERSION = 3007000  # WALINDEX_MAX_VERSION: the wal-index format of every SQLite since 3.7.0
_FIELDS = struct.Struct("=II")  # iVersion, then an unused word; native byte order, as SQLite writes it

_OPEN = {}  # (st_dev, st_ino) -> file descriptor, held for the process's life (see above)
_LOCK = threading.Lock()


def reader(database_path):
    """A function returning the current WAL-index header (48 bytes), or None if this database's header
    cannot be read (not in WAL mode, no `-shm` file, an unknown format): then use PRAGMA data_version.

    Call it only while a connection of this process has the database open in WAL mode.
    """
    path = f"{database_path}-shm"
    try:
        fd = _descriptor(path)
        header = os.pread(fd, _HEADER, 0)
    except OSError:
        return None
    if len(header) < _HEADER or _FIELDS.unpack_from(header)[0] != _VERSION or header[12] != 1:  # isInit
        return None

    def read():
        header = os.pread(fd, _HEADER, 0)
        return header if len(header) == _HEADER else object()  # cut short: unlike anything read before

    return read


def _descriptor(path):
    st = os.stat(path)
    with _LOCK:
        fd = _OPEN.get((st.st_dev, st.st_ino))
        if fd is not None:
            return fd
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        opened = os.fstat(fd)
        _OPEN[(opened.st_dev, opened.st_ino)] = fd  # (the file it opened, should the path have moved on)
        # A descriptor of a file that was deleted since (no connection had its database open: SQLite
        # deletes the -shm file only then) holds no lock of anyone's: close it.
        for key, old in list(_OPEN.items()):
            if old != fd and os.fstat(old).st_nlink == 0:
                os.close(old)
                del _OPEN[key]
        return fd
