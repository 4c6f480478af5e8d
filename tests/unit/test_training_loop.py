import os
import signal

import pytest

from training.loop import CtrlCGuard


def swallowing_library_call() -> None:
    """Like scikit-learn's MLP partial_fit: catches Ctrl-C and carries on."""
    try:
        os.kill(os.getpid(), signal.SIGINT)  # the handler runs before kill() returns here
    except KeyboardInterrupt:
        pass


def test_ctrl_c_swallowed_by_a_library_is_raised_again() -> None:
    with CtrlCGuard() as guard:
        swallowing_library_call()
        assert guard.pressed
        with pytest.raises(KeyboardInterrupt):
            guard.check()


def test_guard_restores_the_previous_handler() -> None:
    before = signal.getsignal(signal.SIGINT)
    with CtrlCGuard() as guard:
        guard.check()  # nothing pressed: no error
    assert signal.getsignal(signal.SIGINT) is before
