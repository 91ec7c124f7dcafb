"""The playground's editor, zoo, exercises, sizes and share link in Chromium (fixtures in
tests/serve_fixtures.py): line numbers and a diagnostic's message on hover; an exercise
opened from the menu shows its task, then its hint, then its solution; the sizes panel
names the accepted sizes and one click tries one (also for a spec of several networks); a
shared link opens with its spec, and one that unpacks too large is refused; the page fits a
phone's width; an emoji or a tab earlier on a line keeps the underline and the hover on
the right characters; of two quick menu choices the later one opens."""

from __future__ import annotations

import base64
import re
import zlib

from tests.serve_fixtures import LENET, ROOT


def wait_checked(page) -> None:
    page.wait_for_function("document.getElementById('status').textContent !== 'checking…'")


def test_line_numbers_and_the_message_under_the_pointer(page, screenshot):
    broken = LENET.replace("conv(120, 5)", "conv(120, 50)")
    line = next(i for i, row in enumerate(broken.splitlines(), 1) if "conv(120, 50)" in row)
    page.locator("#editor").fill(broken)
    page.wait_for_selector("#highlight mark.error")
    numbers = page.locator("#gutter").inner_text().split()
    assert numbers[:3] == ["1", "2", "3"] and len(numbers) == broken.count("\n") + 1
    assert page.locator("#gutter b").inner_text() == str(line)  # the line with the error
    mark = page.locator("#highlight mark.error").bounding_box()
    page.mouse.move(mark["x"] + 2, mark["y"] + mark["height"] / 2)
    page.wait_for_selector("#tooltip:not([hidden])")
    shown = page.locator("#tooltip").inner_text()
    assert shown.startswith("error[E-") and "help:" in shown
    screenshot(page, "error_hover")
    page.mouse.move(5, 5)
    page.wait_for_selector("#tooltip", state="hidden")
    page.locator("#editor").fill(LENET)
    page.wait_for_function("document.querySelectorAll('#diagnostics li').length === 0")


def test_an_exercise_shows_its_task_then_its_hint_then_its_solution(page, screenshot):
    page.select_option("#open-spec", "exercise:01_mnist_without_padding")
    page.wait_for_selector("#exercise:not([hidden])")
    assert "Exercise 1" in page.locator("#exercise-title").inner_text()
    assert "Which layer fails" in page.locator("#exercise-task").inner_text()
    assert page.locator("#exercise-hint").is_hidden()
    assert page.locator("#exercise-solution").is_hidden()
    page.wait_for_selector("#diagnostics li.error")  # the exercise's mistake, checked
    assert "kernel 5 is larger" in page.locator("#diagnostics").inner_text()
    page.click("#show-hint")
    assert "o = floor" in page.locator("#exercise-hint").inner_text()
    page.click("#show-solution")
    assert "padding=2" in page.locator("#exercise-solution pre").inner_text()
    screenshot(page, "exercise", full_page=True)
    page.click("#load-solution")
    page.wait_for_function("document.getElementById('editor').value.includes('padding=2')")
    page.wait_for_function(
        "document.querySelectorAll('#report tr.statement').length === 7 "
        "&& document.querySelectorAll('#diagnostics li').length === 0"
    )


def test_the_sizes_panel_names_the_accepted_sizes_and_tries_one(page, screenshot):
    page.goto(page.url.split("?")[0].split("#")[0] + "?exercise=09_unet_size_100")
    page.wait_for_selector("#diagnostics li.error")
    page.click("#tabs button[data-tab=sizes-panel]")
    page.wait_for_selector("#accepted")
    assert "8-262144 step 8" in page.locator("#accepted .accepted").inner_text()
    assert page.locator("#accepted .nearest button").all_inner_texts() == ["96", "104"]
    assert "E-shape at line 14" in page.locator("table.refused").inner_text()
    screenshot(page, "sizes", full_page=True)
    page.click("#accepted .nearest button >> text=96")
    # every figure follows the new size: the report is whole, the input reads 96
    page.wait_for_function("document.querySelectorAll('#diagnostics li').length === 0")
    assert "x [N, 1, 96, 96]" in page.locator("#totals").inner_text()
    page.wait_for_selector("#accepted")
    assert page.locator("#input-size input[data-axis='2']").input_value() == "96"
    page.fill("#input-size input[data-axis='2']", "100")
    page.fill("#input-size input[data-axis='3']", "100")
    page.click("#input-size button[type=submit]")
    page.wait_for_selector("#diagnostics li.error")


def test_a_shared_link_opens_with_its_spec(page, chromium, screenshot):
    page.goto(page.url.split("?")[0].split("#")[0])
    page.wait_for_function("document.getElementById('editor').value.length > 0")
    mine = re.sub(r"F6( *)= ", r"# shared\n    F6\1= ", LENET, count=1)
    page.locator("#editor").fill(mine)
    wait_checked(page)
    page.click("#share")
    page.wait_for_function("location.hash.startsWith('#spec=')")
    link = page.url
    other = chromium.new_page(viewport={"width": 390, "height": 844})  # a phone's width
    try:
        other.goto(link)
        other.wait_for_function("document.querySelectorAll('#report tr.statement').length === 7")
        assert other.locator("#editor").input_value() == mine
        # nothing wider than the screen: the page scrolls down, not sideways
        assert other.evaluate("document.documentElement.scrollWidth") <= 390
        screenshot(other, "phone")
    finally:
        other.close()
    assert page.script_errors == []


