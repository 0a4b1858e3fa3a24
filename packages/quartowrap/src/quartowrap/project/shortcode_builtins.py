"""Quarto's extension shortcodes `kbd`, `version`, `lipsum`, `placeholder`, `video`, `contents`.

Each becomes markdown before pandoc reads the chapter (as the value shortcodes in
`shortcodes.py` do), so both writers see it: HTML-only markup travels as a raw `{=html}`
piece and its stand-in for the PDF as `.content-hidden when-format="html"` content (resolved
per writer by `assemble/conditional.py`), which is how Quarto's own Lua shortcodes differ
by format (quarto-cli `src/resources/extensions/quarto/*`).  Text from a shortcode's
arguments is escaped for the place it goes: HTML attribute/text, or a markdown code span.

Differences from Quarto, on purpose: `lipsum random=true` gives the same paragraphs on every
build (builds are reproducible); `placeholder` draws an SVG in HTML and a grey box in the
PDF (Quarto fetches a PNG over the network unless `format=svg`); a video file plays in a
plain `<video controls>` element (Quarto adds video.js); `version` prints quartowrap's.
"""

from __future__ import annotations

import base64
import html
import random
import re
from collections.abc import Callable

from quartowrap.errors import ConfigError
from quartowrap.model import SourceLocation

# What a shortcode gives back: inline markdown, or block lines (it must stand alone).
Inline = str
BlockLines = list[str]
Result = Inline | BlockLines


def _split(args: list[str]) -> tuple[list[str], dict[str, str]]:
    """Positional arguments and `key=value` pairs, as Quarto passes them to a shortcode."""
    positional, named = [], {}
    for arg in args:
        key, eq, value = arg.partition("=")
        if eq and re.fullmatch(r"[A-Za-z][\w-]*", key):
            named[key] = value.strip("\"'")
        else:
            positional.append(arg)
    return positional, named


def _code(text: str) -> str:
    """`text` as a markdown code span, whatever backticks it holds."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def _raw_html(markup: str) -> str:
    return _code(markup) + "{=html}"


def _not_in_html(markdown: str) -> str:
    return f'[{markdown}]{{.content-hidden when-format="html"}}'


# --------------------------------------------------------------------------------------
# kbd
# --------------------------------------------------------------------------------------
_OS_NAMES = {"win": "windows", "mac": "mac", "linux": "linux"}


def kbd(args: list[str], at: SourceLocation, **_: object) -> Result:
    """Keyboard keys: `<kbd>` in HTML (with per-OS data attributes), code in the PDF."""
    positional, named = _split(args)
    if not positional and not named:
        raise ConfigError("shortcode 'kbd' needs keys: {{< kbd Ctrl-C >}}", at)
    attrs = "".join(
        f' data-{_OS_NAMES.get(k, k)}="{html.escape(v)}"' for k, v in sorted(named.items())
    )
    default = positional[0] if positional else ""
    shown = html.escape(default)
    markup = (
        f'<kbd aria-hidden="true"{attrs}>{shown}</kbd><span class="visually-hidden">{shown}</span>'
    )
    if positional:
        text = _code(default)
        if named:
            text += " (" + "; ".join(f"{_OS_NAMES.get(k, k)}: {_code(v)}" for k, v in named.items())
            text += ")"
    else:
        text = ", ".join(f"{_code(v)} ({_OS_NAMES.get(k, k)})" for k, v in named.items())
    return _raw_html(markup) + _not_in_html(text)


# --------------------------------------------------------------------------------------
# version
# --------------------------------------------------------------------------------------
def version(args: list[str], at: SourceLocation, **_: object) -> Result:
    """The renderer's version (Quarto prints its own; this engine is the renderer here)."""
    from quartowrap import __version__

    return __version__


# --------------------------------------------------------------------------------------
# lipsum
# --------------------------------------------------------------------------------------
_FILLER = (
    "lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt "
    "ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco "
    "laboris nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate "
    "velit esse cillum fugiat nulla pariatur excepteur sint occaecat cupidatat non proident "
    "sunt culpa qui officia deserunt mollit anim id est laborum praesent vitae mauris "
    "fermentum tincidunt curabitur vel nunc auctor integer sagittis felis porta"
)
_WORDS = tuple(_FILLER.split(" "))
_PARAGRAPHS = 20


def _lipsum_paragraphs() -> list[str]:
    """Twenty fixed filler paragraphs (seeded, so every build prints the same)."""
    rng = random.Random(20240501)
    paragraphs = []
    for i in range(_PARAGRAPHS):
        sentences = []
        for j in range(rng.randint(4, 7)):
            words = [rng.choice(_WORDS) for _ in range(rng.randint(7, 14))]
            if i == 0 and j == 0:
                words = ["lorem", "ipsum", "dolor", "sit", "amet", *words[5:]]
            sentences.append(" ".join(words).capitalize() + ".")
        paragraphs.append(" ".join(sentences))
    return paragraphs


LIPSUM = _lipsum_paragraphs()


def lipsum(args: list[str], at: SourceLocation, **_: object) -> Result:
    """Filler paragraphs: `lipsum` (1–5), `lipsum 3` (three), `lipsum 2-4` (a range)."""
    positional, _named = _split(args)
    start, end = 1, 5
    if positional:
        spec = positional[0]
        if m := re.fullmatch(r"(\d+)-(\d+)", spec):
            start, end = int(m[1]), int(m[2])
        elif spec.isdigit():
            end = start + int(spec) - 1
        else:
            raise ConfigError(f"lipsum: expected a count or a range like 2-4, got {spec!r}", at)
    step = 1 if end >= start else -1
    indexes = range(start, end + step, step)
    lines: list[str] = []
    for index in indexes:
        lines += [LIPSUM[(index - 1) % len(LIPSUM)], ""]
    return lines[:-1]


