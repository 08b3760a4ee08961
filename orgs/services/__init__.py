"""Writes for the organization: every state change goes through one of these services."""

from orgs.services.applications import partner_apply
from orgs.services.catalog import (
    category_create,
    reference_save,
    scenario_create,
    solution_create,
    solution_version_add,
)
from orgs.services.emcs import (
    emc_create,
    emc_disband,
    emc_nodes_set,
    emc_partner_join,
    emc_partner_leave,
    emc_split,
    emc_update,
)
from orgs.services.me_import import mes_import_csv
from orgs.services.mes import (
    me_activate,
    me_create,
    me_dissolve,
    me_members_set,
    me_merge,
    me_split,
    me_update,
)
from orgs.services.partners import (
    partner_act,
    partner_certify,
    partner_create,
    partner_phase_out,
    partner_proposal_accept,
    partner_proposal_create,
    partner_proposal_dismiss,
    partner_tier_change,
    partner_transition,
    partner_update,
)
from orgs.services.resource_import import resource_uses_import_csv
from orgs.services.resources import resource_use_end, resource_use_start
from orgs.services.tokens import api_token_create, api_token_revoke, password_change_record

__all__ = [
    "api_token_create",
    "api_token_revoke",
    "category_create",
    "emc_create",
    "emc_disband",
    "emc_nodes_set",
    "emc_partner_join",
    "emc_partner_leave",
    "emc_split",
    "emc_update",
    "me_activate",
    "me_create",
    "me_dissolve",
    "me_members_set",
    "me_merge",
    "me_split",
    "me_update",
    "mes_import_csv",
    "partner_act",
    "partner_apply",
    "partner_certify",
    "partner_create",
    "partner_phase_out",
    "partner_proposal_accept",
    "partner_proposal_create",
    "partner_proposal_dismiss",
    "partner_tier_change",
    "partner_transition",
    "partner_update",
    "password_change_record",
    "reference_save",
    "resource_use_end",
    "resource_use_start",
    "resource_uses_import_csv",
    "scenario_create",
    "solution_create",
    "solution_version_add",
]
