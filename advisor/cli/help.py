"""The root command's Click group: `--config` anywhere on the line, and help that names values, not Python types.

Both are done here, once, for every command and sub-app, instead of in each command module:
- `advisor status --config f.toml` is what people type; Click only accepts a group's option before the
  subcommand, so `--config FILE` and `--athlete NAME` (or `--config=FILE`) are moved to the front before parsing;
- Typer 0.29 prints each parameter's Python type in the help (`<bool>`, `<int>`, `<list[Path]>`); options get
  a metavar a person reads (`N`, `DATE`, `TEXT`, none for flags) and arguments lose the type column (their name
  says it). An explicit `metavar=` on a parameter is kept.
"""

from __future__ import annotations

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


class RootGroup(TyperGroup):
    """`advisor`'s group: see the module docstring."""

    def main(self, args: Any = None, *rest: Any, **kwargs: Any) -> Any:
        plain_help(self)
        if args is not None:
            args = move_config_first(list(args))
        else:
            import sys

            args = move_config_first(sys.argv[1:])
        return super().main(args, *rest, **kwargs)
