"""Codes that a page's address already uses (`/mes/new/` beside `/mes/<code>/`) are refused with a
field error wherever a code is chosen, and every literal route beside a `<slug:code>` route is
among the reserved words, so no ME, EMC, partner or rule can ever be shadowed by a page."""

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from orgs import models as org
from orgs.codes import RESERVED_CODES
from orgs.models import EMC, AuditEntry, Microenterprise, Partner
from orgs.services import mes_import_csv
from orgs.services.me_import import ImportRefused
from tests.factories import MicroenterpriseFactory, ScenarioFactory, reference

PARAM = re.compile(r"^(<[^>]+>|\(\?P<[^>]+>[^)]*\))$")
SLUG = re.compile(r"[-a-zA-Z0-9_]+")
CODE_PARAM = re.compile(r"^(<(slug|str):code>|\(\?P<code>[^)]*\))$")


def _routes(patterns=None, prefix=""):
    """Every full route of the project as text, includes expanded (`mes/<slug:code>/edit/`)."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        text = str(p.pattern).lstrip("^").rstrip("$")
        if isinstance(p, URLResolver):
            yield from _routes(p.url_patterns, prefix + text)
        elif isinstance(p, URLPattern):
            yield prefix + text


def _segments(route):
    return route.rstrip("/").split("/")


def _shadowing_words():
    """(word, literal route, code route) where the literal route sits where a code would."""
    routes = [_segments(r) for r in set(_routes())]
    for with_code in routes:
        for i, seg in enumerate(with_code):
            if not CODE_PARAM.match(seg):
                continue
            for other in routes:
                # a word a code could be (a slug); `export.csv` never matches `<slug:code>`
                if len(other) != len(with_code) or not SLUG.fullmatch(other[i]):
                    continue
                rest_agrees = all(
                    a == b or PARAM.match(a) or PARAM.match(b)
                    for j, (a, b) in enumerate(zip(with_code, other, strict=True))
                    if j != i
                )
                if rest_agrees:
                    yield other[i], "/".join(other), "/".join(with_code)


def test_the_walk_finds_the_known_pages_beside_me_codes():
    words = {(w, lit) for w, lit, _code in _shadowing_words()}
    assert ("new", "mes/new") in words
    assert ("import", "mes/import") in words
    assert ("applications", "partners/applications") in words
    assert ("new", "judging/rules/new") in words


def test_every_literal_route_beside_a_code_route_is_a_reserved_word():
    unreserved = sorted({(w, lit, code) for w, lit, code in _shadowing_words() if w not in RESERVED_CODES})
    assert unreserved == [], "add these words to orgs.codes.RESERVED_CODES"


@pytest.mark.django_db
@pytest.mark.parametrize("word", sorted(RESERVED_CODES))
def test_an_me_with_a_reserved_code_is_refused_by_field_and_nothing_is_written(client, admin, word):
    reference(org.MEKind, "node", name="Node")
    client.force_login(admin)
    before = (Microenterprise.objects.count(), AuditEntry.objects.count())
    response = client.post("/mes/new/", {"code": word, "name": "Shadowed", "kind": "node"})
    assert response.status_code == 400
    assert "reserved" in " ".join(response.context["form"].errors["code"])
    assert (Microenterprise.objects.count(), AuditEntry.objects.count()) == before


@pytest.mark.django_db
def test_the_api_refuses_a_reserved_me_code_by_field(client, admin):
    reference(org.MEKind, "node", name="Node")
    client.force_login(admin)
    response = client.post(
        "/api/mes/", {"code": "import", "name": "Shadowed", "kind": "node"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert "reserved" in str(response.json()["errors"]["code"])
    assert not Microenterprise.objects.filter(code="import").exists()


@pytest.mark.django_db
def test_a_csv_line_with_a_reserved_me_code_refuses_the_whole_file(admin):
    reference(org.MEKind, "node", name="Node")
    text = "me_code,me_name,me_kind,leader,member,weight\nnew,New,node,,,\nfine,Fine,node,,,\n"
    with pytest.raises(ImportRefused) as refused:
        mes_import_csv(actor=admin, text=text)
    assert any("reserved" in m for m in refused.value.line_errors[2])
    assert not Microenterprise.objects.exists()


@pytest.mark.django_db
def test_an_emc_with_a_reserved_code_is_refused_by_field(client, admin):
    from tests.orgs.test_build_views import _emc_post

    lead, node, scenario = MicroenterpriseFactory(), MicroenterpriseFactory(), ScenarioFactory()
    client.force_login(admin)
    response = client.post("/emcs/new/", _emc_post(lead, node, scenario, code="new"))
    assert response.status_code == 400
    assert "reserved" in " ".join(response.context["form"].errors["code"])
    assert not EMC.objects.exists()


@pytest.mark.django_db
def test_an_application_from_a_company_named_like_a_page_gets_another_code():
    from orgs.services import partner_apply

    role = reference(org.PartnerRole, "supplier", name="Supplier")
    partner, _user = partner_apply(
        company="Applications",
        roles=[role],
        offer="Parts",
        contact_name="Ann",
        contact_email="ann@example.com",
        username="ann-applications",
        password="a-long-enough-Passw0rd",
    )
    assert partner.code == "applications-2"
    assert Partner.objects.filter(code="applications").count() == 0
