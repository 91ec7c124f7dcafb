"""The layer panel in Chromium (tests/serve_fixtures.py): a click on a table row opens the
layer tab with the layer's explain steps and its window animation; play, pause, step and
scrub move the frame; hovering an output cell shows the k x k input window that made it;
the statement under the caret is shown as the caret moves.

Skips, saying how to install it, where Chromium is absent."""

from __future__ import annotations

import re

import pytest

from tests.serve_fixtures import LENET

PANEL = "#layer-panel"
ANIM = "#layer-panel .anim"


def frame(page) -> int:
    return int(page.get_attribute(ANIM, "data-frame"))


def cells(text: str) -> set[tuple[int, int]]:
    return {tuple(int(v) for v in cell.split(",")) for cell in text.split()}


@pytest.fixture(scope="module")
def c1(page):
    """The page with C1 clicked in the table while another tab was open."""
    page.click('#tabs button[data-tab="sizes-panel"]')
    page.click('#report tbody tr[data-layer="C1"]')
    page.wait_for_selector(f"{PANEL} .layer-explain")
    page.wait_for_selector(ANIM)
    return page


def test_a_table_click_opens_the_layer_with_its_steps(c1):
    assert c1.get_attribute('#tabs button[data-tab="layer-panel"]', "aria-selected") == "true"
    assert c1.locator(PANEL).is_visible()
    assert c1.locator(f"{PANEL} .layer-title").inner_text().startswith("C1")
    steps = c1.locator(f'{PANEL} details[data-path="C1.conv"] table.steps').first.inner_text()
    assert "(32 + 2·0 - 1·(5-1) - 1)/1 + 1 =" in steps and "28" in steps
    assert "122,304" in c1.locator(PANEL).inner_text()  # the connections, with numbers
    assert c1.locator(f"{PANEL} .anim-field figcaption").inner_text().count("r = 5") == 1


def test_play_pause_and_step(c1):
    c1.click(f"{PANEL} [data-action=play]")
    c1.wait_for_function(f"Number(document.querySelector('{ANIM}').dataset.frame) > 1")
    c1.click(f"{PANEL} [data-action=play]")  # the same button pauses
    stopped = frame(c1)
    c1.wait_for_timeout(400)  # three frames at the default 8 per second
    assert frame(c1) == stopped
    c1.click(f"{PANEL} [data-action=forward]")
    assert frame(c1) == stopped + 1
    c1.click(f"{PANEL} [data-action=back]")
    c1.click(f"{PANEL} [data-action=back]")
    assert frame(c1) == stopped - 1


def test_scrubbing_to_the_end_shows_the_last_output_cell(c1):
    c1.locator(f"{PANEL} .scrub").fill("783")
    assert frame(c1) == 783
    assert c1.get_attribute(ANIM, "data-output") == "27,27"
    last = {(27 + a, 27 + b) for a in range(5) for b in range(5)}
    assert cells(c1.get_attribute(ANIM, "data-window")) == last
    current = c1.locator(f"{ANIM} .anim-output rect.current")
    assert current.get_attribute("data-cell") == "27,27"


def test_hovering_an_output_cell_shows_its_window(c1, screenshot):
    c1.hover(f'{ANIM} .anim-output rect[data-cell="3,5"]')
    assert c1.get_attribute(ANIM, "data-output") == "3,5"
    window = {(3 + a, 5 + b) for a in range(5) for b in range(5)}
    assert cells(c1.get_attribute(ANIM, "data-input")) == window
    drawn = c1.locator(f"{ANIM} .anim-input rect.tap")
    assert {tuple(map(int, c.split(","))) for c in drawn.evaluate_all(
        "rects => rects.map(r => r.dataset.cell)"
    )} == window  # fmt: skip
    # the receptive field follows: unit (3, 5) of C1 sees rows [3, 8), cols [5, 10)
    assert c1.get_attribute(f"{PANEL} .anim-field", "data-box") == "3,8,5,10"
    c1.locator("#tabs").scroll_into_view_if_needed()
    screenshot(c1, "layer")


def test_the_caret_on_a_statement_shows_it(c1):
    line = next(i for i, row in enumerate(LENET.splitlines()) if row.strip().startswith("S2 "))
    offset = sum(len(row) + 1 for row in LENET.splitlines()[:line]) + 6
    c1.mouse.move(0, 0)  # a pointer left over the new output grid would pick its cell
    c1.evaluate(
        "o => { const e = document.getElementById('editor'); e.focus(); "
        "e.setSelectionRange(o, o); }",
        offset,
    )
    c1.click('#tabs button[data-tab="sizes-panel"]')
    c1.locator("#editor").focus()
    c1.keyboard.press("ArrowRight")
    c1.wait_for_function("document.querySelector('tr.selected').dataset.layer === 'S2'")
    assert c1.locator(PANEL).is_hidden()  # a caret move leaves the open tab open
    c1.click('#tabs button[data-tab="layer-panel"]')
    c1.wait_for_function(f"document.querySelector('{PANEL}').dataset.layer === 'S2'")
    assert c1.locator(f"{PANEL} .layer-title").inner_text().startswith("S2")
    assert c1.get_attribute(ANIM, "data-frame") == "0"
    assert len(cells(c1.get_attribute(ANIM, "data-window"))) == 4  # a 2x2 window
    assert c1.script_errors == []


def test_an_edit_asks_again_for_the_selected_layer(c1):
    edited = re.sub(r"(S2 *= subsample\(2\)) sigmoid", r"\1 tanh", LENET)
    with c1.expect_request(lambda r: r.url.endswith("/api/figure")) as asked:
        c1.locator("#editor").fill(edited)
    sent = asked.value.post_data_json
    assert sent["layer"] == "S2" and "subsample(2) tanh" in sent["text"]
    c1.wait_for_selector(f'{PANEL} details[data-path="S2.tanh"]')  # the new layer's steps
    assert c1.locator(f"{PANEL} .layer-title").inner_text().startswith("S2")
    assert c1.script_errors == []
