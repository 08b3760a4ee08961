"""Phase-in from an application: a prospective partner applies with its own login.

The application is a partner in state *applied* (orgs.services.partners.partner_create), a user
holding the `partner` role and the link between them (orgs.PartnerUser), written together or not
at all. Admins then admit it to probation or reject it with a reason through the lifecycle
(`partner_act`), and the applicant follows its state on its dashboard.
"""

from collections.abc import Sequence

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify
from django.utils.translation import gettext as _

from orgs.audit import audit_record
from orgs.codes import is_reserved_code
from orgs.models import Industry, Partner, PartnerRole, PartnerUser
from orgs.roles import Role
from orgs.services.partners import partner_create

# tries at a free partner code from the company's name (name, name-2, ... name-9, then the id)
CODE_TRIES = 9


def _free_code(name: str) -> str:
    base = (slugify(name) or "partner")[:40]
    taken = set(Partner.objects.filter(code__startswith=base).values_list("code", flat=True))
    for n in range(1, CODE_TRIES + 1):
        code = base if n == 1 else f"{base}-{n}"
        if code not in taken and not is_reserved_code(code):
            return code
    return f"{base}-{len(taken) + 1}"


@transaction.atomic
def partner_apply(
    *,
    company: str,
    roles: Sequence[PartnerRole],
    industries: Sequence[Industry] = (),
    offer: str,
    contact_name: str,
    contact_email: str,
    contact_phone: str = "",
    website: str = "",
    username: str,
    password: str,
):
    """Register an application and the applicant's own login; return (partner, user)."""
    User = get_user_model()
    errors: dict[str, list[str]] = {}
    if not (offer or "").strip():
        errors["offer"] = [_("Say what your firm offers the ecosystem.")]
    if not (contact_name or "").strip():
        errors["contact_name"] = [_("A contact name is required.")]
    if not (contact_email or "").strip():
        errors["contact_email"] = [_("A contact e-mail is required.")]
    if User.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("This username is taken; choose another.")]
    candidate = User(username=username, email=contact_email)
    try:
        validate_password(password, user=candidate)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    if errors:
        raise ValidationError(errors)
    user = User.objects.create_user(username=username, email=contact_email, password=password)
    user.groups.add(Group.objects.get_or_create(name=Role.PARTNER)[0])
    partner = partner_create(
        actor=user,
        code=_free_code(company),
        name=company,
        roles=roles,
        industries=industries,
        offer=offer,
        contact_name=contact_name.strip(),
        contact_email=contact_email.strip(),
        contact_phone=contact_phone,
        website=website,
        reason=_("Application submitted by %(user)s.") % {"user": username},
    )
    PartnerUser.objects.create(user=user, partner=partner)
    audit_record(
        actor=user,
        action="partner.apply",
        target=partner,
        changes={
            "user": username,
            "roles": [r.code for r in roles],
            "industries": [i.code for i in industries],
        },
    )
    return partner, user
