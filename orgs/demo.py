"""The demo ecosystem's people: one login per role. Safe to run again (get-or-create)."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from orgs.roles import Role

DEMO_PASSWORD = "rendanheyi-demo"
DEMO_USERS = [
    # username, role, display name
    ("admin", Role.PLATFORM_ADMIN, "Ada Admin"),
    ("admin2", Role.PLATFORM_ADMIN, "Bo Shen"),  # a second admin: a version's drafter never approves it
    ("leader", Role.ME_LEADER, "Li Lei"),
    ("member", Role.ME_MEMBER, "Han Meimei"),
    ("finance", Role.FINANCE, "Fang Cai"),
    ("finance2", Role.FINANCE, "Qian Jin"),  # a second approver: the submitter never approves
    ("auditor", Role.AUDITOR, "Shen Ji"),
]


def demo_users_load() -> dict[str, object]:
    """Create (or keep) one user per role and return them by username."""
    User = get_user_model()
    users = {}
    for username, role, full_name in DEMO_USERS:
        first, last = full_name.split(" ", 1)
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@demo.invalid"},
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.is_staff = role == Role.PLATFORM_ADMIN
            user.save()
        user.groups.add(Group.objects.get(name=role))
        users[username] = user
    return users
