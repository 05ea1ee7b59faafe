"""Chaining of futures, as Promises/A+ chain JavaScript promises.

``then(future, on_success, on_failure)`` returns a new future of the same
class, resolved once `future` is done:
  - success: with ``on_success(result)`` (the result itself if
    `on_success` is None);
  - failure (or `on_success` raised): with ``on_failure(exception)`` --
    an exception instance it returns becomes the new future's exception,
    anything else its result -- or with the exception itself if
    `on_failure` is None; an exception `on_failure` raises fails it.
A callback returning a future chains: the new future is resolved as that
one is.  A chain leading back to a future already in it fails with
RuntimeError.  Cancelling either future cancels the new one.
"""

import threading
import weakref

from concurrent.futures import Future

__all__ = ['ThenableFuture', 'then', 'catch']


class ThenableFuture(Future):
    """Future with the methods then() and catch()."""

    def then(self, on_success=None, on_failure=None):
        """then(self, on_success, on_failure)"""
        return then(self, on_success, on_failure)

    def catch(self, on_failure=None):
        """catch(self, on_failure)"""
        return catch(self, on_failure)


def then(future, on_success=None, on_failure=None):
    """A new future resolved from `future` through the callbacks (see the
    module documentation)."""
    new = future.__class__()
    future.add_done_callback(
        lambda done: _resolve(new, done, on_success, on_failure))
    return new


def catch(future, on_failure=None):
    """then(future, None, on_failure); with no `on_failure` the new future
    succeeds with None when `future` fails."""
    if on_failure is None:
        return then(future, None, lambda exception: None)
    return then(future, None, on_failure)


# For each future being resolved by chaining, the futures already chained
# to it: reaching one again is a cycle.
_chained = weakref.WeakKeyDictionary()
_chained_lock = threading.Lock()


def _chain(new, future):
    """Resolve `new` as `future` is resolved."""
    with _chained_lock:
        seen = _chained.setdefault(new, weakref.WeakSet())
        if future is new or future in seen:
            raise RuntimeError(f'chain cycle: {future!r} is already '
                               f'chained to {new!r}')
        seen.add(future)
    future.add_done_callback(lambda done: _resolve(new, done))


def _settle(new, value, failed):
    """Resolve `new` with the value a callback returned."""
    if isinstance(value, Future):
        _chain(new, value)
    elif failed and isinstance(value, BaseException):
        new.set_exception(value)
    else:
        new.set_result(value)


def _resolve(new, done, on_success=None, on_failure=None):
    """`done` is finished: resolve `new`."""
    if done.cancelled() or new.cancelled():
        new.cancel()
        new.set_running_or_notify_cancel()
        return
    exception = done.exception()
    if exception is None:
        try:
            value = done.result()
            if on_success is not None:
                value = on_success(value)
            _settle(new, value, failed=False)
            return
        except BaseException as exc:
            exception = exc
    if on_failure is None:
        new.set_exception(exception)
        return
    try:
        _settle(new, on_failure(exception), failed=True)
    except BaseException as exc:
        new.set_exception(exc)
