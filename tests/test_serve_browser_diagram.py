"""The playground's diagram panel in Chromium (netspec/serve/static/diagram.js and its
viewport, diagram_view.js): the tab draws the boxes, a click on a box selects its
statement in the table, the zoom buttons change the view, and a ResNet-18 stage opens into
its blocks and closes again.

Skips, saying how to install it, where Chromium is absent (tests/serve_fixtures.py)."""

from __future__ import annotations

BOXES = "#diagram-panel g.box[data-key]"


def open_diagram(page) -> None:
    page.click("#tabs button[data-tab=diagram-panel]")
    page.wait_for_selector(BOXES)


def test_the_tab_draws_one_box_per_statement_and_a_click_selects_it(page, screenshot):
    open_diagram(page)
    keys = page.eval_on_selector_all(BOXES, "gs => gs.map(g => g.dataset.key)")
    assert keys == ["input:image", "C1", "S2", "C3", "S4", "C5", "F6", "output", "output:output"]
    page.click(f"{BOXES}[data-key=C3]")
    page.wait_for_selector("#report tr.selected[data-layer=C3]")
    assert page.locator("#report tr.selected").count() == 1
    open_diagram(page)  # the click showed the layer's explanation in its own tab
    assert page.locator("#diagram-panel g.box.selected").get_attribute("data-key") == "C3"
    screenshot(page, "diagram")
    assert page.script_errors == []


def test_the_zoom_buttons_change_the_view_and_a_selection_elsewhere_shows(page):
    open_diagram(page)
    canvas = page.locator("#diagram-panel .diagram-canvas")
    before = canvas.evaluate("c => c.style.transform")
    page.click("#diagram-panel button[title='zoom in']")
    after = canvas.evaluate("c => c.style.transform")
    assert before != after and "scale(" in after
    page.click("#diagram-panel button[title='the whole diagram']")
    assert canvas.evaluate("c => c.style.transform") not in (after, "")
    page.click("#report tr[data-layer=F6]")  # the table's selection outlines its box
    open_diagram(page)
    assert page.locator("#diagram-panel g.box.selected").get_attribute("data-key") == "F6"
    assert page.script_errors == []


def test_a_resnet18_stage_opens_into_its_blocks_and_closes_again(page, served, screenshot):
    page.goto(served + "?spec=resnet18")
    page.wait_for_function("document.querySelector('#report tbody .name')?.textContent === 'stem'")
    open_diagram(page)
    page.wait_for_selector(f"{BOXES}[data-key=layer1]")
    count = page.locator(BOXES).count()
    page.click(f"{BOXES}[data-key=layer1] g.toggle.open")
    page.wait_for_selector(f"{BOXES}[data-key='layer1.basic1']")
    assert page.locator(BOXES).count() == count + 1
    assert page.locator(f"{BOXES}[data-key=layer1]").count() == 0
    page.click(f"{BOXES}[data-key='layer1.basic1'] g.toggle.open")
    page.wait_for_selector(f"{BOXES}[data-key='layer1.basic1.add1']")
    assert page.locator(BOXES).count() == count + 7
    screenshot(page, "diagram_resnet18")
    page.click(f"{BOXES}[data-key='layer1.basic2'] g.toggle.close")  # closes layer1
    page.wait_for_selector(f"{BOXES}[data-key=layer1]")
    assert page.locator(BOXES).count() == count
    assert page.script_errors == []
