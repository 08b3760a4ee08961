"""What the nightly run tells the apps above it (payouts, judging), which must not be imported
here: `night_scored` is sent once a run is done and committed, with `run_id` and `run_date`.
A receiver does its own night's step (inline without a broker, else by queueing its own task)
and must be safe to run twice for one date: a re-run or a retried finish sends it again."""

from django.dispatch import Signal

night_scored = Signal()
