"""The atomic write: a fixed file replaces the old one whole, or not at all."""

from __future__ import annotations

import errno
import os
import stat
import tempfile
from pathlib import Path

from regcheck.sources.files import SourceFile


class WriteError(OSError):
    """Fixes were not written; ``strerror`` says why in one line (the old file is untouched)."""

    def __init__(self, message: str) -> None:
        super().__init__(errno.EIO, message)


def write_source_atomic(source: SourceFile, new_text: str) -> None:
    """Write through a temp file in the same directory and rename, keeping mode, owner and encoding.

    A crash at any point leaves either the old file or the new one, never a mix.
    A symlink is followed (the link stays a link), and a file that changed on disk
    since it was read is not overwritten.
    """
    target = Path(os.path.realpath(source.path))
    try:
        data = source.encode(new_text)
    except UnicodeEncodeError as exc:
        raise WriteError(f"the fixed code cannot be encoded as {source.encoding} ({exc.reason})") from None
    info = os.stat(target)
    if not writable(target, info):
        # The rename would replace it anyway (the folder is writable), and with a new owner: refuse, as ruff does.
        raise WriteError("Permission denied (the file is read-only); left as it is")
    if source.raw:
        with open(target, "rb") as handle:
            if handle.read() != source.raw:
                raise WriteError("the file changed on disk while regcheck was running; not overwritten")
    descriptor, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".regcheck-tmp", dir=target.parent)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, stat.S_IMODE(info.st_mode))
        if hasattr(os, "chown") and (os.stat(temp_name).st_uid, os.stat(temp_name).st_gid) != (
            info.st_uid,
            info.st_gid,
        ):
            try:
                os.chown(temp_name, info.st_uid, info.st_gid)
            except OSError:
                pass  # not permitted for non-root users: the new file is theirs, as an editor would do
        os.replace(temp_name, target)
    except BaseException:
        try:
            os.unlink(temp_name)
        except OSError:
            pass
        raise
    _fsync_directory(target.parent)


def writable(path: Path, info: os.stat_result) -> bool:
    """May this user write ``path`` in place? Not when the mode has no write bit (root, whom the mode does
    not stop, included: a 0444 file says "do not change me"), nor when this user has no write permission."""
    return bool(stat.S_IMODE(info.st_mode) & 0o222) and os.access(path, os.W_OK)


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable; not every platform lets a directory be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
