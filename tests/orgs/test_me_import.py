"""MEs with their members and weights from a CSV: checked whole, all or nothing, in a fixed number
of queries whatever the number of MEs; refused lines named; other roles refused."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orgs import models as org
from orgs.models import AuditEntry, Membership, Microenterprise
from orgs.services import mes_import_csv
from orgs.services.me_import import ImportRefused
from tests.factories import MicroenterpriseFactory, UserFactory, reference

pytestmark = pytest.mark.django_db

HEADER = "me_code,me_name,me_kind,leader,member,weight\n"


@pytest.fixture
def people():
    reference(org.MEKind, "node", name="Node")
    return [UserFactory(username=f"p{i}") for i in range(6)]


def _csv(lines):
    return HEADER + "".join(line + "\n" for line in lines)


def test_a_file_makes_every_me_with_its_members_and_an_audit_row(admin, people):
    text = _csv(["dry,Dryers,node,p0,p0,60", "dry,Dryers,node,p0,p1,40", "wash,Washers,node,,p2,100"])
    created = mes_import_csv(actor=admin, text=text)
    assert [m.code for m in created] == ["dry", "wash"]
    dry = Microenterprise.objects.get(code="dry")
    assert dry.leader.username == "p0" and dry.status == Microenterprise.Status.INCUBATING
    weights = dict(Membership.objects.filter(me=dry).values_list("user__username", "weight"))
    assert weights == {"p0": 60, "p1": 40}
    assert AuditEntry.objects.filter(action="me.create", actor=admin).count() == 2


@pytest.mark.parametrize(
    ("lines", "line", "text"),
    [
        (["dry,Dryers,node,,p0,60", "dry,Dryers,node,,p1,30"], 2, "sum to 90"),
        (["dry,Dryers,node,,ghost,100"], 2, "Unknown user"),
        (["dry,Dryers,nope,,p0,100"], 2, "Unknown ME kind"),
        (["taken,Taken,node,,p0,100"], 2, "already exists"),
        (["Bad Code,X,node,,p0,100"], 2, "letters, digits"),
        (["dry,Dryers,node,,p0,abc"], 2, "not a number"),
        (["dry,Dryers,node,,p0,1e400"], 2, "not a number"),
        (["dry,Dryers,node,,p0,1e2"], 2, "not a number"),
        (["dry,Dryers,node,,p0,9999999999999999999999999"], 2, "at most 100"),
        (["dry,Dryers,node,,p0,50", "dry,Other,node,,p1,50"], 3, "differ from line 2"),
        (["dry,Dryers,node,,p0,50", "dry,Dryers,node,,p0,50"], 3, "listed twice"),
    ],
)
def test_one_bad_line_refuses_the_whole_file(admin, people, lines, line, text):
    MicroenterpriseFactory(code="taken")
    before = (Microenterprise.objects.count(), Membership.objects.count(), AuditEntry.objects.count())
    good = ["ok,Fine,node,,p5,100"]
    with pytest.raises(ImportRefused) as refused:
        mes_import_csv(actor=admin, text=_csv(lines + good))
    assert any(text in m for m in refused.value.line_errors[line])
    assert (Microenterprise.objects.count(), Membership.objects.count(), AuditEntry.objects.count()) == before


def test_a_file_without_the_columns_is_refused(admin, people):
    with pytest.raises(ImportRefused) as refused:
        mes_import_csv(actor=admin, text="code,name\nx,y\n")
    assert "Missing columns" in refused.value.line_errors[1][0]


def test_the_import_costs_the_same_queries_for_3_and_60_mes(admin, people):
    def run(prefix, n):
        lines = [f"{prefix}{i},ME {i},node,p0,p{i % 5},100" for i in range(n)]
        with CaptureQueriesContext(connection) as ctx:
            mes_import_csv(actor=admin, text=_csv(lines))
        return len(ctx.captured_queries)

    assert run("a", 3) == run("b", 60)


def test_the_page_imports_and_shows_refused_lines(client, admin, people):
    client.force_login(admin)
    bad = SimpleUploadedFile("mes.csv", _csv(["dry,Dryers,node,,p0,70"]).encode())
    response = client.post("/mes/import/", {"file": bad})
    assert response.status_code == 400
    assert (
        'data-testid="import-errors"' in response.content.decode() and "Line 2" in response.content.decode()
    )
    assert not Microenterprise.objects.filter(code="dry").exists()
    good = SimpleUploadedFile("mes.csv", _csv(["dry,Dryers,node,,p0,100"]).encode("utf-8-sig"))
    response = client.post("/mes/import/", {"file": good})
    assert response.status_code == 302 and Microenterprise.objects.filter(code="dry").exists()


def test_a_file_that_is_not_text_is_refused_by_field(client, admin, people):
    client.force_login(admin)
    response = client.post("/mes/import/", {"file": SimpleUploadedFile("x.csv", b"\xff\xfe\x00bad")})
    assert response.status_code == 400 and "file" in response.context["form"].errors


@pytest.mark.parametrize("role", ["me_leader", "finance", "partner"])
def test_other_roles_may_not_import(client, role, people):
    client.force_login(UserFactory(roles=[role]))
    upload = SimpleUploadedFile("mes.csv", _csv(["dry,Dryers,node,,p0,100"]).encode())
    assert client.post("/mes/import/", {"file": upload}).status_code == 403
    assert not Microenterprise.objects.filter(code="dry").exists()


def test_partner_users_finance_and_auditors_are_refused_as_leader_or_member(admin, people):
    UserFactory(username="firm", roles=["partner"])
    UserFactory(username="cash", roles=["finance", "me_member"])  # a control role wins over an ME role
    text = _csv(["dry,Dryers,node,firm,p0,60", "dry,Dryers,node,firm,cash,40"])
    with pytest.raises(ImportRefused) as exc:
        mes_import_csv(actor=admin, text=text)
    lines = {n: " ".join(m) for n, m in exc.value.line_errors.items()}
    assert "firm holds the role Partner user" in lines[2] and "cash holds the role Finance" in lines[3]
    assert not Microenterprise.objects.exists() and not Membership.objects.exists()
