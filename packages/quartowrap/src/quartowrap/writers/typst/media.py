"""The PDF's images, copied into typst's own build folder so typst is compiled confined to it.

Why: typst can read any file under its `root` (`#read`, `#image`, `#json`); with the build
folder as root, nothing a chapter, a cell or a data file writes can reach the rest of the
machine.  So every image the book shows is copied (by content hash) into `media/` of that
folder and its path rewritten:
* a project-relative path (`img/x.png`, `/img/x.png`) or one relative to the chapter's folder;
* an absolute path the engine wrote itself (a cell's figure in `_freeze/`), if it lies in an
  allowed root;
* a `data:` URI, decoded into a file (typst has no data URIs);
* a remote image (`https://…`) is not fetched (no network at build time): its alt text is
  printed instead and a warning names the chapter and line.
A path that leaves the project and `--data-dir` is an error naming file:line.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from quartowrap.errors import BuildError
from quartowrap.model import AssembledBook, AssembledChapter
from quartowrap.project.confine import confine, is_url, line_of, resolved

MEDIA_DIR = "media"
_DATA_TYPES = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/gif": ".gif",
    "image/svg+xml": ".svg",
    "image/webp": ".webp",
}

Node = dict[str, Any]


@dataclasses.dataclass
class _Media:
    """Per-build state: where copies go, what may be read, what was said."""

    root: Path
    roots: tuple[Path, ...]
    directory: Path
    warnings: list[str]
    written: dict[str, str] = dataclasses.field(default_factory=dict)  # digest -> relative

    def store(self, data: bytes, name: str) -> str:
        digest = hashlib.sha256(data).hexdigest()[:16]
        if digest not in self.written:
            rel = f"{MEDIA_DIR}/{digest}-{name}"
            target = self.directory / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            self.written[digest] = rel
        return self.written[digest]


def _alt_text(node: Node) -> list[Node]:
    attr, inlines, _ = node["c"]
    alt = dict(attr[2]).get("fig-alt")
    if alt:
        return [{"t": "Str", "c": alt}]
    return list(inlines) or [{"t": "Str", "c": "[image]"}]


def _decode_data_uri(src: str) -> tuple[bytes, str] | None:
    """(bytes, extension) of a `data:` image, or None when it is not one typst can show."""
    head, sep, payload = src[5:].partition(",")
    if not sep:
        return None
    parts = head.split(";")
    ext = _DATA_TYPES.get(parts[0].strip().lower())
    if ext is None:
        return None
    try:
        if "base64" in (p.strip().lower() for p in parts[1:]):
            return base64.b64decode(payload, validate=False), ext
        return unquote(payload).encode("utf-8"), ext
    except (binascii.Error, ValueError):
        return None


def _candidates(src: str, chapter: AssembledChapter, root: Path) -> list[Path]:
    path = Path(unquote(src))
    if path.is_absolute():
        # an engine-written absolute path first; else Quarto's "/ = project root"
        return [path, root / src.lstrip("/")]
    return [root / chapter.ref.source.parent / path, root / path]


def _local(media: _Media, node: Node, chapter: AssembledChapter) -> Node | list[Node]:
    attr, inlines, (src, title) = node["c"]
    at = line_of(media.root, chapter.ref.source, src)
    if src.startswith("data:"):
        decoded = _decode_data_uri(src)
        if decoded is None:
            media.warnings.append(f"{at}: a data: image typst cannot show; its alt text is printed")
            return _alt_text(node)
        data, ext = decoded
        return {"t": "Image", "c": [attr, inlines, [media.store(data, "inline" + ext), title]]}
    if is_url(src):
        media.warnings.append(
            f"{at}: remote image {src} is not downloaded for the PDF (no network at build "
            "time); its alt text is printed instead"
        )
        return _alt_text(node)
    found = next((c for c in _candidates(src, chapter, media.root) if c.is_file()), None)
    if found is None:
        raise BuildError(f"image not found: {src}", at)
    real = confine(found, media.roots, "image", at)
    try:
        data = real.read_bytes()
    except OSError as exc:
        raise BuildError(f"cannot read image {src}: {exc.strerror or exc}", at) from None
    return {"t": "Image", "c": [attr, inlines, [media.store(data, real.name), title]]}


def _walk(value: Any, fix: Any) -> Any:
    """Bottom-up over a pandoc JSON AST; `fix` may return a node or a list of inlines."""
    if isinstance(value, list):
        out: list[Any] = []
        for item in value:
            new = _walk(item, fix)
            if isinstance(item, dict) and item.get("t") == "Image" and isinstance(new, list):
                out.extend(new)
            else:
                out.append(new)
        return out
    if isinstance(value, dict):
        node = {k: _walk(v, fix) for k, v in value.items()}
        return fix(node) if node.get("t") == "Image" else node
    return value


def localise_images(
    book: AssembledBook, directory: Path, roots: Sequence[Path], warnings: list[str]
) -> AssembledBook:
    """`book` with every image copied into `directory/media/` and its path made relative."""
    root = resolved(book.config.root)
    media = _Media(root, (root, *(resolved(r) for r in roots)), directory, warnings)
    chapters = []
    for chapter in book.chapters:
        blocks = _walk(chapter.ast.get("blocks", []), lambda n, c=chapter: _local(media, n, c))
        chapters.append(dataclasses.replace(chapter, ast={**chapter.ast, "blocks": blocks}))
    return dataclasses.replace(book, chapters=tuple(chapters))


__all__ = ["MEDIA_DIR", "localise_images"]
