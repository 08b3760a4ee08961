"""Reads for the organization: each selector owns its filtering and related-object loading."""

from django.db.models import Count, Q

from orgs.models import EMC, Microenterprise, Partner


def dashboard_summary(*, user) -> dict:
    """Headline counts for the dashboard, in three aggregate queries."""
    mes = Microenterprise.objects.aggregate(
        total=Count("id"), live=Count("id", filter=Q(status__in=Microenterprise.LIVE_STATUSES))
    )
    emcs = EMC.objects.aggregate(
        total=Count("id"),
        experience=Count("id", filter=Q(kind=EMC.Kind.EXPERIENCE, status=EMC.Status.ACTIVE)),
        solution=Count("id", filter=Q(kind=EMC.Kind.SOLUTION, status=EMC.Status.ACTIVE)),
    )
    partners = dict(Partner.objects.values_list("state").annotate(n=Count("id")).order_by())
    led = (
        list(Microenterprise.objects.filter(leader=user).values("code", "name"))
        if user.is_authenticated
        else []
    )
    return {"mes": mes, "emcs": emcs, "partners_by_state": partners, "led_mes": led}
