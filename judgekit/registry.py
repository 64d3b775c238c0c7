"""Name -> factory registries, filled by decorators where each thing is defined.

A backend, adapter, importer or aggregation registers itself where it is written::

    @backends.register("openai")
    class OpenAIBackend(Backend): ...

A registry with a ``package`` finds its built-in entries by importing every module of that
package the first time a name is looked up (so a new backend is one new file in
``judgekit/backends/``; those modules import their heavy dependencies inside the factory).
Third-party packages add entries through the entry-point group (``judgekit.backends``,
``judgekit.adapters``, ``judgekit.importers``, ``judgekit.aggregations``).

A name registered twice is an error that names both places, and so is a plugin that reuses a
built-in name (it is never silently ignored or silently overwritten).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Generic, TypeVar

from .errors import ConfigError

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


def where(obj: Any) -> str:
    """Where a factory is defined: ``module.qualname (file:line)``."""
    name = f"{getattr(obj, '__module__', '?')}.{getattr(obj, '__qualname__', repr(obj))}"
    try:
        path = inspect.getsourcefile(obj)
        code = getattr(obj, "__code__", None)
        # a function's first line is on its code (what getsourcelines finds); a class's is in its source
        line = code.co_firstlineno if code is not None and path else inspect.getsourcelines(obj)[1]
    except (OSError, TypeError):
        return name
    return f"{name} ({path}:{line})"


class _Place:
    """Where a registered factory is defined, as :func:`where` says it, found when it is shown:
    for a class, :func:`where` reads its source file, a tenth of a second over the built-ins that
    every command registers. Two places are equal when they name the same definition (a module
    imported again): the same object, or the same module, name, file and first line."""

    def __init__(self, obj: Any) -> None:
        self.obj = obj
        self._text: str | None = None

    def key(self) -> tuple[Any, ...]:
        obj = self.obj
        code = getattr(obj, "__code__", None)
        if code is not None:
            line = code.co_firstlineno
        else:  # a class: the first line of the functions it defines, without reading its source
            lines = [v.__code__.co_firstlineno for v in vars(obj).values()
                     if hasattr(v, "__code__")] if isinstance(obj, type) else []
            line = min(lines) if lines else None
        try:
            path = inspect.getsourcefile(obj)
        except TypeError:
            path = None
        return getattr(obj, "__module__", None), getattr(obj, "__qualname__", None), path, line

    def __str__(self) -> str:
        if self._text is None:
            self._text = where(self.obj)
        return self._text

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Place) and (other.obj is self.obj or other.key() == self.key())

    __hash__ = None  # type: ignore[assignment]


def _plugin_where(ep: EntryPoint) -> str:
    dist = getattr(ep, "dist", None)
    return f"entry point {ep.group}:{ep.name} = {ep.value}" + (f" (package {dist.name})" if dist else "")


class Registry(Generic[T]):
    def __init__(self, kind: str, group: str, package: str | None = None, listing: str | None = None) -> None:
        self.kind = kind
        self.listing = listing or f"known {kind}s"  # how the error for an unknown name introduces the known ones
        self.group = group
        self.package = package
        self._entries: dict[str, tuple[Callable[..., T], _Place | str]] = {}  # name -> (factory, where)
        self._plugins: dict[str, EntryPoint] = {}
        self._discovered = False

    def register(self, name: str) -> Callable[[F], F]:
        """Register the decorated factory (a class or a function) under ``name``."""
        def deco(factory: F) -> F:
            self._add(name, factory, _Place(factory))
            return factory

        return deco

    def _add(self, name: str, factory: Callable[..., T], place: _Place | str) -> None:
        old = self._entries.get(name)
        if old is not None and old[1] != place:  # the same definition again (a module reloaded) is fine
            raise ConfigError(f"{self.kind} {name!r} is registered twice: at {old[1]} and at {place}; "
                              "rename one of them")
        if name in self._plugins:
            raise ConfigError(f"{self.kind} {name!r} is registered twice: by {_plugin_where(self._plugins[name])} "
                              f"and at {place}; rename one of them")
        self._entries[name] = (factory, place)

    def _discover(self) -> None:
        """Import the package's modules (their decorators register the built-ins), then read the
        plugins' entry points."""
        if self._discovered:
            return
        self._discovered = True
        if self.package is not None:
            pkg = importlib.import_module(self.package)
            for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
                importlib.import_module(f"{self.package}.{info.name}")
        for ep in entry_points(group=self.group):
            if ep.name in self._entries:
                raise ConfigError(f"{self.kind} {ep.name!r} is registered twice: at {self._entries[ep.name][1]} and by "
                                  f"{_plugin_where(ep)}; a plugin cannot reuse a built-in name, rename it")
            if ep.name in self._plugins and self._plugins[ep.name].value != ep.value:
                raise ConfigError(f"{self.kind} {ep.name!r} is registered twice: by "
                                  f"{_plugin_where(self._plugins[ep.name])} and by {_plugin_where(ep)}")
            self._plugins[ep.name] = ep

    def names(self) -> list[str]:
        self._discover()
        return sorted(set(self._entries) | set(self._plugins))

    def ordered(self) -> list[str]:
        """The names in the order they were registered (built-ins, then plugins by name)."""
        self._discover()
        return [*self._entries, *sorted(set(self._plugins) - set(self._entries))]

    def remove(self, name: str) -> None:
        """Take an entry out (a test's throwaway registration); unknown names are an error."""
        if self._entries.pop(name, None) is None and self._plugins.pop(name, None) is None:
            raise ConfigError(f"unknown {self.kind} {name!r}; {self.listing}: {', '.join(self.names())}")

    def get(self, name: str) -> Callable[..., T]:
        self._discover()
        if name in self._entries:
            return self._entries[name][0]
        ep = self._plugins.get(name)
        if ep is None:
            known = ", ".join(self.names())
            raise ConfigError(f"unknown {self.kind} {name!r}; {self.listing}: {known}")
        del self._plugins[name]
        factory: Callable[..., T] = ep.load()  # a plugin module may register itself with the decorator too
        if name not in self._entries:
            self._entries[name] = (factory, _plugin_where(ep))
        return self._entries[name][0]

    def create(self, name: str, *args: Any, **kwargs: Any) -> T:
        return self.get(name)(*args, **kwargs)


backends: Registry[Any] = Registry("backend", "judgekit.backends", "judgekit.backends")
adapters: Registry[Any] = Registry("adapter", "judgekit.adapters", "judgekit.adapters")
probes: Registry[Any] = Registry("probe", "judgekit.probes", "judgekit.probes", listing="known probes")
