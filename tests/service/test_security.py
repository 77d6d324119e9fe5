"""Security of the service: tokens, ids shaped like paths, body size, escaping, headers, start-up."""

from __future__ import annotations

from typing import Any

import pytest
from markupsafe import escape
from service_helpers import AUTH, FAST, TOKEN, wait_final

from coredge.errors import InputError
from coredge_testing import TINY

WRITES = [
    ("post", "/api/runs", {"scenario": TINY, "options": FAST}),
    ("post", "/api/runs/0123456789abcdef/cancel", None),
    ("delete", "/api/runs/0123456789abcdef", None),
]


@pytest.mark.parametrize("method,path,body", WRITES)
def test_writes_without_a_token_get_401(client: Any, method: str, path: str, body: Any) -> None:
    r = client.request(method.upper(), path, json=body)
    assert r.status_code == 401
    assert r.headers["www-authenticate"] == "Bearer"
    for bad in ("Basic dXNlcjpwYXNz", "Bearer", "bearer ", TOKEN):
        assert client.request(method.upper(), path, json=body, headers={"Authorization": bad}).status_code == 401


@pytest.mark.parametrize("method,path,body", WRITES)
def test_writes_with_a_wrong_token_get_403(client: Any, method: str, path: str, body: Any) -> None:
    for wrong in (TOKEN + "x", TOKEN[:-1], "x" * len(TOKEN), TOKEN.upper()):
        r = client.request(method.upper(), path, json=body, headers={"Authorization": f"Bearer {wrong}"})
        assert r.status_code == 403
    assert client.get("/api/runs").json()["runs"] == []  # nothing was queued


TRAVERSAL = ["..", "..%2F..%2Fetc%2Fpasswd", "%2e%2e", "0123456789abcdef%2F..", "....//....//etc",
             "0123456789ABCDEF", "0123456789abcdef.json", "%00", "~root", "0123456789abcdeg"]


@pytest.mark.parametrize("bad", TRAVERSAL)
def test_traversal_shaped_ids_are_refused(client: Any, bad: str) -> None:
    for path in (f"/api/runs/{bad}", f"/api/runs/{bad}/report", f"/api/runs/{bad}/tables",
                 f"/api/runs/{bad}/tables/tiers", f"/api/runs/{bad}/events", f"/runs/{bad}"):
        r = client.get(path)
        # refused, or (a bare '..' that the client resolved itself) one of the service's own pages
        assert r.status_code in (400, 404) or r.url.path in ("/", "/runs", "/api/runs", "/api/runs/"), (
            path, r.status_code, r.url.path)
        assert "root:" not in r.text
    r = client.delete(f"/api/runs/{bad}", headers=AUTH)
    assert r.status_code in (400, 404, 405)


def test_oversized_bodies_get_413(client: Any) -> None:
    big = "#" + "x" * (70 * 1024) + "\n" + TINY  # over the test app's 64 KiB
    r = client.post("/api/validate", json={"scenario": big})
    assert r.status_code == 413
    r = client.post("/api/runs", json={"scenario": big}, headers=AUTH)
    assert r.status_code == 413

    def chunks() -> Any:  # no Content-Length: refused once the limit is passed
        for _ in range(80):
            yield b"x" * 1024

    r = client.post("/api/validate", content=chunks(), headers={"Content-Type": "application/json"})
    assert r.status_code == 413
    assert client.get("/api/runs").json()["runs"] == []


NASTY = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_html_in_scenario_names_is_escaped(client: Any) -> None:
    text = TINY.replace("name: tiny", f"name: '{NASTY}'", 1)
    r = client.post("/api/runs", json={"scenario": text, "options": FAST}, headers=AUTH)
    assert r.status_code == 202, r.text
    run_id = r.json()["id"]
    assert wait_final(client, run_id)["status"] == "done"
    page = client.get(f"/runs/{run_id}").text
    assert NASTY not in page and str(escape(NASTY)) in page
    report = client.get(f"/api/runs/{run_id}/report").text
    assert NASTY not in report
    assert client.get(f"/api/runs/{run_id}").json()["name"] == NASTY  # JSON keeps the text as it is


def test_pages_forbid_other_origins(client: Any) -> None:
    for path in ("/", "/runs", "/compare", "/static/app.js"):
        r = client.get(path)
        assert r.status_code == 200
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
    assert client.get("/static/../app.py").status_code == 404
    assert client.get("/static/secret.txt").status_code == 404
    js = client.get("/static/app.js").text
    assert ".innerHTML" not in js and "insertAdjacentHTML" not in js  # textContent only
    assert client.get("/static/plotly.min.js").status_code == 200


def test_non_loopback_host_needs_a_token() -> None:
    from coredge.service.security import is_loopback, resolve_token

    with pytest.raises(InputError):
        resolve_token("0.0.0.0", None)
    with pytest.raises(InputError):
        resolve_token("192.168.1.10", "")
    with pytest.raises(InputError):
        resolve_token("127.0.0.1", "short")
    tok, generated = resolve_token("127.0.0.1", None)
    assert generated and len(tok) >= 24
    assert resolve_token("0.0.0.0", TOKEN) == (TOKEN, False)
    assert is_loopback("::1") and is_loopback("localhost") and not is_loopback("example.org")


def test_serve_refuses_a_public_host_without_a_token(monkeypatch: pytest.MonkeyPatch) -> None:
    from coredge_testing import run_cli

    monkeypatch.delenv("COREDGE_TOKEN", raising=False)
    r = run_cli("serve", "--host", "0.0.0.0", "--port", "1")
    assert r.returncode == 2 and "token" in r.stderr
