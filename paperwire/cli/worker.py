"""``paperwire worker``, ``jobs`` and ``run`` (web service and worker together, supervised)."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime, timedelta

import click

from paperwire.cli.context import Context, pass_ctx
from paperwire.config import Settings
from paperwire.models import StoreStats
from paperwire.schedule import JOB_NAMES, JOBS, WITHOUT_NETWORK, ago


@click.command(name="worker")
@click.option("--once", is_flag=True, help="Run each due job once, then exit (exit 1 if one failed).")
@click.option("--force", is_flag=True, help="With --once: run the jobs even if they are not due yet.")
@click.option("--only", "only", multiple=True, type=click.Choice(JOB_NAMES),
              help="Run only this job (repeatable).")
@pass_ctx
def worker_cmd(ctx: Context, once: bool, force: bool, only: tuple[str, ...]) -> None:
    """Run the scheduled jobs (harvests, stars, embeddings, trending, digests, mail) until stopped (SIGTERM, Ctrl-C)."""
    from paperwire.worker import Worker, install_repeat_filter

    if force and not once:
        raise click.UsageError("--force only goes with --once")
    runtime = ctx.runtime
    install_repeat_filter(runtime.settings.worker_log_repeat_seconds)
    worker = Worker(runtime, only=list(only) or None)
    if only and worker.disabled:
        raise click.UsageError(f"disabled by its schedule setting (0 minutes): {', '.join(worker.disabled)}")
    worker.install_signal_handlers()
    if not once:
        worker.run_forever()
        return
    runs = worker.run_once(force=force)
    for run in runs:
        click.echo(f"{run.name}: {run.status} in {run.seconds:.1f} s: {run.error or run.summary}")
    if not runs:
        click.echo("no job was due", err=True)
    sys.exit(1 if any(r.status in ("failed", "interrupted") for r in runs) else 0)


@click.command(name="jobs")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON array.")
@pass_ctx
def jobs_cmd(ctx: Context, as_json: bool) -> None:
    """The worker's jobs: state, last run and what it did, next run, failures, lease holder."""
    from paperwire.schedule import embedding_lines, job_statuses, status_lines

    now = datetime.now(UTC)
    statuses = job_statuses(ctx.runtime.store, ctx.runtime.settings, now)
    if as_json:
        click.echo(json.dumps([s.to_json() for s in statuses], ensure_ascii=False, indent=2))
        return
    for line in [*status_lines(statuses, now), *embedding_lines(ctx.runtime.store.embed_batches.progress(), now)]:
        click.echo(line)


@click.command(name="run")
@click.option("--host", help="Listen address (PAPERWIRE_HOST).")
@click.option("--port", type=int, help="Listen port (PAPERWIRE_PORT).")
@pass_ctx
def run_cmd(ctx: Context, host: str | None, port: int | None) -> None:
    """Run the web service and the worker together; Ctrl-C stops both."""
    from paperwire.supervisor import Supervisor

    env = dict(os.environ)
    for name, value in ctx.overrides.items():  # --db and --data-dir reach the children as settings
        if value is not None:
            env[f"PAPERWIRE_{name.upper()}"] = str(value)
    serve = [sys.executable, "-m", "paperwire", "serve"]
    if host:
        serve += ["--host", host]
    if port is not None:
        serve += ["--port", str(port)]
    settings = ctx.settings(**{k: v for k, v in {"host": host, "port": port}.items() if v is not None})
    for line in start_lines(settings, ctx.runtime.store.stats()):
        click.echo(line)
    ctx.close()  # the children open the database themselves
    supervisor = Supervisor(serve, [sys.executable, "-m", "paperwire", "worker"], env)
    supervisor.install_signal_handlers()
    sys.exit(supervisor.run())


def start_lines(settings: Settings, stats: StoreStats) -> list[str]:
    """What ``paperwire run`` prints first: the URL to open, what the database holds, what the worker will
    do (and what it cannot do without network)."""
    url = settings.public_url() + "/"
    lines = [f"Paperwire: open {url} in your browser (Ctrl-C stops the site and the worker).", ""]
    if stats.papers:
        span = f", announced {stats.first_announced} to {stats.last_announced}" if stats.first_announced else ""
        lines.append(f"The database holds {stats.papers:,} papers{span}; {stats.embeddings:,} have embeddings.")
    else:
        lines.append("The database is empty: import papers with 'paperwire import FILE' (or wait for the harvest).")
    lines += ["", "The worker, in the background (docs/worker.md):"]
    for spec in JOBS:
        seconds = spec.interval_seconds(settings)
        every = f"every {ago(timedelta(seconds=seconds))}" if seconds else "off"
        lines.append(f"  {spec.name:<16} {every:<14} {WITHOUT_NETWORK.get(spec.name, '')}")
    if not settings.smtp_host:
        lines += ["", "Mail is off (smtp_host is empty): subscription and sign-up emails wait in the outbox. To read",
                  "them while trying Paperwire: 'paperwire dev smtp-sink' and PAPERWIRE_SMTP_HOST=127.0.0.1 "
                  "PAPERWIRE_SMTP_PORT=1025."]
    lines.append("")
    return lines


COMMANDS = (worker_cmd, jobs_cmd, run_cmd)
