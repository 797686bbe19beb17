"""How the root command reads a line and names values in help: `--config` anywhere, and `N`/`TEXT`, not `<int>`.

Both are done here, once, for every command, instead of in each command module:
- `advisor status --config f.toml` is what people type; Click only accepts a group's option before the
  subcommand, so `--config FILE` and `--athlete NAME` (or `--config=FILE`) are moved to the front before parsing;
- Typer 0.29 prints each option's Python type in its plain help (`--score <int>`, `--note <str>`); an option
  without a `metavar=` of its own gets one a person reads instead (`N`, `TEXT`, `DATE`; choices stay `km|mi`).
  An explicit `metavar=` is kept. Arguments keep Typer's label (`ID <int>`): no Typer setting names an
  argument's value in plain help, and their names already say what they take.
"""

from __future__ import annotations

from typer import Context
from typer.core import TyperCommand, TyperGroup, TyperOption

TYPE_WORDS = {"int": "N", "float": "NUMBER", "str": "TEXT", "Path": "PATH", "datetime": "DATE"}
"""Typer's type label → the word help shows; any other label is shown upper-cased (`INT RANGE`)."""

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


def plain_metavars(command: TyperCommand | TyperGroup, ctx: Context) -> None:
    """Give every option of `command` and of its subcommands that takes a value and has no `metavar=` the word
    of `TYPE_WORDS` for its type (see the module docstring). Running it again changes nothing."""
    for param in command.params:
        if isinstance(param, TyperOption) and param.metavar is None and not (param.is_flag or param.count):
            label = param.display_type(ctx).strip("<>")
            param.metavar = TYPE_WORDS.get(label, label if "|" in label else label.upper())
    if isinstance(command, TyperGroup):
        for subcommand in command.commands.values():
            plain_metavars(subcommand, ctx)
