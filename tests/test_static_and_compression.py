"""What a phone on a slow link downloads: compressed pages and assets, and static files kept for a year under
addresses that change with their content (the fonts the stylesheet names included)."""
import gzip
import re

import brotli
import pytest

from eventapp.core import static


def assets_of(client, path="/"):
    html = client.get(path).get_data(as_text=True)
    return sorted(set(re.findall(r'(?:href|src)="(/static/[^"]+)"', html)))


@pytest.mark.parametrize(("encoding", "decode"), [("gzip", gzip.decompress), ("br", brotli.decompress)])
def test_pages_stylesheets_scripts_and_json_are_compressed(client, encoding, decode):
    plain = client.get("/signin")
    packed = client.get("/signin", headers={"Accept-Encoding": encoding})
    assert packed.headers["Content-Encoding"] == encoding and "Accept-Encoding" in packed.headers["Vary"]
    assert decode(packed.data) == plain.data and len(packed.data) < len(plain.data) / 2
    for asset in assets_of(client):
        if asset.split("?")[0].endswith((".css", ".js")):
            response = client.get(asset, headers={"Accept-Encoding": encoding})
            assert response.headers["Content-Encoding"] == encoding, asset
            assert decode(response.data) == client.get(asset).data
    api = client.get("/api/v1/openapi.json", headers={"Accept-Encoding": encoding})
    assert api.headers["Content-Encoding"] == encoding and api.mimetype == "application/json"


def test_without_accept_encoding_nothing_is_compressed(client):
    assert "Content-Encoding" not in client.get("/signin").headers


def test_static_addresses_carry_a_digest_and_are_kept_a_year(client):
    assets = assets_of(client)
    assert any("fonts/Vazirmatn-Regular.woff2?v=" in asset for asset in assets)
    for asset in assets:
        assert re.search(r"\?v=[0-9a-f]{12}$", asset), asset
        response = client.get(asset)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"


def test_the_stylesheet_names_its_fonts_by_digest_too(client):
    [stylesheet] = [asset for asset in assets_of(client) if ".css?" in asset]
    css = client.get(stylesheet).get_data(as_text=True)
    fonts = re.findall(r'url\("\.\./fonts/([^"?]+)\?v=([0-9a-f]{12})"\)', css)
    assert fonts and all(client.get(f"/static/fonts/{name}?v={version}").headers["Cache-Control"].endswith(
        "immutable") for name, version in fonts)


def test_an_address_without_the_current_digest_is_revalidated_and_answers_304(client):
    response = client.get("/static/css/app.css?v=000000000000")
    assert response.headers["Cache-Control"] == "no-cache"
    again = client.get("/static/css/app.css", headers={"If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_a_changed_file_gets_a_new_address(app, tmp_path, monkeypatch):
    folder = tmp_path / "static"
    (folder / "fonts").mkdir(parents=True)
    (folder / "fonts" / "a.woff2").write_bytes(b"font one")
    (folder / "site.css").write_text('@font-face { src: url("fonts/a.woff2"); }')
    monkeypatch.setattr(app, "static_folder", str(folder))
    with app.test_request_context():
        before = static.digest_of("site.css")
        (folder / "fonts" / "a.woff2").write_bytes(b"font two, longer")  # the font changes, not the stylesheet
        after = static.digest_of("site.css")
    assert before != after  # the stylesheet's address follows the font it names