# --------------------------------------------------------------------------------------
# placeholder
# --------------------------------------------------------------------------------------
def placeholder(args: list[str], at: SourceLocation, **_: object) -> Result:
    """A grey image of the given size with its size written on it (`placeholder 400 200`)."""
    positional, _named = _split(args)
    sizes = positional[:2] or ["100"]
    if not all(s.isdigit() and 0 < int(s) <= 10000 for s in sizes):
        raise ConfigError(f"placeholder: sizes must be whole pixels, got {' '.join(sizes)}", at)
    width = int(sizes[0])
    height = int(sizes[1]) if len(sizes) > 1 else width
    font = max(1, int(0.1 * min(width, height)))
    svg = (
        f'<svg width="{width}" height="{height}" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {width} {height}"><rect width="{width}" height="{height}" fill="#ddd"/>'
        f'<text x="50%" y="50%" font-family="sans-serif" font-size="{font}" fill="#000" '
        f'text-anchor="middle">{width} x {height}</text></svg>'
    )
    uri = "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
    img = f'<img src="{uri}" width="{width}" height="{height}" alt="">'
    box = f"#box(width: {width * 0.75}pt, height: {height * 0.75}pt, fill: luma(221))"
    return _raw_html(img) + _code(box) + "{=typst}"


# --------------------------------------------------------------------------------------
# video
# --------------------------------------------------------------------------------------
_YOUTUBE = (
    re.compile(r"^https://www\.youtube\.com/embed/(?P<id>.+)$"),
    re.compile(r"^https://www\.youtube-nocookie\.com/embed/(?P<id>.+)$"),
    re.compile(r"^https://youtu\.be/(?P<id>.+)$"),
    re.compile(r"\?v=(?P<id>[^&]+)"),
)
_VIMEO = re.compile(r"^https://vimeo\.com/(?P<id>.+)$")
_RATIOS = {"1x1", "4x3", "16x9", "21x9"}


def _video_markup(src: str, named: dict[str, str]) -> tuple[str, bool]:
    """The player's HTML and whether it is a (responsive-capable) iframe."""
    esc = html.escape
    title = esc(named.get("title", ""))
    size = "".join(f' {k}="{esc(named[k])}"' for k in ("width", "height") if named.get(k))
    for pattern in _YOUTUBE:
        if m := pattern.search(src):
            start = f"?start={esc(named['start'])}" if named.get("start") else ""
            url = "https://www.youtube.com/embed/" + m["id"]
            return (
                f'<iframe data-external="1" src="{esc(url)}{start}"{size} title="{title}" '
                'frameborder="0" allow="accelerometer; autoplay; clipboard-write; '
                'encrypted-media; gyroscope; picture-in-picture" allowfullscreen></iframe>',
                True,
            )
    if m := _VIMEO.match(src):
        url = "https://player.vimeo.com/video/" + m["id"]
        return (
            f'<iframe data-external="1" src="{esc(url)}"{size} title="{title}" frameborder="0" '
            'allow="autoplay; fullscreen; picture-in-picture" allowfullscreen></iframe>',
            True,
        )
    if src.startswith("https://players.brightcove.net"):
        return (
            f'<iframe data-external="1" src="{esc(src)}"{size} allowfullscreen="" '
            f'title="{title}" allow="encrypted-media"></iframe>',
            True,
        )
    return (
        f'<video{size} class="video" controls preload="metadata" title="{title}">'
        f'<source src="{esc(src)}"></video>',
        False,
    )


def video(args: list[str], at: SourceLocation, **_: object) -> Result:
    """A video: an embedded player in HTML (YouTube, Vimeo, Brightcove, or a file), a link
    to it in the PDF, as Quarto's `video` shortcode."""
    positional, named = _split(args)
    src = named.get("src") or (positional[0] if positional else "")
    if not src:
        raise ConfigError("shortcode 'video' needs a source: {{< video URL >}}", at)
    markup, iframe = _video_markup(src, named)
    ratio = named.get("aspect-ratio") or named.get("aspectRatio") or "16x9"
    responsive = iframe and not named.get("width") and not named.get("height")
    classes = "quarto-video" + (
        f" ratio ratio-{ratio if ratio in _RATIOS else '16x9'}" if responsive else ""
    )
    link = f"[{_code(src)}](<{src}>)" if " " not in src and ">" not in src else _code(src)
    return [
        "```{=html}",
        f'<div class="{classes}">{markup}</div>',
        "```",
        "",
        '::: {.content-hidden when-format="html"}',
        link,
        ":::",
    ]


# --------------------------------------------------------------------------------------
# contents
# --------------------------------------------------------------------------------------
def contents(args: list[str], at: SourceLocation, **_: object) -> Result:
    """A marker the assembler replaces with the element of that id, moved from where it was."""
    positional, _named = _split(args)
    if not positional or not re.fullmatch(r"[\w:.-]+", positional[0]):
        raise ConfigError("shortcode 'contents' needs an id: {{< contents my-id >}}", at)
    return [f'::: {{.quartowrap-contents target="{positional[0]}"}}', ":::"]


Handler = Callable[..., Result]
BUILTINS: dict[str, Handler] = {
    "kbd": kbd,
    "version": version,
    "lipsum": lipsum,
    "placeholder": placeholder,
    "video": video,
    "contents": contents,
}
