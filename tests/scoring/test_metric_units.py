"""The standard's metric units read in the active language (a symbol such as % stays as it is)."""

import re

from django.utils import translation

from orgs.metric_catalog import STANDARD

SYMBOLS = {"%", "kg CO2e"}


def test_every_worded_unit_of_the_standard_reads_in_chinese():
    worded = [e for e in STANDARD if str(e.unit) not in SYMBOLS]
    assert any(e.number == 12 for e in worded)
    with translation.override("zh-hans"):
        english = [(e.number, str(e.unit)) for e in worded if re.fullmatch(r"[ -~]+", str(e.unit))]
    assert english == []
