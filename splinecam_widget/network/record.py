"""Record a model's forward as a ``torch.fx`` graph without changing any global state.

``torch.fx.Tracer`` records module calls by replacing ``nn.Module.__call__`` and
``nn.Module.__getattr__`` for the whole process while it traces: every other thread's
module calls then go through that tracer (and fail), and two traces at once restore each
other's patches in the wrong order, leaving the process broken.  Here nothing global is
touched.  The model's forward runs with a :class:`Shadow` of each module as ``self``: an
object that answers attribute lookups as the module would, except that submodules are
shadows too, parameters are ``get_attr`` proxies, and calling a shadow records a
``call_module`` node (for a leaf module) or runs its class's forward with the shadow as
``self``.  Inputs are ``torch.fx.Proxy`` objects, so torch functions, tensor methods and
operators are recorded through ``Proxy.__torch_function__`` and Proxy's own operators,
which touch only this recording's graph.  A shadow's ``__class__`` is the module's class,
so ``isinstance(self, ...)`` and ``super()`` work; attributes a forward sets on ``self``
stay on the shadow, never reaching the model.

Differences from ``torch.fx.symbolic_trace`` (which gives the same graph for every model
of the tests): functions registered with ``torch.fx.wrap`` and ``math`` functions are run
on proxies rather than kept as opaque calls; module hooks are not run;
``torch.fx._symbolic_trace.is_fx_tracing()`` stays False; slices of a Sequential or
ModuleList taken in a forward work (fx refuses their calls).
"""

from __future__ import annotations

import collections
import functools
import inspect
import itertools
import linecache
import os
import sys
import types
from collections.abc import Callable

import torch
import torch.fx as fx
from torch import nn
from torch.fx.proxy import Scope, TracerBase

from .recorded import Recorded, hold_parts

TORCH_DIR = os.path.dirname(torch.__file__)
MISSING = object()


@functools.lru_cache(maxsize=4096)
def in_torch(filename: str) -> bool:
    """True for a file inside torch's own package (whole path components: torchvision is not torch)."""
    return os.path.commonpath([TORCH_DIR, os.path.abspath(filename)]) == TORCH_DIR


