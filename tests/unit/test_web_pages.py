"""Page rendering and the content security policy derived from the tile setting."""

from __future__ import annotations

from alerting.settings import Settings
from alerting.web.pages import content_security_policy, render, tile_origin


def test_tile_origin_turns_subdomain_placeholders_into_a_wildcard():
    assert tile_origin("https://{s}.tile.example.org/{z}/{x}/{y}.png") == "https://*.tile.example.org"
    assert tile_origin("http://127.0.0.1:8080/tiles/{z}/{x}/{y}.png") == "http://127.0.0.1:8080"
    assert tile_origin("/tiles/{z}/{x}/{y}.png") is None  # same origin: 'self' covers it


def test_csp_allows_only_own_scripts_and_the_tile_server_images():
    csp = content_security_policy(Settings(web_tile_url="https://tiles.example.net/{z}/{x}/{y}.png"))
    assert "script-src 'self';" in csp and "unsafe-eval" not in csp
    assert "img-src 'self' data: https://tiles.example.net;" in csp
    assert "frame-ancestors 'none'" in csp


def test_settings_reach_the_page_escaped():
    page = render("admin.html", Settings(web_tile_url='https://t.example/{z}/{x}/{y}.png?a=1&b="2"'))
    assert '<meta name="tile-url" content="https://t.example/{z}/{x}/{y}.png?a=1&amp;b=&quot;2&quot;">' in page
    assert "{{" not in page
