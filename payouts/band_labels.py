"""A band's stored label ("base", "under floor", "tier 120%", "tier 120% (goal not met)", as
payouts.calc names them) in the active language; any other text is shown as it is."""

import re

from django.utils.translation import gettext as _

TIER = re.compile(r"tier (?P<t>[0-9.]+)%(?P<gated> \(goal not met\))?")


def band_label(label) -> str:
    if not isinstance(label, str):
        return "" if label is None else str(label)
    if label == "base":
        return _("base")
    if label == "under floor":
        return _("under floor")
    match = TIER.fullmatch(label)
    if match is None:
        return label
    if match["gated"]:
        return _("tier %(t)s%% (goal not met)") % {"t": match["t"]}
    return _("tier %(t)s%%") % {"t": match["t"]}
