"""`advisor profile` and `advisor profile set`: the runner's own profile, shown and changed without editing TOML.

For the default athlete what `advisor athlete set` is for a clinic's others: the values go into the config file
(advisor.services.profile_file keeps its comments and checks every value before writing).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import typer

from advisor.cli.athlete import Email, FlatFeet, MaxHr, Orthotics, RestingHr, Sex, Timezone, Units
from advisor.cli.common import fail

if TYPE_CHECKING:
    from advisor.config import Settings

app = typer.Typer(add_completion=False)
profile_app = typer.Typer(
    help="Your profile (time zone, units, heart rates): `advisor profile` shows it, `profile set` changes it.",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(profile_app, name="profile")

FIELDS = ("email", "timezone", "units", "sex", "max_hr", "resting_hr", "flat_feet", "orthotics")


def _settings(ctx: typer.Context) -> tuple[Settings, Path | None]:
    """The settings in effect and the `--config` file given, if any: the file `profile set` writes is the one read.
    No runtime (database) is opened: the profile is only the config's."""
    from advisor.config import load_settings
    from advisor.errors import ConfigError

    root = ctx.find_root().obj
    explicit = root.get("config") if isinstance(root, dict) else None
    try:
        return load_settings(explicit), explicit
    except ConfigError as error:
        fail(str(error))


@profile_app.callback()
def show_command(ctx: typer.Context) -> None:
    """Show the profile in effect and the file it is kept in."""
    if ctx.invoked_subcommand is not None:
        return
    from advisor.services.profile_file import config_target

    settings, explicit = _settings(ctx)
    path = config_target(explicit, settings.home)
    where = f"{path}" if path.exists() else f"none yet ({path} is made by `advisor profile set`)"
    typer.echo(f"Config file: {where}")
    for key in FIELDS:
        value = getattr(settings.profile, key)
        typer.echo(f"  {key:<11} {'' if value is None else value}")


@profile_app.command("set")
def set_command(
    ctx: typer.Context,
    units: Units = None,
    timezone: Timezone = None,
    max_hr: MaxHr = None,
    resting_hr: RestingHr = None,
    email: Email = None,
    sex: Sex = None,
    flat_feet: FlatFeet = None,
    orthotics: Orthotics = None,
) -> None:
    """Change your profile: the values given are written to the config file, its comments kept."""
    from advisor.errors import ConfigError
    from advisor.services.profile_file import config_target, overridden_by_environment, set_profile

    given = {key: value for key, value in locals().items() if key in FIELDS and value is not None}
    if not given:
        fail("give at least one value to set, such as --units mi or --timezone Europe/London")
    settings, explicit = _settings(ctx)
    path = config_target(explicit, settings.home)
    try:
        set_profile(path, given)
    except ConfigError as error:
        fail(str(error))
    typer.echo(f"Saved to {path}: " + ", ".join(f"{key} = {value}" for key, value in given.items()) + ".")
    for name in overridden_by_environment(list(given)):
        typer.echo(f"Note: {name} is set in the environment and wins over the file until it is unset.")
