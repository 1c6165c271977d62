"""`lichc graph [JOB]`: jobs and steps as a Mermaid flowchart, for docs and reviews."""

from __future__ import annotations

from pathlib import Path

import click

from lichc.cli import find_job, load_plan, spec_option


@click.command()
@spec_option
@click.option(
    "--markdown",
    is_flag=True,
    help="Wrap the chart in a ```mermaid block, ready for a README or a pull request.",
)
@click.argument("job", required=False)
def graph(spec_file: Path, markdown: bool, job: str | None) -> None:
    """Draw every job (or JOB) and its steps as a Mermaid flowchart.

    Shows engine and queue, sleeps, signal waits, parallel branches,
    compensations (dotted, in the order they run) and dead-letter queues.
    """
    from lichc.mermaid import flowchart

    plan = load_plan(spec_file)
    jobs = plan.jobs if job is None else (find_job(plan, job, spec_file),)
    chart = flowchart(jobs)
    click.echo(f"```mermaid\n{chart}```\n" if markdown else chart, nl=False)