def class_attribute(cls: type, name: str):
    """``name`` as found in the classes of ``cls.__mro__`` (no descriptor called), or :data:`MISSING`."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            return klass.__dict__[name]
    return MISSING


def class_getattr(cls: type):
    """A ``__getattr__`` defined by ``cls`` or a base below ``nn.Module`` (not torch's own), else None."""
    for klass in cls.__mro__:
        if klass is nn.Module:
            return None
        if "__getattr__" in klass.__dict__:
            return klass.__dict__["__getattr__"]
    return None


def object_storage(attribute) -> bool:
    """True for a descriptor of a C-level instance slot (``__dict__``, ``__weakref__``, ``__slots__`` entries)."""
    return isinstance(attribute, (types.GetSetDescriptorType, types.MemberDescriptorType))


def data_descriptor(attribute) -> bool:
    """True for a descriptor that takes precedence over the instance dictionary (a property, ...)."""
    return hasattr(type(attribute), "__set__") or hasattr(type(attribute), "__delete__")


class Shadow:
    """Stands for one module of the model while its forward is recorded (see the module docstring)."""

    __slots__ = ("_recorder", "_module", "_path", "_written")

    def __init__(self, recorder: Recorder, module: nn.Module, path: str):
        object.__setattr__(self, "_recorder", recorder)
        object.__setattr__(self, "_module", module)
        object.__setattr__(self, "_path", path)
        object.__setattr__(self, "_written", {})

    def __getattribute__(self, name: str):
        """The module's attribute ``name``, with submodules and parameters as recording stand-ins."""
        return object.__getattribute__(self, "_recorder").attribute(self, name)

    def __setattr__(self, name: str, value) -> None:
        """Attributes a forward sets on ``self`` stay on the shadow (the model is never written)."""
        object.__getattribute__(self, "_written")[name] = value

    def __delattr__(self, name: str) -> None:
        """Forget an attribute the forward set on ``self``."""
        written = object.__getattribute__(self, "_written")
        if name not in written:
            raise AttributeError(name)
        del written[name]

    def __call__(self, *args, **kwargs):
        """A ``call_module`` node for a leaf module; otherwise the module's forward, recorded."""
        recorder = object.__getattribute__(self, "_recorder")
        module = object.__getattribute__(self, "_module")
        if recorder.is_leaf(module):
            return recorder.create_proxy("call_module", object.__getattribute__(self, "_path"), args, kwargs)
        return recorder.attribute(self, "forward")(*args, **kwargs)

    def __bool__(self) -> bool:
        """Truth as the module's class defines it (a Sequential is false when empty)."""
        cls = module_class(self)
        if hasattr(cls, "__bool__"):
            return cls.__bool__(self)
        if hasattr(cls, "__len__"):
            return cls.__len__(self) != 0
        return True

    def __iter__(self):
        """Iteration as the module's class defines it (Sequential, ModuleList, ModuleDict, ...)."""
        cls = module_class(self)
        if hasattr(cls, "__iter__"):
            return cls.__iter__(self)
        if hasattr(cls, "__getitem__"):
            return sequence(self, itertools.count())
        raise TypeError(f"'{cls.__name__}' object is not iterable")

    def __reversed__(self):
        """Reversed iteration as Python gives it to the module's class."""
        cls = module_class(self)
        if hasattr(cls, "__reversed__"):
            return cls.__reversed__(self)
        if hasattr(cls, "__len__") and hasattr(cls, "__getitem__"):
            return sequence(self, range(len(self) - 1, -1, -1))
        raise TypeError(f"'{cls.__name__}' object is not reversible")

    def __contains__(self, item) -> bool:
        """``item in self`` as Python gives it to the module's class."""
        cls = module_class(self)
        if hasattr(cls, "__contains__"):
            return cls.__contains__(self, item)
        return any(element is item or element == item for element in self)

    def __len__(self) -> int:
        """The module class's length (containers)."""
        cls = module_class(self)
        if not hasattr(cls, "__len__"):
            raise TypeError(f"object of type '{cls.__name__}' has no len()")
        return cls.__len__(self)

    def __getitem__(self, index):
        """The module class's indexing (``self.layers[0]``, ``self.layers[1:]``, ``self.heads["a"]``)."""
        cls = module_class(self)
        if not hasattr(cls, "__getitem__"):
            raise TypeError(f"'{cls.__name__}' object is not subscriptable")
        return cls.__getitem__(self, index)

    def __repr__(self) -> str:
        """Which module this shadow stands for."""
        path = object.__getattribute__(self, "_path") or "model"
        return f"<recording of {module_class(self).__name__} {path!r}>"


def module_class(shadow: Shadow) -> type:
    """The class of the module ``shadow`` stands for."""
    return type(object.__getattribute__(shadow, "_module"))


def sequence(shadow: Shadow, indices):
    """``shadow[i]`` for each index until one is out of range (Python's sequence iteration)."""
    for index in indices:
        try:
            item = shadow[index]
        except IndexError:
            return
        yield item


def binary(name: str) -> Callable:
    """An operator of :class:`Shadow` that runs the module class's own (``Sequential + Sequential``)."""

    def method(self, other):
        own = getattr(module_class(self), name, None)
        return NotImplemented if own is None else own(self, other)

    method.__name__ = name
    method.__doc__ = f"The module class's ``{name}``, if it has one."
    return method


for _name in ("__add__", "__radd__", "__mul__", "__rmul__"):
    setattr(Shadow, _name, binary(_name))  # our own class, once, at import


class Recorder(TracerBase):
    """Records one model's forward into an ``fx.Graph``; used by one thread, once.

    Parameters
    ----------
    root : nn.Module
        The model.
    is_leaf : callable
        ``is_leaf(module)``: True for modules recorded as one ``call_module`` node.
    skip_files : tuple of str
        Source files, besides torch's and this one, never named as a node's source line.
    """

    def __init__(self, root: nn.Module, is_leaf: Callable[[nn.Module], bool], skip_files: tuple[str, ...] = ()):
        self.graph = fx.Graph()
        self.scope = Scope("", None)
        self.module_stack = collections.OrderedDict()
        self.node_name_to_scope = {}
        self.root = root
        self.is_leaf = is_leaf
        self.skip_files = {__file__, *skip_files}
        self.module_paths = {id(module): name for name, module in root.named_modules()}
        # Tensors of the model, by identity: where a forward passes one as an argument, a get_attr reads it.
        self.tensor_paths: dict[int, str] = {}
        for name, tensor in [*root.named_parameters(), *root.named_buffers()]:
            self.tensor_paths.setdefault(id(tensor), name)
        for prefix, module in root.named_modules():
            for key, value in vars(module).items():
                if isinstance(value, torch.Tensor):
                    self.tensor_paths.setdefault(id(value), f"{prefix}.{key}" if prefix else key)
        self.constants: dict[str, torch.Tensor] = {}  # tensors made by the forward itself, by get_attr name
        self.shadows: dict[int, Shadow] = {}
        self.child_shadows: dict[int, dict] = {}
        self.attribute_proxies: dict[str, fx.Proxy] = {}

    # --- the stand-ins -------------------------------------------------------------------------
    def shadow(self, module: nn.Module) -> Shadow:
        """The one shadow of a module of the model."""
        shadow = self.shadows.get(id(module))
        if shadow is None:
            shadow = self.shadows[id(module)] = Shadow(self, module, self.module_paths[id(module)])
        return shadow

    def stand_in(self, value):
        """A module of the model as its shadow; anything else as itself."""
        if isinstance(value, nn.Module) and id(value) in self.module_paths:
            return self.shadow(value)
        return value

    def parameter(self, path: str) -> fx.Proxy:
        """The ``get_attr`` proxy of a parameter (one node per parameter, as torch.fx does)."""
        proxy = self.attribute_proxies.get(path)
        if proxy is None:
            proxy = self.attribute_proxies[path] = self.create_proxy("get_attr", path, (), {})
        return proxy

    def attribute(self, shadow: Shadow, name: str):
        """``getattr(module, name)`` in Python's order, with the model's modules and parameters as stand-ins."""
        written = object.__getattribute__(shadow, "_written")
        if name in written:
            return written[name]
        module = object.__getattribute__(shadow, "_module")
        cls = type(module)
        if name == "__class__":
            return cls
        if name == "__call__":
            return types.MethodType(Shadow.__call__, shadow)
        if name == "__dict__":  # reads see the module's attributes (submodules as shadows), writes stay here
            children = {"_modules": self.instance_value(shadow, module, "_modules", module.__dict__["_modules"])}
            return collections.ChainMap(written, children, module.__dict__)
        static = class_attribute(cls, name)
        if static is not MISSING and object_storage(static):
            return static.__get__(module, cls)  # read the module's own storage (``__dict__``, slots)
        if static is not MISSING and data_descriptor(static):
            return static.__get__(shadow, cls)  # a property runs with the shadow as ``self``
        instance = module.__dict__
        if name in instance:
            return self.instance_value(shadow, module, name, instance[name])
        if static is not MISSING:
            get = getattr(type(static), "__get__", None)
            return static if get is None else get(static, shadow, cls)  # methods bound to the shadow
        own_getattr = class_getattr(cls)
        if own_getattr is not None:  # the class's own __getattr__, with the shadow as ``self``
            return own_getattr(shadow, name)
        # Where nn.Module.__getattr__ looks: parameters, buffers, submodules.
        path = object.__getattribute__(shadow, "_path")
        if name in instance.get("_parameters", {}):
            parameter = instance["_parameters"][name]
            return None if parameter is None else self.parameter(f"{path}.{name}" if path else name)
        if name in instance.get("_buffers", {}):
            return instance["_buffers"][name]  # the tensor itself, as torch.fx gives it; get_attr where used
        if name in instance.get("_modules", {}):
            return self.stand_in(instance["_modules"][name])
        raise AttributeError(f"'{cls.__name__}' object has no attribute '{name}'")

    def instance_value(self, shadow: Shadow, module: nn.Module, name: str, value):
        """A value of the module's ``__dict__``: submodules as shadows, its own bound methods rebound."""
        if name == "_modules":
            children = self.child_shadows.get(id(module))
            if children is None:
                children = self.child_shadows[id(module)] = {k: self.stand_in(v) for k, v in value.items()}
            return children
        if isinstance(value, types.MethodType) and value.__self__ is module:
            return types.MethodType(value.__func__, shadow)
        return value

    # --- the graph -----------------------------------------------------------------------------
    def create_node(self, kind, target, args, kwargs, name=None, type_expr=None) -> fx.Node:
        """Record a node with the user's source line it comes from, for error messages."""
        node = super().create_node(kind, target, args, kwargs, name, type_expr)
        frame = sys._getframe(1)
        while frame is not None:  # the innermost frame outside torch and this package's tracing files
            filename = frame.f_code.co_filename
            if filename not in self.skip_files and not in_torch(filename):
                line = linecache.getline(filename, frame.f_lineno).strip()
                node.meta["source"] = f"{os.path.basename(filename)}:{frame.f_lineno}: {line}"
                break
            frame = frame.f_back
        return node

    def create_arg(self, a):
        """Tensors of the model become ``get_attr`` nodes; other tensors are kept as constants."""
        if isinstance(a, torch.Tensor):
            path = self.tensor_paths.get(id(a))
            if path is None:
                path = self.constant_name()
                self.constants[path] = a
                self.tensor_paths[id(a)] = path  # the constant is kept alive, so its id is not reused
            return self.create_node("get_attr", path, (), {})
        if isinstance(a, Shadow):
            return self.create_node("get_attr", object.__getattribute__(a, "_path"), (), {})
        return super().create_arg(a)

    def constant_name(self) -> str:
        """A ``get_attr`` name for a new constant, unlike any attribute of the model."""
        index = len(self.constants)
        while hasattr(self.root, f"_tensor_constant{index}") or f"_tensor_constant{index}" in self.constants:
            index += 1
        return f"_tensor_constant{index}"

    def record(self) -> fx.Graph:
        """Run the model's forward on proxies; the graph of what it did."""
        forward = self.attribute(self.shadow(self.root), "forward")
        inputs, keywords = [], {}
        for parameter in inspect.signature(forward).parameters.values():
            if parameter.kind is parameter.VAR_POSITIONAL:
                if not inputs:
                    inputs.append(self.create_proxy("placeholder", parameter.name, (), {}))
            elif parameter.kind is parameter.VAR_KEYWORD or (inputs and parameter.default is not parameter.empty):
                continue  # later arguments with defaults keep them
            elif parameter.kind is parameter.KEYWORD_ONLY:
                keywords[parameter.name] = self.create_proxy("placeholder", parameter.name, (), {})
            else:  # the input, or a further one (refused by trace.py)
                inputs.append(self.create_proxy("placeholder", parameter.name, (), {}))
        self.create_node("output", "output", (self.create_arg(forward(*inputs, **keywords)),), {})
        return self.graph


def record(model: nn.Module, is_leaf: Callable[[nn.Module], bool], skip_files: tuple[str, ...] = ()) -> Recorded:
    """The forward of ``model`` as an fx graph, recorded without patching anything.

    Parameters
    ----------
    model : nn.Module
        The model; the recording writes nothing to it (a forward that changes its own
        buffers in place still does, as it would under torch.fx).
    is_leaf : callable
        ``is_leaf(module)``: True for modules kept as one ``call_module`` node.
    skip_files : tuple of str
        Source files never named as a node's source line (``node.meta["source"]``).

    Returns
    -------
    Recorded
        The graph, and the model's own submodules and tensors it names (shared, not copied).

    Raises
    ------
    Exception
        Whatever the forward raised on proxies: ``torch.fx.proxy.TraceError`` where it
        branches on input values, ``TypeError``, ...
    """
    recorder = Recorder(model, is_leaf, skip_files)
    graph = recorder.record()
    return Recorded(graph, hold_parts(graph, model, recorder.constants))
