"""The root command's Click group: `--config` anywhere on the line, and help that names values, not Python types.

Both are done here, once, for every command and sub-app, instead of in each command module:
- `advisor status --config f.toml` is what people type; Click only accepts a group's option before the
  subcommand, so `--config FILE` and `--athlete NAME` (or `--config=FILE`) are moved to the front before parsing;
- Typer 0.29 prints each parameter's Python type in the help (`<bool>`, `<int>`, `<list[Path]>`); options get
  a metavar a person reads (`N`, `DATE`, `TEXT`, none for flags) and arguments lose the type column (their name
  says it). An explicit `metavar=` on a parameter is kept.

Help is drawn by Typer's `typer.rich_utils`, which imports `rich.markdown` (markdown-it, Pygments) and
`rich.traceback` at its top for a markup mode and tracebacks `advisor` does not use: half the time of `--help`.
`import_rich_help` imports it with those two standing in for themselves until first used.
"""

from __future__ import annotations

import sys
from typing import Any

from typer import Context
from typer.core import TyperArgument, TyperGroup, TyperOption

TYPE_WORDS = {"int": "N", "float": "NUMBER", "str": "TEXT", "Path": "PATH", "datetime": "DATE", "bool": ""}


FRONT_OPTIONS = ("--config", "--athlete")
"""The root's options that may stand anywhere on the line: `advisor status --athlete ana`."""


def move_config_first(args: list[str]) -> list[str]:
    """`[..., 'status', '--config', 'f.toml']` → `['--config', 'f.toml', ..., 'status']` (and `--athlete`); stops
    at `--`."""
    moved: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg in FRONT_OPTIONS and i + 1 < len(args):
            moved.extend(args[i : i + 2])
            i += 2
            continue
        if arg.startswith(tuple(f"{option}=" for option in FRONT_OPTIONS)):
            moved.append(arg)
        else:
            rest.append(arg)
        i += 1
    return moved + rest


def _plain_type(param: Any, ctx: Any) -> None:
    if isinstance(param, TyperOption) and param.metavar is None:
        if param.is_flag or param.count:
            param.metavar = ""
        else:
            label = param.display_type(ctx).strip("<>")
            param.metavar = TYPE_WORDS.get(label, label.upper() if "|" not in label else label)
    elif isinstance(param, TyperArgument):
        param.display_type_rich = lambda ctx: None  # the argument's name (ID, paths...) says what it takes


def plain_help(command: Any, ctx: Any | None = None) -> None:
    """Give every parameter of `command` and its subcommands a plain metavar (see the module docstring)."""
    ctx = ctx or Context(command)
    for param in [*command.params, command.get_help_option(ctx)]:
        if param is not None:
            _plain_type(param, ctx)
    for sub in getattr(command, "commands", {}).values():
        plain_help(sub, Context(sub, parent=ctx))


class _Deferred(type):
    """A stand-in for a class of a module not imported yet: using it imports the module and uses the real one."""

    _module: str

    def _real(cls) -> Any:
        import importlib

        return getattr(importlib.import_module(cls._module), cls.__name__)

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        return cls._real()(*args, **kwargs)

    def __getattr__(cls, name: str) -> Any:
        return getattr(cls._real(), name)

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, cls._real())

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, cls._real())


def import_rich_help() -> None:
    """Import `typer.rich_utils` with `rich.markdown.Markdown` and `rich.traceback.Traceback` deferred (see the
    module docstring); the output is the same, as those are only used for markdown markup and pretty tracebacks."""
    if "typer.rich_utils" in sys.modules:
        return
    import types

    stubs = {}
    for module, name in (("rich.markdown", "Markdown"), ("rich.traceback", "Traceback")):
        if module not in sys.modules:
            stub = types.ModuleType(module)
            setattr(stub, name, _Deferred(name, (), {"_module": module}))
            stubs[module] = stub
    sys.modules.update(stubs)
    try:
        import typer.rich_utils  # noqa: F401
    finally:
        for module, stub in stubs.items():
            if sys.modules.get(module) is stub:
                del sys.modules[module]


class RootGroup(TyperGroup):
    """`advisor`'s group: see the module docstring."""

    def main(self, args: Any = None, *rest: Any, **kwargs: Any) -> Any:
        plain_help(self)
        args = move_config_first(list(args) if args is not None else sys.argv[1:])
        if not args or "--help" in args:
            import_rich_help()
        return super().main(args, *rest, **kwargs)
