"""Evidence as a person reads it: a timeline step's or a proposal's evidence as a labelled table,
never raw JSON.

Evidence is stored as text (a lifecycle step) or JSON (a proposal). An app that writes evidence
of a known shape registers a renderer (judging registers its proposals' evidence: the figures
night by night, the window, the threshold, a link to the events behind them); any other JSON
object shows as "label: value" rows, and plain text as it was written.

A renderer takes the parsed evidence and the partner and returns None (not its shape) or a dict:
{"title", "summary": [(label, text)], "columns": [label], "rows": [[{"text", "mark"}]],
"link": {"url", "label"} | None}. It must not query the database: a timeline renders one per step.
"""

import json
from collections.abc import Callable

from django.utils.text import capfirst

Renderer = Callable[..., dict | None]
RENDERERS: list[Renderer] = []


def evidence_renderer_register(renderer: Renderer) -> Renderer:
    if renderer not in RENDERERS:
        RENDERERS.append(renderer)
    return renderer


def _parsed(evidence):
    if isinstance(evidence, dict | list):
        return evidence
    text = (evidence or "").strip()
    if not text.startswith(("{", "[")):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _text(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


def evidence_display(evidence, *, partner=None) -> dict | None:
    """The evidence as a table to show (None when there is none)."""
    if evidence in (None, "", {}, []):
        return None
    data = _parsed(evidence)
    if data is None:
        return {"text": str(evidence)}
    if isinstance(data, dict):
        for renderer in RENDERERS:
            shown = renderer(data, partner=partner)
            if shown is not None:
                return shown
        return {
            "summary": [(capfirst(str(k).replace("_", " ")), _text(v)) for k, v in data.items()],
            "columns": [],
            "rows": [],
            "link": None,
        }
    return {"text": _text(data)}
