"""/docs in Chromium: Swagger UI from the package (no CDN) lists every operation of /openapi.json."""
import pytest

from ..server import Client

pytestmark = pytest.mark.browser


def test_docs_shows_every_operation_from_local_assets(web, browser):
    spec = Client(web.url).get("/openapi.json").json()
    operations = [(m.upper(), p) for p, ops in spec["paths"].items() for m in ops
                  if m in ("get", "post", "put", "patch", "delete")]
    page = browser.new_context().new_page()
    requested = []
    page.on("request", lambda r: requested.append(r.url))
    page.goto(f"{web.url}/docs")
    page.wait_for_selector(".opblock-summary-path")
    page.wait_for_function(f"() => document.querySelectorAll('.opblock').length >= {len(operations)}")
    shown = {(b.locator(".opblock-summary-method").inner_text().strip(),
              b.locator(".opblock-summary-path").get_attribute("data-path"))
             for b in page.locator(".opblock").all()}
    assert set(operations) <= shown
    assert requested and all(u.startswith(web.url) for u in requested), [u for u in requested
                                                                          if not u.startswith(web.url)]
    # one operation opened: its conditional headers and an example are there for people to read
    block = page.locator(".opblock", has=page.locator('[data-path="/tasks/{task_id}"]')).filter(
        has=page.locator(".opblock-summary-method", has_text="PATCH"))
    block.locator(".opblock-summary").click()
    block.locator(".parameters-container").wait_for()
    text = block.inner_text()
    assert "If-Match" in text and "Poll-Interval" in text and "Fix homepage" in text


def test_every_operation_documents_its_example(web):
    spec = Client(web.url).get("/openapi.json").json()
    schemas = spec["components"]["schemas"]

    def has_example(content):
        for media in (content or {}).values():
            schema = media.get("schema", {})
            ref = schema.get("$ref") or (schema.get("items") or {}).get("$ref")
            if "example" in media or "example" in schema or (ref and "example" in schemas[ref.rsplit("/", 1)[-1]]):
                return True
        return False

    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            bodies = [r.get("content") for code, r in op["responses"].items() if code.startswith("2")]
            bodies.append((op.get("requestBody") or {}).get("content"))
            assert op.get("summary"), (method, path)
            assert any(has_example(b) for b in bodies if b) or op["responses"].keys() >= {"204"}, (method, path)
