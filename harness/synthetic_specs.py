"""Synthetic jobs.yaml files of any size, for the benchmarks.

Each block of four jobs mixes what real specs hold: a single-step Celery job
with inputs and retries, a scheduled one, and two multi-step Temporal jobs
(one with compensation and a signal, one with sleeps).
"""

from __future__ import annotations

HEADER = """version: 1
project: bench
defaults:
  retry: {attempts: 3, delay: 2s, max_delay: 1m}
  timeout: 5m
jobs:
"""

BLOCK = """  SendEmail{n}:
    engine: celery
    queue: emails
    run: app.emails:send_{n}
    input:
      email: str
      template: {{type: str, default: welcome}}
    retry: {{attempts: 4, non_retryable: [app.errors:Invalid]}}
    timeout: 30s
    dead_letter: true
  Cleanup{n}:
    run: app.maintenance:cleanup_{n}
    input: {{days: {{type: int, default: 30}}}}
    schedule: {{cron: "0 3 * * *"}}
  ProcessOrder{n}:
    engine: temporal
    queue: orders
    id: order-{{order_id}}
    input: {{order_id: str, amount: float}}
    timeout: 7d
    steps:
      - {{name: validate, run: app.orders:validate_{n}, timeout: 30s}}
      - name: charge
        run: app.orders:charge_{n}
        retry: {{attempts: 5}}
        compensate: {{run: app.orders:refund_{n}, args: {{charge_id: "${{steps.charge.charge_id}}"}}}}
      - {{name: approval, wait_for: {{signal: approve, timeout: 3d, on_timeout: compensate}}}}
      - {{name: confirm, run: app.orders:confirm_{n}, args: {{by: "${{steps.approval.by}}"}}}}
  Onboard{n}:
    engine: auto
    input: {{user_id: str}}
    steps:
      - {{name: welcome, run: app.onboarding:welcome_{n}}}
      - {{name: pause, sleep: 1d}}
      - {{name: follow_up, run: app.onboarding:follow_up_{n}, args: {{user_id: "${{input.user_id}}"}}}}
"""


def spec_text(jobs: int) -> str:
    """A valid spec with `jobs` jobs (rounded up to a multiple of four)."""
    blocks = (jobs + 3) // 4
    return HEADER + "".join(BLOCK.format(n=n) for n in range(blocks))
