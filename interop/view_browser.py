"""Drives tracekit-view's page in a real headless Chromium (Playwright
pointed at the distribution's Chromium) and prints what it saw as JSON.

usage: view_browser.py BASE_URL SCREENSHOT_DIR CHROMIUM SCENARIO_JSON

SCENARIO_JSON names the traces the Rust test sent: {"checkout": id,
"big": id, "compare": [a, b]}. The test asserts on the output; this
script only looks and reports (it fails only when the page does not
answer at all).
"""

import json
import sys
import time
import urllib.request

from playwright.sync_api import sync_playwright

base, shots, chromium, scenario = sys.argv[1], sys.argv[2], sys.argv[3], json.loads(sys.argv[4])
seen = {}


def api(path):
    with urllib.request.urlopen(base + path) as response:
        return json.load(response)


def tree_order(spans):
    """The spans' ids and depths in the page's order: depth first,
    children by start."""
    by_id = {span["span_id"]: span for span in spans}
    children = {}
    roots = []
    for span in spans:
        parent = span["parent_id"]
        if parent and parent in by_id:
            children.setdefault(parent, []).append(span)
        else:
            roots.append(span)
    key = lambda span: int(span["start"])
    out = []
    stack = [(span, 0) for span in sorted(roots, key=key, reverse=True)]
    while stack:
        span, depth = stack.pop()
        out.append((span["span_id"], depth))
        for kid in sorted(children.get(span["span_id"], []), key=key, reverse=True):
            stack.append((kid, depth + 1))
    return out


with sync_playwright() as playwright:
    browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    alerts = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))

    # The list, then a search.
    page.goto(base + "/")
    page.wait_for_selector("body[data-ready=list]")
    seen["listed"] = page.locator("tr.trace").evaluate_all("rows => rows.map(r => r.dataset.traceId)")
    seen["stats"] = page.locator("#stats").inner_text()
    page.screenshot(path=f"{shots}/list.png")
    page.fill("input[name=service]", "inventory")
    page.click("form.search button[type=submit]")
    page.wait_for_function("location.hash.includes('service=inventory')")
    page.wait_for_selector("body[data-ready=list]")
    seen["searched"] = page.locator("tr.trace").evaluate_all("rows => rows.map(r => r.dataset.traceId)")

    # The trace of 10,000 spans: time to the first painted rows, the rows
    # in the page (only those in view), their order and nesting.
    started = time.monotonic()
    page.goto(f"{base}/#/trace/{scenario['big']}")
    page.wait_for_selector(".row")
    seen["big_first_rows_seconds"] = time.monotonic() - started
    page.wait_for_selector("body[data-ready=trace]")
    seen["big_rows_in_page"] = page.locator(".row").count()
    rendered = page.locator(".row").evaluate_all(
        "rows => rows.map(r => [r.dataset.spanId, Number(r.dataset.depth)])")
    big_spans = api(f"/api/traces/{scenario['big']}")["spans"]
    expected = tree_order(big_spans)
    seen["big_rows_match_tree"] = rendered == [list(pair) for pair in expected[: len(rendered)]]
    # Scrolled to the end, the last rows are there.
    page.locator("#waterfall").evaluate("w => w.scrollTop = w.scrollHeight")
    page.wait_for_function(
        f"document.querySelector('.row[data-span-id=\"{expected[-1][0]}\"]') !== null")
    seen["big_last_row_shown"] = True
    # Errors, one after the other with `n`, back with `p`.
    failed = {span["span_id"] for span in big_spans if span["error"]}
    errors_in_order = [span_id for span_id, _ in expected if span_id in failed]
    page.locator("#waterfall").focus()
    jumps = []
    for key in ["n", "n", "p"]:
        page.keyboard.press(key)
        jumps.append(page.locator(".row.selected").get_attribute("data-span-id"))
    seen["error_jumps"] = jumps
    seen["errors_in_order"] = errors_in_order[:2]
    seen["error_position"] = page.locator("#error-position").inner_text()
    page.screenshot(path=f"{shots}/big-trace.png")

    # A checkout trace: its tags shown as text, a hostile one inert.
    page.goto(f"{base}/#/trace/{scenario['checkout']}")
    page.wait_for_selector("body[data-ready=trace]")
    seen["checkout_rows"] = page.locator(".row").evaluate_all(
        "rows => rows.map(r => [r.querySelector('.name').textContent, Number(r.dataset.depth), r.classList.contains('error'), r.classList.contains('critical')])")
    page.locator(".row", has_text="check card").click()
    seen["detail"] = page.locator("#detail").inner_text()
    seen["hostile_ran"] = page.evaluate("window.__hostile === 1")
    seen["alerts"] = alerts
    page.screenshot(path=f"{shots}/checkout.png")

    # Two traces of one root name, picked in the list and compared.
    a, b = scenario["compare"]
    page.goto(base + "/#/?root=" + "GET%20%2Fbuy")
    page.wait_for_selector("body[data-ready=list]")
    for trace_id in (a, b):
        page.locator(f"tr[data-trace-id='{trace_id}'] input[type=checkbox]").check()
    page.click("#compare")
    page.wait_for_selector("body[data-ready=compare]")
    seen["compare_url"] = page.evaluate("location.hash")
    seen["compare_rows"] = page.locator("tr.diff").evaluate_all(
        "rows => rows.map(r => [r.dataset.path, r.dataset.state])")
    page.screenshot(path=f"{shots}/compare.png")
    browser.close()

print(json.dumps(seen))
