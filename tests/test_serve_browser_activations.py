"""The activations panel in a real browser (tests/serve_fixtures.py): opening its tab runs
LeNet-5 on the bundled digit, the feature-map grid shows C1's six 28 x 28 maps, and a
click on a pixel of one shows that cell's dot product with its numbers, worked out in the
run shown even after the sizes tab changed the input.

Skips, saying how to install it, where Chromium or torch is absent."""

from __future__ import annotations

import pytest

pytest.importorskip("torch")


def test_the_panel_runs_the_digit_and_explains_a_clicked_cell(page, screenshot):
    page.locator('#tabs button[data-tab="activations-panel"]').click()
    c1 = page.locator('.act-layer[data-layer="C1.conv"]')
    c1.wait_for(timeout=15_000)  # the worker's first torch import counts here
    assert c1.locator("img.act-map").count() == 6
    assert "[1, 6, 28, 28]" in c1.locator("h4").inner_text()
    assert page.locator(".act-input img").count() == 1
    first = c1.locator("img.act-map").first
    box = first.bounding_box()
    first.click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.4})
    page.wait_for_selector(".act-dot")
    title = page.locator(".act-dot h4").inner_text()
    assert title.startswith("C1.conv (conv) at channel 0, row 11, col 14")
    assert page.locator(".act-dot table.act-grid").count() == 2  # window and kernel
    assert page.locator(".act-dot table.act-grid td").count() == 50
    equation = page.locator(".act-equation").inner_text()
    assert "+ bias" in equation and "✓" in equation and "scaled_tanh" in equation
    assert page.script_errors == []
    screenshot(page, "activations")


def test_a_cell_clicked_after_a_size_change_is_of_the_run_shown(page):
    """The maps are of the run; the sizes tab changing the input since must not change
    which network a clicked cell is worked out in."""
    first = page.locator('.act-layer[data-layer="C1.conv"] img.act-map').first
    box = first.bounding_box()
    first.click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.4})
    page.wait_for_selector(".act-dot")
    before = page.locator(".act-equation").inner_text()
    page.evaluate(
        "async () => (await import('/static/state.js'))"
        ".setRequest({input_shapes: {image: ['N', 1, 36, 36]}})"
    )
    page.wait_for_selector(".act-status.problem")  # the run is not of these sizes
    assert "changed" in page.locator(".act-status").inner_text()
    page.evaluate("document.querySelector('.act-cell').replaceChildren()")
    first.click(position={"x": box["width"] * 0.5, "y": box["height"] * 0.4})
    page.wait_for_selector(".act-dot")
    assert page.locator(".act-equation").inner_text() == before
    page.evaluate("async () => (await import('/static/state.js')).setRequest({input_shapes: {}})")
    assert page.script_errors == []
