"""The Content-Security-Policy: every page is sent with it, and no template needs what it refuses
(inline scripts, style attributes, inline event handlers): the browser journeys check the rest."""

import re
from pathlib import Path

import pytest
from django.conf import settings

TEMPLATES = sorted(Path(settings.BASE_DIR, "templates").rglob("*.html"))
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
STYLE_ATTRIBUTE = re.compile(r"<[^>]+\sstyle\s*=", re.IGNORECASE)
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+\s*=", re.IGNORECASE)
STYLE_ELEMENT = re.compile(r"<style\b", re.IGNORECASE)


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(settings.BASE_DIR)))
def test_no_template_needs_inline_script_or_style(template):
    text = template.read_text(encoding="utf-8")
    for name, pattern in [
        ("inline <script>", INLINE_SCRIPT),
        ("style attribute", STYLE_ATTRIBUTE),
        ("inline event handler", EVENT_HANDLER),
        ("<style> element", STYLE_ELEMENT),
    ]:
        assert not pattern.search(text), f"{name} in {template.name}: {pattern.search(text).group(0)}"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/login/", "/", "/api/docs/", "/admin/login/"])
def test_every_page_is_sent_with_the_policy(client, url, user_with_role):
    client.force_login(user_with_role("platform_admin", is_staff=True))
    policy = client.get(url)["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert directives["object-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert "unsafe" not in policy


@pytest.mark.django_db
def test_the_api_docs_init_script_is_a_file_not_inline(client):
    page = client.get("/api/docs/").content.decode()
    assert not INLINE_SCRIPT.search(page) and not STYLE_ELEMENT.search(page)
    script = client.get("/api/docs/?script=")
    assert script["Content-Type"].startswith("application/javascript")
    assert b"SwaggerUIBundle" in script.content
