"""Template strings with a percent sign translate: the template tags look them up with the sign
doubled ("%%"), so the catalogs must hold them that way."""

import ast
import re
from pathlib import Path

from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parent.parent
GETTEXT = re.compile(r"\bgettext\((u?'(?:[^'\\]|\\.)*')\)")


def _template_msgids_with_percent() -> set[str]:
    found = set()
    for path in (ROOT / "templates").rglob("*.html"):
        for literal in GETTEXT.findall(templatize(path.read_text(), origin=str(path))):
            msgid = ast.literal_eval(literal)
            if "%" in msgid:
                found.add(msgid)
    return found


def test_template_strings_with_a_percent_sign_are_translated():
    msgids = _template_msgids_with_percent()
    assert "Enterprise value (%% of target)" in msgids
    with translation.override("zh-hans"):
        untranslated = sorted(m for m in msgids if gettext(m) == m)
    assert untranslated == []
