"""Times tracekit-view's page on one trace in headless Chromium: from
navigation to the first painted rows of the waterfall, over several
loads; prints the times in seconds as JSON.

usage: view_page.py URL CHROMIUM LOADS
"""

import json
import sys
import time

from playwright.sync_api import sync_playwright

url, chromium, loads = sys.argv[1], sys.argv[2], int(sys.argv[3])
times = []
with sync_playwright() as playwright:
    browser = playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
    page = browser.new_page(viewport={"width": 1400, "height": 900})
    for _ in range(loads):
        page.goto("about:blank")
        started = time.monotonic()
        page.goto(url)
        page.wait_for_selector(".row")
        times.append(time.monotonic() - started)
    browser.close()
print(json.dumps(times))