def test_a_row_opens_into_its_layers_and_stays_open_through_edits(page):
    page.goto(page.url.split("?")[0].split("#")[0])
    page.wait_for_function("document.querySelectorAll('#report tr.statement').length === 7")
    assert page.locator("#report tr.layer").count() == 0  # made when first opened
    page.click("#report tr.statement[data-layer=C1] button.toggle")
    layers = page.locator("#report tr.layer:not([hidden]) td:first-child")
    assert layers.all_inner_texts() == ["C1.conv", "C1.scaled_tanh"]
    page.locator("#editor").fill(LENET.replace("conv(6, 5) scaled_tanh", "conv(6, 5) relu"))
    page.wait_for_function(
        "document.querySelector('#report tr.statement').textContent.includes('relu')"
    )
    assert layers.all_inner_texts() == ["C1.conv", "C1.relu"]  # still open, and new
    page.click("#report tr.statement[data-layer=C1] button.toggle")
    assert page.locator("#report tr.layer:not([hidden])").count() == 0


def fill_and_wait(page, text: str) -> None:
    """Type `text` into the editor and wait for its check's answer."""
    page.locator("#editor").fill(text)
    page.wait_for_function(
        "t => document.getElementById('status').textContent !== 'checking…' "
        "&& document.getElementById('editor').value === t",
        arg=text,
    )


def test_an_emoji_or_a_tab_earlier_on_the_line_keeps_the_underline_and_hover(page):
    c5 = next(row for row in LENET.splitlines() if "conv(120, 5)" in row)
    # diagnostics count code points, JS strings UTF-16 units: the emoji is 1 column, 2 units
    emoji = LENET.replace(c5, '    # 😀 comment\n    C5 = conv(120, 5, padding="😀", stride=0)')
    page.locator("#editor").fill(emoji)
    page.wait_for_selector("#highlight mark.error")
    assert page.locator("#highlight mark.error").all_inner_texts() == ["0"]  # stride=0
    # a tab is 1 column in diagnostics, up to 4 wide on screen: the hover still finds it
    page.locator("#editor").fill(LENET.replace(c5, "\tC5 = conv(120, 50) scaled_tanh"))
    page.wait_for_function("document.querySelector('#highlight mark.error')?.textContent === '50'")
    mark = page.locator("#highlight mark.error").bounding_box()
    page.mouse.move(mark["x"] + mark["width"] / 2, mark["y"] + mark["height"] / 2)
    page.wait_for_selector("#tooltip:not([hidden])")
    assert page.locator("#tooltip").inner_text().startswith("error[E-size]")
    page.mouse.move(5, 5)
    fill_and_wait(page, LENET)


def test_a_link_too_large_when_unpacked_is_refused(page):
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)  # raw deflate, as the page's links
    packed = bomb.compress(b"#" * 900_000) + bomb.flush()  # past 4 x MAX_TEXT characters
    fragment = base64.urlsafe_b64encode(packed).decode().rstrip("=")
    base = page.url.split("?")[0].split("#")[0]
    page.goto("about:blank")
    page.goto(f"{base}#spec={fragment}")
    # said beside the check of the spec the page opens instead: the server's
    page.wait_for_function("document.getElementById('status').textContent.startsWith('ok · ')")
    assert "the link's spec is too large" in page.locator("#status").inner_text()
    assert page.locator("#editor").input_value() == LENET
    assert page.script_errors == []


def test_the_sizes_panel_answers_for_a_spec_of_several_networks(page):
    page.goto(page.url.split("?")[0].split("#")[0])
    page.wait_for_function("document.querySelectorAll('#report tr.statement').length === 7")
    fill_and_wait(page, (ROOT / "examples" / "why_convolution.netspec").read_text())
    page.click("#tabs button[data-tab=sizes-panel]")
    page.wait_for_selector("#accepted")  # for the first network, whose input it edits
    assert "FullyConnected" in page.locator("#accepted h3").inner_text()
    page.click("#tabs button[data-tab=layer-panel]")


def test_of_two_quick_menu_choices_the_later_one_opens(page):
    # the first choice's answer is held back until after the second's has come
    page.evaluate(
        """() => {
        const real = window.fetch;
        window.fetch = (url, ...rest) => String(url).endsWith('/api/zoo/resnet18')
            ? new Promise((ok) => setTimeout(ok, 700)).then(() => real(url, ...rest))
            : real(url, ...rest);
        window.realFetch = real;
    }"""
    )
    page.select_option("#open-spec", "zoo:resnet18")
    page.select_option("#open-spec", "zoo:lenet5")
    page.wait_for_timeout(1000)  # past the held answer
    page.evaluate("window.fetch = window.realFetch")
    assert page.locator("#editor").input_value() == LENET
