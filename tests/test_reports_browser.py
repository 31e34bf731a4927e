"""The stakeholder pages in a real browser: headless Chromium with the network blocked.

Each page of a report run is opened, screenshotted, and checked for what a reader sees: every
figure decoded and drawn, a heading, no code, nothing fetched from the network. Needs Debian's
``chromium`` and ``chromium-driver`` (``.ci/run`` installs them when missing).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from crm_analysis.config import PROJECT_ROOT
from crm_analysis.reports import run_reports
from crm_analysis.synthetic import SyntheticConfig, generate, write_dataset

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

pytestmark = pytest.mark.skipif(
    (CHROMIUM is None or CHROMEDRIVER is None) and os.environ.get("CI") != "true",
    reason="headless Chromium and chromedriver are not installed (apt-get install chromium "
    "chromium-driver)",
)

PAGE_STATE = """
const imgs = Array.from(document.images);
return {
  images: imgs.length,
  drawn: imgs.filter(i => i.complete && i.naturalWidth > 0
                          && i.getBoundingClientRect().width > 0).length,
  alts: imgs.filter(i => (i.alt || '').trim().length > 0).length,
  headings: document.querySelectorAll('h1').length,
  code: document.querySelectorAll('pre code, .jp-InputArea, .input_area, .highlight').length,
  text: document.body.innerText,
  external: performance.getEntriesByType('resource').map(r => r.name)
             .filter(n => n.startsWith('http')),
};
"""


@pytest.fixture(scope="module")
def browser():
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download anything
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--window-size=1280,2000",
                 # the network is blocked: any http(s) request fails to resolve
                 "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=http://127.0.0.1:9"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("data")
    write_dataset(generate(SyntheticConfig(n_customers=1_500, seed=8)), root / "raw")
    result = run_reports(notebooks_dir=PROJECT_ROOT / "notebooks", data_dir=root,
                         reports_dir=tmp_path_factory.mktemp("reports"), run_id="browser")
    assert result.exit_code == 0
    return result.run_dir


def test_every_page_renders_its_figures_offline(browser, run_dir, tmp_path):
    pages = sorted(run_dir.glob("*.html"))
    assert any(p.name == "index.html" for p in pages) and len(pages) >= 2
    for page in pages:
        browser.get(page.as_uri())
        state = browser.execute_script(PAGE_STATE)
        shot = tmp_path / f"{page.stem}.png"
        assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
        assert state["headings"] >= 1, page.name
        assert state["code"] == 0, f"{page.name} shows code"
        assert state["external"] == [], f"{page.name} fetched {state['external']}"
        assert "import " not in state["text"] and "Traceback" not in state["text"], page.name
        if page.name != "index.html":
            assert state["images"] >= 1, f"{page.name} has no figure"
            assert state["drawn"] == state["images"], f"{page.name}: a figure did not render"
            assert state["alts"] == state["images"], f"{page.name}: a figure lacks alt text"
