"""The weekly round's cost per athlete: each athlete's summary built (history, the 13 reports of its chart, the
chart, the mail), queued in the outbox and sent, for a clinic of N athletes with ~200 days of runs each, on SQLite
and PostgreSQL (`--postgres URL`, default `ADVISOR_TEST_POSTGRES_URL`; a schema of its own, dropped afterwards).

    .venv/bin/python bench/summary_bench.py [--athletes 200] [--days 200] [--rounds 3] [--against DIR]
                                            [--postgres URL] [--no-sqlite] [--build-only]

A round is what the daemon's summary job does for each athlete (`queue_summary` with the e-mail renderer, then
`send_pending`), one athlete after another in one process, the mail going over STARTTLS + AUTH to a real SMTP server
on loopback (tests/smtp_server.py, aiosmtpd, in this process; its CPU is not counted). `--build-only` stops at the
MIME message, as the first version of this bench did. Each round queues a week of its own, oldest first (as a
daemon's rounds come), so nothing is "already sent"; a first round, not counted, fills the kept week ends (as the
weeks before would have). Printed: the median over rounds of wall and CPU milliseconds
per athlete (CPU of the process doing the round: not the database server's, not the SMTP server's), the chart's
share of that CPU, and the size of a mail. `--against DIR` runs the same rounds with the `advisor` package of
another checkout (a clone of an earlier commit) in a child process of its own, alternating with this checkout's, so
a before/after is one command; each checkout has a database of its own, seeded alike, since what one keeps under its
engine's fingerprint the other cannot use. Figures to read, never asserted in tests.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))


def one_round(url: str, home: str, weeks_back: int, send: bool) -> dict[str, float]:
    """Every athlete's summary of the week `weeks_back` weeks before the one just ended, queued and sent (or only
    built, `send` False); seconds of wall and CPU, of which the chart's CPU, athletes, bytes of the last mail."""
    os.environ.update({"ADVISOR_HOME": home, "ADVISOR_DATABASE__URL": url})
    import advisor.render.summary as summary_renderer
    from advisor.bootstrap import Runtime
    from advisor.config import load_settings
    from advisor.mail.transport import build_message
    from advisor.services.athletes import list_athletes
    from advisor.services.outbox import queue_summary, send_pending
    from advisor.services.summary import build_summary, week_just_ended

    chart_cpu = 0.0
    draw = summary_renderer.weekly_chart_png

    def timed_chart(*args: object, **kwargs: object) -> bytes:
        nonlocal chart_cpu
        started = time.process_time()
        try:
            return draw(*args, **kwargs)  # type: ignore[arg-type]
        finally:
            chart_cpu += time.process_time() - started

    summary_renderer.weekly_chart_png = timed_chart  # type: ignore[assignment]
    settings = load_settings()
    week = week_just_ended(settings.today() - timedelta(weeks=weeks_back))
    clinic = Runtime(settings)  # one engine for every athlete, as the daemon serves them
    names = [a.name for a in list_athletes(clinic.db, settings) if a.name != settings.profile.name]
    size = 0
    wall, cpu = time.perf_counter(), time.process_time()
    for name in names:
        rt = Runtime.for_athlete(settings, name, clinic.db)
        if send:
            size = len(queue_summary(rt, summary_renderer.render_summary, week).message)
            outcomes = send_pending(rt)
            assert len(outcomes) == 1 and outcomes[0].startswith("Sent"), outcomes
        else:
            rendered = build_summary(rt, summary_renderer.render_summary, week)
            message = build_message(rendered.subject, "advisor@example.org", "r@example.org", rendered.text,
                                    rendered.html, {"chart": rendered.png})  # fmt: skip
            size = len(message.as_bytes())
        rt.close()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    clinic.close()
    return {
        "wall": wall,
        "cpu": cpu,
        "chart": chart_cpu,
        "athletes": len(names),
        "bytes": size,
    }


