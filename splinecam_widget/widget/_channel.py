"""The request channel: the front end asks, Python answers, over the widget's custom messages.

A request is the custom message ``{"type": "splinecam:request", "id", "name", "content"}``;
its answer is ``{"type": "splinecam:response", "id", "content"}`` with binary buffers
(``js/channel.js`` matches answers to requests by id, and gives up on an aborted or timed
out request).  Custom messages work wherever ipywidgets messages do: JupyterLab, Notebook,
Voilà, marimo, VS Code, Colab.  (anywidget's experimental ``invoke`` is not supported by
marimo, which is why the widget does not use it.)

A handler is a method decorated with :func:`request`: it gets the request's fields,
checked, and returns ``(answer, buffers)``.  Every request is answered: an unknown name, a
field of the wrong type or an unexpected failure comes back as ``{"error": message}``, so
the front end's promise never hangs.
"""

from __future__ import annotations

import functools

import traitlets

from ..errors import SplineCamError

REQUEST = "splinecam:request"
RESPONSE = "splinecam:response"
MAX_ID_LENGTH = 64


def integer_field(msg: dict, name: str, optional: bool = False):
    """``msg[name]`` as an int; a float (even 2.0 or 1.9), a string, a bool or a missing field is refused."""
    if name not in msg:
        if optional:
            return None
        raise SplineCamError(f"the request has no {name!r} field")
    value = msg[name]
    if optional and value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise SplineCamError(f"{name} must be an integer, got {value!r}")
    return value


def choice_field(msg: dict, name: str, choices: tuple[str, ...]) -> str:
    """``msg[name]``, which must be one of the strings ``choices``."""
    if name not in msg:
        raise SplineCamError(f"the request has no {name!r} field")
    value = msg[name]
    if not isinstance(value, str) or value not in choices:
        raise SplineCamError(f"{name} must be one of {', '.join(map(repr, choices))}, got {value!r}")
    return value


def request(*fields: str, optional: tuple[str, ...] = (), choices: dict[str, tuple[str, ...]] | None = None):
    """Make a method the handler of the front-end request named after it (without its leading underscore).

    ``fields`` are integers, ``optional`` ones may be None or absent, ``choices`` maps
    string fields to their allowed values.  The decorated method takes ``(msg, buffers)``
    and returns ``(answer, buffers)``; failures become ``{"error": message}`` answers.
    """
    choices = choices or {}

    def wrap(handler):
        @functools.wraps(handler)
        def answer(self, msg, buffers):
            try:
                if not isinstance(msg, dict):
                    raise SplineCamError(f"a request must be an object, got {type(msg).__name__}")
                values = {name: integer_field(msg, name) for name in fields}
                values.update({name: integer_field(msg, name, optional=True) for name in optional})
                values.update({name: choice_field(msg, name, allowed) for name, allowed in choices.items()})
                return handler(self, **values)
            except SplineCamError as exc:
                return {"error": str(exc)}, []
            except Exception as exc:  # noqa: BLE001 - every request is answered, failures included
                return {"error": f"{type(exc).__name__}: {exc}"}, []

        answer.request_name = handler.__name__.lstrip("_")
        return answer

    return wrap


def _handler_table(cls) -> dict[str, str]:
    """Request name -> method name, for every :func:`request` method of ``cls`` (cached on the class)."""
    table = cls.__dict__.get("_request_table")
    if table is None:
        table = {}
        for klass in reversed(cls.__mro__):
            for attr, value in vars(klass).items():
                name = getattr(value, "request_name", None)
                if isinstance(name, str):
                    table[name] = attr
        cls._request_table = table
    return table


def _valid_id(value) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) or (isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH)


class RequestChannel(traitlets.HasTraits):
    """Mixin of :class:`~splinecam_widget.SplineCamWidget`: receives requests and sends their answers.

    The widget calls :meth:`_open_channel` once (``on_msg``) and :meth:`_close_channel` on close.
    """

    def _open_channel(self) -> None:
        self.on_msg(self._on_front_end_message)

    def _close_channel(self) -> None:
        self.on_msg(self._on_front_end_message, remove=True)

    def _on_front_end_message(self, widget, content, buffers) -> None:
        """Answer one request; messages that are not requests are someone else's."""
        if not isinstance(content, dict) or content.get("type") != REQUEST:
            return
        answer, out = self._answer_request(content, buffers)
        self.send(answer, [memoryview(b) for b in out])

    def _answer_request(self, content: dict, buffers=()) -> tuple[dict, list]:
        """The response message to a request message, and its buffers (never raises)."""
        rid, name = content.get("id"), content.get("name")
        if not _valid_id(rid):
            reply = {"error": f"a request id must be an integer or a short string, got {rid!r}"}, []
            rid = None
        elif not isinstance(name, str) or name not in _handler_table(type(self)):
            known = ", ".join(sorted(_handler_table(type(self))))
            reply = {"error": f"unknown request {name!r}; known: {known}"}, []
        else:
            reply = getattr(self, _handler_table(type(self))[name])(content.get("content"), list(buffers or ()))
        answer, out = reply
        return {"type": RESPONSE, "id": rid, "content": answer}, list(out)
