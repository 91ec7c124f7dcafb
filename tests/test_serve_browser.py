"""The playground in a real browser: Chromium (Debian's package, driven by Playwright)
against `netspec serve`'s app on a free loopback port (tests/serve_fixtures.py). The page
opens with the spec, shows the report, and follows edits: a mistake shows its error at
its line and column with the hint, and the fix brings the table back; an answer for older
text that arrives after a newer keystroke is not drawn.

Skips, saying how to install it, where Chromium is absent (.ci/run installs it)."""

from __future__ import annotations

from tests.serve_fixtures import LENET


def rows(page) -> list[str]:
    """The statements' names in the report's table."""
    return page.locator("#report tbody tr.statement .name").all_inner_texts()


def test_the_page_opens_with_the_spec_and_its_report(page, screenshot):
    assert rows(page) == ["C1", "S2", "C3", "S4", "C5", "F6", "output"]
    assert "60,840 parameters" in page.locator("#totals").inner_text()
    assert page.locator("#editor").input_value() == LENET
    assert page.script_errors == []
    screenshot(page, "lenet5")


def test_a_mistake_shows_where_and_how_to_fix_it_and_the_fix_clears_it(page):
    broken = LENET.replace("conv(120, 5)", "conv(120, 7)")
    line = next(i for i, row in enumerate(broken.splitlines(), 1) if "conv(120, 7)" in row)
    page.locator("#editor").fill(broken)
    page.wait_for_selector("#diagnostics li.error")
    shown = page.locator("#diagnostics li.error").first.inner_text()
    assert shown.startswith(f"{line}:") and "E-" in shown and "help:" in shown
    # the span is underlined in the text: the kernel size the error names
    page.wait_for_selector("#highlight mark.error")
    assert page.locator("#highlight mark.error").all_inner_texts() == ["7"]
    assert rows(page)[-1] == "C5"  # the report up to the error, which is marked
    assert "not accepted" in page.locator("#report tr.failed").inner_text()
    page.locator("#editor").fill(LENET)
    page.wait_for_function("document.querySelectorAll('#diagnostics li').length === 0")
    assert rows(page)[-1] == "output"
    assert page.locator("#highlight mark").count() == 0
    assert page.locator("#highlight .kw").first.inner_text() == "const"  # token colours


def test_the_page_times_each_edit_for_the_benchmark(page):
    """benchmarks/playground_latency.py reads window.netspecLatencies: one entry per edit
    shown, keystroke to table (no threshold here: speed lives in the benchmark)."""
    page.evaluate("window.netspecLatencies = []")
    page.locator("#editor").press("Control+End")
    page.locator("#editor").press("Space")
    page.wait_for_function("window.netspecLatencies.length === 1")
    assert page.evaluate("window.netspecLatencies[0]") > 0


STALE = """async (text) => {
    // the first check's answer is held until a newer keystroke, then let through at once:
    // it arrives within the debounce, before the newer check is even sent
    const editor = document.getElementById("editor");
    const real = window.fetch;
    let release;
    const held = new Promise((ok) => (release = ok));
    let first = true;
    window.fetch = (url, ...rest) => {
        if (!String(url).endsWith("/api/check") || !first) return real(url, ...rest);
        first = false;
        return real(url, ...rest).then(async (answer) => (await held, answer));
    };
    const seen = []; // every underline drawn
    const observer = new MutationObserver(() => {
        const marks = document.querySelectorAll("#highlight mark.error");
        for (const m of marks) seen.push(m.textContent);
    });
    observer.observe(document.getElementById("highlight"), { childList: true, subtree: true });
    const type = (value) => {
        editor.value = value;
        editor.dispatchEvent(new Event("input"));
    };
    const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));
    window.netspecLatencies = [];
    type(text);
    await sleep(400);
    type("# a line more, the offsets move\\n" + text);
    release();
    while (!document.querySelector("#highlight mark.error")) await sleep(20);
    await sleep(200);
    observer.disconnect();
    window.fetch = real;
    return [seen, window.netspecLatencies.length];
}"""


def test_an_answer_for_older_text_is_not_drawn_on_newer_text(page):
    seen, shown = page.evaluate(STALE, LENET.replace("conv(120, 5)", "conv(120, 50)"))
    assert seen and set(seen) == {"50"}  # never the old offsets on the new text
    assert shown == 1  # one answer shown: the newest text's
    page.locator("#editor").fill(LENET)
    page.wait_for_function("document.querySelectorAll('#diagnostics li').length === 0")