def in_child(checkout: str, url: str, home: str, weeks_back: int, send: bool, env: dict[str, str]) -> dict[str, float]:
    """`one_round` with a checkout's `advisor` first on the path, in a process of its own."""
    call = f"summary_bench.one_round({url!r}, {home!r}, {weeks_back}, {send})"
    code = f"import json, summary_bench; print(json.dumps({call}))"
    path = os.pathsep.join([checkout, str(BENCH)])
    done = subprocess.run(
        [sys.executable, "-c", code], env={**env, "PYTHONPATH": path}, capture_output=True, text=True, cwd=home
    )
    if done.returncode:
        raise SystemExit(f"the round failed with {checkout}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def mail_env(smtp: object, cert: object) -> dict[str, str]:
    """The settings that point the advisor at the loopback server, trusting its certificate (checks on)."""
    from smtp_server import DEFAULT_PASSWORD, DEFAULT_USERNAME

    return {
        **os.environ,
        "ADVISOR_SMTP__HOST": smtp.host,  # type: ignore[attr-defined]
        "ADVISOR_SMTP__PORT": str(smtp.port),  # type: ignore[attr-defined]
        "ADVISOR_SMTP__SECURITY": "starttls",
        "ADVISOR_SMTP__USERNAME": DEFAULT_USERNAME,
        "ADVISOR_SMTP__PASSWORD": DEFAULT_PASSWORD,
        "ADVISOR_SMTP__SENDER": "Knee Advisor <advisor@example.com>",
        "ADVISOR_PROFILE__EMAIL": "runner@example.com",
        "SSL_CERT_FILE": str(cert.cert),  # type: ignore[attr-defined]
    }


def bench(name: str, databases: dict[str, tuple[str, str]], args: argparse.Namespace, smtp: object | None,
          cert: object) -> None:  # fmt: skip
    """`databases`: each checkout's (URL, home) — a database of its own, seeded alike, since what one checkout keeps
    (the chart's week ends, under its engine's fingerprint) is nothing the other can use."""
    import team_bench

    for label, (url, _) in databases.items():
        started = time.perf_counter()
        activities = team_bench.seed(url, args.athletes, args.days)
        took = time.perf_counter() - started
        print(f"{name} ({label}): {args.athletes} athletes, {activities} activities (seeded in {took:.1f} s)")
    env = mail_env(smtp, cert) if smtp is not None else dict(os.environ)
    checkouts = {"this checkout": str(BENCH.parent)}
    if args.against:
        checkouts[f"--against {args.against}"] = args.against
    figures: dict[str, list[dict[str, float]]] = {label: [] for label in checkouts}
    # Each round its own week, oldest first as a daemon's rounds come: a round's chart then finds twelve of its
    # thirteen days kept by the round before, and its last week is the one day assessed anew. The first round
    # (nothing kept yet: all 13 assessed) warms each checkout's database and is not counted.
    weeks_back = args.rounds + 1
    for measured in [False] + [True] * args.rounds:
        weeks_back -= 1
        for label, checkout in checkouts.items():
            url, home = databases[label]
            figure = in_child(checkout, url, home, weeks_back, smtp is not None, env)
            if measured:
                figures[label].append(figure)
            if smtp is not None:
                with smtp._recorder.lock:  # type: ignore[attr-defined]
                    smtp._recorder.messages.clear()  # type: ignore[attr-defined]
    what = "queued and sent" if smtp is not None else "built (MIME), not sent"
    for label, rounds in figures.items():
        n = rounds[0]["athletes"]
        wall = statistics.median(r["wall"] for r in rounds) * 1000 / n
        cpu = statistics.median(r["cpu"] for r in rounds) * 1000 / n
        chart = statistics.median(r["chart"] for r in rounds) * 1000 / n
        print(
            f"  {label:<32} {what}: {wall:6.1f} ms per athlete, CPU {cpu:6.1f} ms (the chart {chart:5.1f}),"
            f" a mail {rounds[0]['bytes'] / 1000:.0f} kB"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--athletes", type=int, default=200)
    parser.add_argument("--days", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--against", help="another checkout's root, to compare with (its advisor package)")
    parser.add_argument("--postgres", default=os.environ.get("ADVISOR_TEST_POSTGRES_URL"), help="a PostgreSQL URL")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--build-only", action="store_true", help="build each mail, do not queue or send it")
    args = parser.parse_args()
    logging.getLogger("mail.log").setLevel(logging.ERROR)  # aiosmtpd warns of its own deprecated API per mail
    sys.path.insert(0, str(BENCH.parent / "tests"))
    import team_bench
    from smtp_server import SmtpTestServer, make_self_signed_cert

    with tempfile.TemporaryDirectory() as tmp:
        cert = make_self_signed_cert(Path(tmp) / "tls")
        with SmtpTestServer("starttls", cert=cert) as server:
            smtp = None if args.build_only else server
            labels = ["this checkout", *([f"--against {args.against}"] if args.against else [])]
            if not args.no_sqlite:
                homes = [Path(tmp) / f"sqlite{i}" for i in range(len(labels))]
                for home in homes:
                    home.mkdir()
                urls = {
                    label: (f"sqlite:///{h / 'advisor.db'}", str(h)) for label, h in zip(labels, homes, strict=True)
                }
                bench("SQLite", urls, args, smtp, cert)
            if args.postgres:
                with contextlib.ExitStack() as schemas:
                    urls = {}
                    for i, label in enumerate(labels):
                        home = Path(tmp) / f"postgresql{i}"
                        home.mkdir()
                        urls[label] = (schemas.enter_context(team_bench.postgres_schema(args.postgres)), str(home))
                    bench("PostgreSQL", urls, args, smtp, cert)
            else:
                print("PostgreSQL: skipped (--postgres URL or ADVISOR_TEST_POSTGRES_URL)")


if __name__ == "__main__":
    main()
