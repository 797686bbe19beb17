"""`advisor athlete add|list|show|set`: the runners of a coach or a clinic, each with a profile of their own.

Every other command serves one athlete: `--athlete NAME` (or ADVISOR_ATHLETE), the config's default one otherwise.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import typer

from advisor.cli.common import Yes, confirmed, deleted_rows, fail, open_runtime
from advisor.errors import ConfigError, StoreError

if TYPE_CHECKING:
    from advisor.services.athletes import AthleteInfo

app = typer.Typer()
"""This module's commands; `advisor.cli` adds them to the root."""

athlete_app = typer.Typer(
    help="The athletes of a coach or a clinic: each has a profile, thresholds, inbox, Garmin login and email.",
    no_args_is_help=True,
)
app.add_typer(athlete_app, name="athlete")

Name = Annotated[str, typer.Argument(help="The athlete's name: letters, digits, '.', '-', '_' (it names a folder).")]
Email = Annotated[str | None, typer.Option("--email", help="Where the weekly summary goes.")]
Timezone = Annotated[str | None, typer.Option("--timezone", metavar="TZ", help="IANA zone, e.g. Europe/Berlin.")]
Sex = Annotated[str | None, typer.Option("--sex", metavar="female|male|unspecified")]
MaxHr = Annotated[int | None, typer.Option("--max-hr", help="Maximum heart rate (beats/min).")]
RestingHr = Annotated[int | None, typer.Option("--resting-hr", help="Resting heart rate (beats/min).")]
Units = Annotated[str | None, typer.Option("--units", metavar="km|mi", help="Units of the text output.")]
FlatFeet = Annotated[bool | None, typer.Option("--flat-feet/--no-flat-feet", help="Flat feet (pes planus).")]
Orthotics = Annotated[bool | None, typer.Option("--orthotics/--no-orthotics", help="Wears orthotics.")]
ThresholdOption = Annotated[
    list[str] | None,
    typer.Option("--threshold", metavar="KEY=VALUE", help="A [thresholds] key set for this athlete only (repeatable)."),
]
AsJson = Annotated[bool, typer.Option("--json", help="Print one JSON document instead.")]


def _profile(options: dict[str, Any]) -> dict[str, Any]:
    """The profile options given on the line (a command's `locals()`: its parameters are named as the fields)."""
    from advisor.services.athletes import PROFILE_FIELDS

    return {key: options[key] for key in PROFILE_FIELDS if options.get(key) is not None}


def _thresholds(pairs: list[str] | None) -> dict[str, float]:
    parsed: dict[str, float] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        try:
            if not sep:
                raise ValueError
            parsed[key.strip()] = float(value)
        except ValueError:
            fail(f"--threshold expects KEY=NUMBER, such as acwr_high=1.4; got {pair!r}")
    return parsed


def _document(info: AthleteInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "default": info.is_default,
        "profile": info.profile.model_dump(exclude={"name"}),
        "own_profile": info.own_profile,
        "own_thresholds": info.own_thresholds,
        "created_at": info.created_at.isoformat(),
    }


def _describe(info: AthleteInfo) -> str:
    p = info.profile
    lines = [f"{info.name}{' (default athlete: profile from the config file)' if info.is_default else ''}"]
    for key, value in p.model_dump(exclude={"name"}).items():
        mark = "" if info.is_default or key in info.own_profile else "  (config file)"
        lines.append(f"  {key:<11} {'' if value is None else value}{mark}")
    if info.own_thresholds:
        lines.append("  thresholds of their own: " + ", ".join(f"{k}={v:g}" for k, v in info.own_thresholds.items()))
    return "\n".join(lines)


@athlete_app.command("add")
def add_command(
    ctx: typer.Context,
    name: Name,
    email: Email = None,
    timezone: Timezone = None,
    sex: Sex = None,
    max_hr: MaxHr = None,
    resting_hr: RestingHr = None,
    units: Units = None,
    flat_feet: FlatFeet = None,
    orthotics: Orthotics = None,
    threshold: ThresholdOption = None,
) -> None:
    """Add an athlete; what is not given comes from the config file's [profile] and [thresholds]."""
    from advisor.services.athletes import add_athlete

    rt = open_runtime(ctx)
    profile = _profile(locals())
    try:
        info = add_athlete(rt.db, rt.config, name, profile, _thresholds(threshold))
    except (ConfigError, StoreError) as error:
        fail(str(error))
    inbox = rt.config.inbox_path / info.name
    typer.echo(f"Added {info.name}. Their files go in {inbox}; use --athlete {info.name} with any command.")


@athlete_app.command("remove")
def remove_command(ctx: typer.Context, name: Name, yes: Yes = False) -> None:
    """Remove an athlete and everything stored for them (export it first: `advisor --athlete NAME data export`)."""
    from advisor.services.athletes import remove_athlete

    rt = open_runtime(ctx)
    confirmed(f"Remove {name} and everything stored for them, for good?", yes)
    try:
        counts = remove_athlete(rt.db, rt.config, name)
    except (ConfigError, StoreError) as error:
        fail(str(error))
    typer.echo(f"Removed {name}: {deleted_rows(counts)}. Their inbox folder, if any, is left as it is.")


@athlete_app.command("set")
def set_command(
    ctx: typer.Context,
    name: Name,
    email: Email = None,
    timezone: Timezone = None,
    sex: Sex = None,
    max_hr: MaxHr = None,
    resting_hr: RestingHr = None,
    units: Units = None,
    flat_feet: FlatFeet = None,
    orthotics: Orthotics = None,
    threshold: ThresholdOption = None,
    clear: Annotated[
        list[str] | None,
        typer.Option("--clear", metavar="KEY", help="Back to the config file's value (a profile key or threshold)."),
    ] = None,
) -> None:
    """Change an athlete's profile or thresholds."""
    from advisor.services.athletes import set_athlete

    rt = open_runtime(ctx)
    profile = _profile(locals())
    try:
        info = set_athlete(rt.db, rt.config, name, profile, _thresholds(threshold), clear or [])
    except (ConfigError, StoreError) as error:
        fail(str(error))
    typer.echo(_describe(info))


@athlete_app.command("list")
def list_command(ctx: typer.Context, as_json: AsJson = False) -> None:
    """Every athlete in the database, the default one first."""
    from advisor.services.athletes import list_athletes

    rt = open_runtime(ctx)
    try:
        infos = list_athletes(rt.db, rt.config)
    except StoreError as error:
        fail(str(error))
    if as_json:
        typer.echo(json.dumps({"athletes": [_document(i) for i in infos]}, indent=2))
        return
    for info in infos:
        p = info.profile
        default = " (default)" if info.is_default else ""
        typer.echo(f"{info.name}{default}  {p.email or 'no email'}  {p.timezone}  {p.units}")


@athlete_app.command("show")
def show_command(ctx: typer.Context, name: Name, as_json: AsJson = False) -> None:
    """One athlete's profile: their own values, and what comes from the config file."""
    from advisor.services.athletes import find_athlete

    rt = open_runtime(ctx)
    try:
        info = find_athlete(rt.db, rt.config, name)
    except (ConfigError, StoreError) as error:
        fail(str(error))
    typer.echo(json.dumps(_document(info), indent=2) if as_json else _describe(info))
