"""How far a background import got: (rows done, rows in all) by phase, in the shared cache."""

from django.core.cache import cache

from ledger.models import ImportBatch

PROGRESS_TTL = 6 * 3600


def progress_key(batch_id: int) -> str:
    return f"ledger:import:{batch_id}:progress"


def progress_reporter(batch_id: int, phase: str):
    """A callback for the import engine: (rows done, rows in all) -> the cache."""

    def report(done: int, total: int) -> None:
        cache.set(progress_key(batch_id), {"phase": phase, "done": done, "total": total}, PROGRESS_TTL)

    return report


def progress_get(batch_id: int) -> dict | None:
    """{"phase", "done", "total", "percent"} of a batch in progress, or None before it starts."""
    state = cache.get(progress_key(batch_id))
    if state:
        state["percent"] = round(100 * state["done"] / state["total"]) if state["total"] else 0
    return state


def progress_of(batch: ImportBatch) -> dict | None:
    """The progress of a batch while a task works on it; None otherwise."""
    return progress_get(batch.pk) if batch.status in ImportBatch.IN_PROGRESS else None
