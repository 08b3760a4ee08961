"""The append-only tables are named once in the code (ledger.append_only) and once in the README:
the two lists are the same."""

import re

from ledger.append_only import TABLES
from tests.conftest import ROOT


def test_the_readme_lists_exactly_the_append_only_tables_of_the_code():
    readme = (ROOT / "README.md").read_text()
    paragraph = readme.split("**The append-only tables**", 1)[1].split("\n\n", 1)[0]
    assert set(re.findall(r"`([a-z]+_[a-z_]+)`", paragraph)) == set(TABLES)
