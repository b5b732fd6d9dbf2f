"""The Markdown renderer: ordinary formatting, and bounded time on the worst inputs a form accepts."""

import time

import pytest

from intranet.core import text
from intranet.core.text import render_markdown

N = text.MAX_LENGTH

# The inputs that made Python-Markdown (and many other renderers) quadratic or recurse.
WORST_INPUTS = {
    "brackets": "[" * N,
    "backticks": "`" * N,
    "open links": "[a](" * (N // 4),
    "stars": "*" * N,
    "underscores": "_" * N,
    "quote marks": ">" * N,
    "angle brackets": "<" * N,
    "image openers": "![" * (N // 2),
    "bracket parens": "](" * (N // 2),
    "star words": "*a" * (N // 2),  # a star between letters: the gender star, inert
    "starred words": "*a " * (N // 3),  # every star opens or closes
    "nested lists": "- " * (N // 2),
    "nested ordered lists": "1. " * (N // 3),
    "indented lists": "".join("  " * i + "- x\n" for i in range(140)),
    "nested quotes": "> " * (N // 2),
    "wide table": "|" * (N // 2) + "\n" + "|-" * (N // 4),
    "wide table with text": "|a" * (N // 4) + "\n" + "|-" * (N // 4) + "\n" + "|b" * (N // 4),
    "mixture": "[*_`<" * (N // 5),
    "alternating emphasis": "*a_" * (N // 3),
    "nested emphasis": "*_" * (N // 4) + "x" + "_*" * (N // 4),
    "matched brackets": "[" * (N // 2) + "]" * (N // 2),
    "brackets before text": "[" * 200 + "a" * (N - 200),
    "brackets spread": ("[" + "a" * 99) * (N // 100),
    "open parens": "[a](" + "(" * (N - 4),
    "spaces in a link": "[a](b" + " " * (N - 6) + "x",
    "autolink openers": "<http://" * (N // 8),
    "backtick words": "`a" * (N // 2),
    "code fences": "```\n" * (N // 4),
    "headings": "#" * N,
    "heading with spaces": "# " + " " * (N - 3) + "x",
    "many lines": "a\n" * (N // 2),
    "escapes": "\\" * N,
    "tabs": "\t" * N,
    "ordinary text": (
        "Ein **fetter** Satz mit [Link](https://example.org) und `code`.\n\n- eins\n- zwei\n\n"
    )
    * (N // 80),
}


def test_the_worst_inputs_render_in_bounded_time():
    timings = {}
    for name, value in WORST_INPUTS.items():
        value = value[:N]
        started = time.perf_counter()
        render_markdown(value)
        timings[name] = time.perf_counter() - started
    slowest = max(timings, key=timings.get)
    # Generous, so a busy machine does not make it flaky; measured well below 0.2 s.
    assert timings[slowest] < 0.5, (slowest, timings[slowest])


@pytest.mark.parametrize(
    "source, expected",
    [
        ("# Titel", "<h3>Titel</h3>"),
        ("## Unterpunkt ##", "<h3>Unterpunkt</h3>"),  # the text's top level sits below h2
        ("### Drei", "<h3>Drei</h3>"),
        ("# A\n\n### B\n\n###### C", "<h3>A</h3>\n<h4>B</h4>\n<h5>C</h5>"),  # no level skipped
        ("Titel\n=====", "<h3>Titel</h3>"),
        ("*kursiv* und _auch_", "<em>kursiv</em> und <em>auch</em>"),
        ("dateiname_mit_strichen", "dateiname_mit_strichen"),
        ("`a < b`", "<code>a &lt; b</code>"),
        ("1. eins\n2. zwei", "<ol>\n<li>eins</li>\n<li>zwei</li>\n</ol>"),
        ("- a\n  - b", "<ul>\n<li>a\n<ul>\n<li>b</li>\n</ul></li>\n</ul>"),
        ("> zitiert", "<blockquote>\n<p>zitiert</p>\n</blockquote>"),
        ("Zeile  \nUmbruch", "<p>Zeile<br>\nUmbruch</p>"),
        ("```\n<b>\n```", "<pre><code>&lt;b&gt;\n</code></pre>"),
        ("| a | b |\n|---|--:|\n| 1 | 2 |", '<td align="right">2</td>'),
        ("<https://example.org>", 'href="https://example.org"'),
        ("[W](https://de.wikipedia.org/wiki/A_(B))", 'href="https://de.wikipedia.org/wiki/A_(B)"'),
        ("\\*kein\\* Stern", "*kein* Stern"),
    ],
)
def test_ordinary_markdown(source, expected):
    assert expected in render_markdown(source)


@pytest.mark.parametrize(
    "source, expected",
    [
        ("Bürger*innen und Teilnehmer*innen", "<p>Bürger*innen und Teilnehmer*innen</p>"),
        ("alle Teilnehmer*innen (*)", "<p>alle Teilnehmer*innen (*)</p>"),
        ("*Bürger*innen* laden ein", "<p><em>Bürger*innen</em> laden ein</p>"),
        ("**Teilnehmer*innen**", "<p><strong>Teilnehmer*innen</strong></p>"),
        (
            "Haupt**bahnhof** und *kursiv*",
            "<p>Haupt<strong>bahnhof</strong> und <em>kursiv</em></p>",
        ),
        ("2*3*4", "<p>2*3*4</p>"),
    ],
)
def test_a_star_between_letters_is_the_gender_star_not_emphasis(source, expected):
    """German minutes write "Bürger*innen" often; CommonMark would make "innen und
    Teilnehmer" italic and drop both stars."""
    assert render_markdown(source) == expected
    assert text.markdown_to_plain(source).count("*innen") == source.count("*innen")


def test_deep_nesting_stops_at_the_bound_and_keeps_the_text():
    html = render_markdown("> " * 50 + "innen")
    assert html.count("<blockquote>") == text.MAX_DEPTH and "innen" in html


# --- Plain text for calendar descriptions ------------------------------------------------------


@pytest.mark.parametrize(
    "source, expected",
    [
        ("", ""),
        ("# Ablauf\n\nText", "Ablauf\n\nText"),
        ("**fett** und *kursiv* und `code`", "fett und kursiv und code"),
        ("[Formular](https://a.example/x)", "Formular (https://a.example/x)"),
        ("<https://a.example>", "https://a.example"),
        ("[Mail](mailto:a@example.org)", "Mail"),
        ("[x](javascript:alert(1))", "x"),
        ("- eins\n- zwei\n  1. a\n  2. b\n- drei", "• eins\n• zwei\n  1. a\n  2. b\n• drei"),
        ("> Zitat\n\nDanach", "Zitat\n\nDanach"),
        ("Zeile  \nUmbruch", "Zeile\nUmbruch"),
        ("| a | b |\n|---|---|\n| 1 | 2 |", "a | b\n1 | 2"),
        ("<script>x</script> &amp; 1 < 2", "<script>x</script> &amp; 1 < 2"),
        ("snake_case_name bleibt", "snake_case_name bleibt"),
    ],
)
def test_markdown_to_plain_keeps_the_words_and_drops_the_signs(source, expected):
    assert text.markdown_to_plain(source) == expected


def test_markdown_to_plain_is_linear_on_hostile_text():
    hostile_texts = ("[" * 20_000, "*a" * 10_000, "*a " * 7_000, "- " * 5_000, "> " * 5_000)
    for hostile in (*hostile_texts, "[a](" * 4_000):
        start = time.perf_counter()
        text.markdown_to_plain(hostile)
        assert time.perf_counter() - start < 2
