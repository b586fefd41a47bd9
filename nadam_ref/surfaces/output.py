"""The race's output helpers, now those of :mod:`nadam_ref._io` (the one place that writes files), under the
names this module gave them: a race's files are written into a staging folder and moved into place only when
every one of them is complete."""

from .._io import OutputDirError, atomic_write_text, check_writable
from .._io import staged_folder as staged_files

__all__ = ["OutputDirError", "atomic_write_text", "check_writable", "staged_files"]
