"""Template filters of the payout pages."""

from django import template

from payouts.band_labels import band_label

register = template.Library()


@register.filter
def band(label) -> str:
    """`{{ line.tier|band }}` -> "tier 120%" in the active language ("档位 120%")."""
    return band_label(label)
