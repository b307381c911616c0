"""Child processes that must not outlive the worker that started them.

Celery's embedded beat (`worker --beat`) and the prefork pool are forked children. When the worker
is killed with SIGKILL nothing stops them: the beat, re-parented to pid 1, keeps sending the sweep,
and after a restart two beats send it. Linux can signal a child when its parent dies
(prctl PR_SET_PDEATHSIG); each child asks for that as it starts.
"""

from __future__ import annotations

import ctypes
import logging
import os
import signal
import sys

log = logging.getLogger(__name__)

PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int, sig: signal.Signals = signal.SIGTERM) -> bool:
    """Ask for `sig` when the parent exits; exit now if it already has (it died before the call).
    False where the kernel offers no such request (not Linux)."""
    if not sys.platform.startswith("linux"):
        log.warning("this platform cannot stop a child process with its parent", extra={"pid": os.getpid()})
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(sig), 0, 0, 0) != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"prctl(PR_SET_PDEATHSIG) failed: {os.strerror(err)}")
    if os.getppid() != parent_pid:
        os._exit(1)  # orphaned between the fork and the request: nobody would ever signal it
    return True


def bind_children_to(parent_pid: int) -> None:
    """The embedded beat and every pool process of this worker die with it."""
    from celery.signals import beat_embedded_init, worker_process_init

    def on_child_start(**_: object) -> None:
        die_with_parent(parent_pid)

    beat_embedded_init.connect(on_child_start, weak=False)
    worker_process_init.connect(on_child_start, weak=False)
