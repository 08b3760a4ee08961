from django.contrib.auth import views as auth_views
from django.urls import path

from orgs.views import account, applications, audit, build, emcs, mes, network, partners

app_name = "orgs"
urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/", account.account, name="account"),
    path("account/token/", account.token_create, name="token-create"),
    path("account/token/revoke/", account.token_revoke, name="token-revoke"),
    path("account/password/", account.PasswordChangeView.as_view(), name="password-change"),
    path("password-reset/", account.PasswordResetView.as_view(), name="password-reset"),
    path("password-reset/sent/", account.PasswordResetDoneView.as_view(), name="password-reset-done"),
    path(
        "password-reset/<uidb64>/<token>/",
        account.PasswordResetConfirmView.as_view(),
        name="password-reset-confirm",
    ),
    path("password-reset/done/", account.PasswordResetCompleteView.as_view(), name="password-reset-complete"),
    path("mes/", mes.me_list, name="me-list"),
    path("mes/new/", build.me_create, name="me-create"),
    path("mes/<slug:code>/edit/", build.me_edit, name="me-edit"),
    path("mes/<slug:code>/merge/", build.me_merge, name="me-merge"),
    path("mes/<slug:code>/", mes.me_detail, name="me-detail"),
    path("mes/<slug:code>/members/", mes.me_members, name="me-members"),
    path("mes/<slug:code>/split/", mes.me_split, name="me-split"),
    path("mes/<slug:code>/action/", mes.me_action, name="me-action"),
    path("emcs/", emcs.emc_list, name="emc-list"),
    path("emcs/new/", build.emc_create, name="emc-create"),
    path("emcs/<slug:code>/edit/", build.emc_edit, name="emc-edit"),
    path("emcs/<slug:code>/", emcs.emc_detail, name="emc-detail"),
    path("emcs/<slug:code>/nodes/", emcs.emc_nodes, name="emc-nodes"),
    path("emcs/<slug:code>/partner-join/", emcs.emc_partner_join, name="emc-partner-join"),
    path("emcs/<slug:code>/partner-leave/", emcs.emc_partner_leave, name="emc-partner-leave"),
    path("emcs/<slug:code>/disband/", emcs.emc_disband, name="emc-disband"),
    path("apply/", applications.partner_apply, name="partner-apply"),
    path("partners/applications/", applications.application_queue, name="application-queue"),
    path(
        "partners/applications/<slug:code>/decide/",
        applications.application_decide,
        name="application-decide",
    ),
    path("partners/new/", build.partner_create, name="partner-create"),
    path("partners/<slug:code>/certify/", build.partner_certify, name="partner-certify"),
    path("partners/", partners.partner_list, name="partner-list"),
    path("partners/export.csv", partners.partner_export, name="partner-export"),
    path("partners/<slug:code>/", partners.partner_detail, name="partner-detail"),
    path("partners/<slug:code>/transition/", partners.partner_transition, name="partner-transition"),
    path("partners/<slug:code>/tier/", partners.partner_tier, name="partner-tier"),
    path("partners/<slug:code>/resources/", partners.partner_resource_use, name="partner-resource-use"),
    path(
        "partners/<slug:code>/resources/<int:pk>/end/",
        partners.partner_resource_use_end,
        name="partner-resource-use-end",
    ),
    path("proposals/<int:pk>/decide/", partners.proposal_decide, name="proposal-decide"),
    path("catalog/", build.catalog, name="catalog"),
    path("catalog/scenarios/new/", build.scenario_create, name="scenario-create"),
    path("catalog/categories/new/", build.category_create, name="category-create"),
    path("catalog/solutions/new/", build.solution_create, name="solution-create"),
    path(
        "catalog/solutions/<slug:code>/versions/new/", build.solution_version_add, name="solution-version-add"
    ),
    path("network/", network.network, name="network"),
    path("network/data/", network.network_data, name="network-data"),
    path("audit/", audit.audit_list, name="audit-list"),
]
