"""``paperwire worker``, ``jobs`` and ``run`` (web service and worker together, supervised)."""

from __future__ import annotations

import json
import os
import sys
from datetime import UTC, datetime

import click

from paperwire.cli.context import Context, pass_ctx
from paperwire.schedule import JOB_NAMES


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
    supervisor = Supervisor(serve, [sys.executable, "-m", "paperwire", "worker"], env)
    supervisor.install_signal_handlers()
    sys.exit(supervisor.run())


COMMANDS = (worker_cmd, jobs_cmd, run_cmd)
