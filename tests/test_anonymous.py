"""What an anonymous visitor can reach: the login page, the health check, the API schema and its
docs, the language switch, static files. Every other URL pattern of the project (walked from the
resolver, path parameters filled with existing objects' keys) answers GET and POST with a redirect
to a login page (web pages) or 401/403 (the API): never content, never a 500."""

import datetime as dt
import itertools
import re
import urllib.request

import pytest
from django.conf import settings
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from ledger import services
from ledger.models import Account, Contract, ImportBatch, Transaction, UserSignal, ValueEvent
from orgs.models import EMC, AuditEntry, Microenterprise, Partner, PartnerProposal, Scenario, Solution
from tests.factories import PartnerProposalFactory
from tests.ledger.factories import world_build

pytestmark = pytest.mark.django_db

# what the README promises an anonymous visitor (by URL name)
PUBLIC = {
    "orgs:login",  # the form (and its POST: a login attempt)
    "healthz",
    "schema",
    "api-docs",
    "set_language",
    "admin:login",
    "orgs:partner-apply",  # a prospective partner's application (it makes its own login)
    # a forgotten password: ask for a link by mail, follow it, choose a new one
    "orgs:password-reset",
    "orgs:password-reset-done",
    "orgs:password-reset-confirm",
    "orgs:password-reset-complete",
}
# answered without content to anyone: a logout with no session only redirects to the login page
HARMLESS = {"orgs:logout", "admin:logout"}


def _patterns(resolvers, namespace="", prefix=""):
    """(name or None, the route as text from the root, the pattern) of every leaf pattern."""
    for entry in resolvers:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}".strip(":") if entry.namespace else namespace
            yield from _patterns(entry.url_patterns, inner, route)
        elif isinstance(entry, URLPattern):
            yield (f"{namespace}:{entry.name}".strip(":") if entry.name else None), route, entry


@pytest.fixture
def keys():
    """One of each object a URL can name, and the values each path parameter may take."""
    world = world_build()
    event = services.value_event_log(
        actor=world.leader,
        me=world.lead_me,
        emc=world.emc,
        scenario=world.scenario,
        solution=world.solution,
        category=world.category,
        user_ref="u-12345",
        amount="199.00",
        currency="CNY",
        occurred_at=timezone.now() - dt.timedelta(hours=1),
        partners=[world.partner],
    )
    PartnerProposalFactory(partner=world.partner)
    ImportBatch.objects.create(kind="events", filename="x.csv", status="failed", created_by=world.leader)
    models = [
        Microenterprise,
        EMC,
        Partner,
        PartnerProposal,
        Scenario,
        Solution,
        ValueEvent,
        Transaction,
        Account,
        Contract,
        ImportBatch,
        UserSignal,
        AuditEntry,
        Group,
    ]
    pks = {str(model.objects.values_list("pk", flat=True).first()) for model in models}
    codes = {world.lead_me.code, world.emc.code, world.partner.code, world.scenario.code}
    assert event.pk
    return {
        "pk": pks,
        "object_id": pks,
        "code": codes,
        "kind": {"events", "signals"},
        "app_label": {"orgs", "ledger", "auth", "axes", "authtoken", "scoring", "payouts", "judging"},
        "format": {"json"},
        "url": {"orgs/"},
        "content_type_id": pks,
        "id": pks,
        "report_id": pks,
        "me_id": pks,
        "user_id": pks,
        "scope": {"me", "emc"},
        "action": {"submit", "approve", "lock", "compute"},
        # a password reset link (public: it only says whether the link is good)
        "uidb64": {"MQ"},
        "token": {"set-password"},
    }


def _urls(keys):
    """Every URL the resolver can build, once per combination of existing keys."""
    seen = set()
    for name, route, pattern in _patterns(get_resolver().url_patterns):
        params = list(pattern.pattern.regex.groupindex)
        missing = [p for p in params if p not in keys]
        assert not missing, f"no sample value for {missing} of {route}"
        if name is None:  # unnamed (the Django admin's redirects and catch-all): filled by hand
            if "(?P<url>" in route:
                yield route, "/admin/orgs/no-such-page/"
            else:
                for value in sorted(keys[params[0]]):
                    yield route, "/" + re.sub(r"<(\w+:)?\w+>", value, route)
            continue
        for values in itertools.product(*(sorted(keys[p]) for p in params)):
            try:
                url = reverse(name, kwargs=dict(zip(params, values, strict=True)))
            except NoReverseMatch:
                continue
            if url not in seen:
                seen.add(url)
                yield name, url


def _refused(url: str, response) -> bool:
    if url.startswith("/api/"):
        return response.status_code in (401, 403)
    location = response.get("Location", "")
    to_login = location.startswith((reverse("orgs:login"), reverse("admin:login")))
    return response.status_code == 302 and to_login


def test_every_url_but_the_public_ones_is_behind_login(keys):
    """A view taking only the other method may answer 405 (empty) first: the method it takes is
    then refused as every other one is."""
    anonymous = Client(raise_request_exception=False)
    walked, problems = set(), []
    for name, url in _urls(keys):
        walked.add(name)
        answers = {method: getattr(anonymous, method)(url) for method in ("get", "post")}
        for method, response in answers.items():
            assert response.status_code < 500, f"{method.upper()} {url}: {response.status_code}"
        if name in PUBLIC:
            continue
        if name in HARMLESS:
            assert all(r.status_code in (302, 405) and not r.content for r in answers.values()), url
            continue
        refused = {method: _refused(url, r) for method, r in answers.items()}
        not_allowed = {m: r.status_code == 405 and not r.content for m, r in answers.items()}
        if not (all(refused.values()) or (any(refused.values()) and any(not_allowed.values()))):
            codes = {m.upper(): r.status_code for m, r in answers.items()}
            problems.append(f"{url} ({name}): {codes}")
    assert not problems, "\n".join(problems)
    # the walk reached every part of the project (and the README's public pages exist)
    assert walked >= PUBLIC
    for expected in ["orgs:partner-export", "ledger:me-ledger-export", "ledger:import-errors", "admin:index"]:
        assert expected in walked
    assert any(n and n.startswith("api-") for n in walked) and len(walked) > 100


@pytest.mark.parametrize(
    "url", ["/login/", "/healthz", "/api/schema/", "/api/docs/", "/admin/login/", "/apply/"]
)
def test_the_public_pages_answer_anonymously(client, url):
    assert client.get(url).status_code == 200


@pytest.mark.django_db(transaction=True, serialized_rollback=True)  # live_server: a real server
def test_static_files_are_public(live_server):
    with urllib.request.urlopen(f"{live_server.url}/static/js/app.js") as response:
        assert response.status == 200


def test_the_public_schema_names_no_data(client, keys):
    """The schema describes the API; it holds none of its records."""
    schema = client.get("/api/schema/").content.decode()
    assert not any(re.search(rf"\b{re.escape(code)}\b", schema) for code in keys["code"])


def test_readme_names_what_an_anonymous_visitor_can_read():
    readme = (settings.BASE_DIR / "README.md").read_text(encoding="utf-8")
    section = readme.split("Anonymous visitors", 1)[1].split("\n\n", 2)[:2]
    text = " ".join(section)
    for url in [
        "/login/",
        "/healthz",
        "/api/schema/",
        "/api/docs/",
        "/static/",
        "/apply/",
        "/password-reset/",
    ]:
        assert url in text
