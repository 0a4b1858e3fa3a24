"""Publishing a set of editions as one release: `_output/<version>/editions/`.

Every edition is rendered into one staging directory next to the releases; only when all of
them succeeded is the index page written and the whole folder moved into place in one
rename, the previous editions of that version renamed aside first and removed after.  A
failed run therefore leaves the previous release exactly as it was.
"""

from __future__ import annotations

import html
import io
import json
import os
import tarfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from quartowrap.errors import BuildError
from quartowrap.publish.release import (
    EDITIONS_DIR,
    apply_umask,
    normalise_mtimes,
    swap_into_place,
    write_checksums,
)


def pack(directory: Path) -> bytes:
    """A rendered edition as a gzipped tar, to send back from a worker on another machine."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz", format=tarfile.PAX_FORMAT) as archive:
        for path in sorted(directory.rglob("*")):
            archive.add(path, arcname=path.relative_to(directory).as_posix(), recursive=False)
    return buffer.getvalue()


def unpack(data: bytes, target: Path) -> None:
    """Unpack `pack`'s archive into `target`; members may not leave it (tarfile's data filter)."""
    target.mkdir(parents=True)
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
        archive.extractall(target, filter="data")


def _pdf_of(edition_dir: Path) -> str | None:
    pdfs = sorted(edition_dir.glob("*.pdf"))
    return pdfs[0].name if pdfs else None


def write_index(
    staging: Path,
    *,
    title: str,
    version: str,
    editions: Sequence[tuple[str, Mapping[str, Any]]],
) -> Path:
    """`index.html` (every edition, its values, links to its HTML and PDF) + `manifest.json`.

    A standalone page with its style inline: it works offline and from a file:// URL.
    Every value comes from the parameter table, so every one is escaped.
    """
    columns = list(dict.fromkeys(name for _, params in editions for name in params))
    esc = html.escape
    rows = []
    entries = []
    for name, params in editions:
        folder = staging / name
        pdf = _pdf_of(folder)
        site = f"{name}/html/index.html" if (folder / "html" / "index.html").is_file() else None
        links = []
        if site:
            links.append(f'<a href="{esc(site)}">HTML</a>')
        if pdf:
            links.append(f'<a href="{esc(name)}/{esc(pdf)}">PDF</a>')
        cells = "".join(f"<td>{esc(_text(params.get(c)))}</td>" for c in columns)
        rows.append(
            f'<tr id="edition-{esc(name)}"><th scope="row">{esc(name)}</th>{cells}'
            f"<td>{' · '.join(links)}</td></tr>"
        )
        entries.append(
            {
                "edition": name,
                "params": dict(sorted(params.items())),
                "html": site,
                "pdf": f"{name}/{pdf}" if pdf else None,
                "manifest": f"{name}/manifest.json",
            }
        )
    heads = "".join(f'<th scope="col">{esc(c)}</th>' for c in columns)
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{esc(title)} — editions {esc(version)}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 60rem;
  padding: 0 1rem; color: #1d1d1b; }}
h1 {{ color: #00594f; font-size: 1.6rem; }}
table {{ border-collapse: collapse; width: 100%; }}
th, td {{ text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #d0d0d0; }}
thead th {{ border-bottom: 2px solid #00594f; }}
a {{ color: #005f86; }}
</style>
</head>
<body>
<main>
<h1>{esc(title)}</h1>
<p>Version {esc(version)}: {len(editions)} editions, one per row of the parameter table.</p>
<table>
<thead><tr><th scope="col">Edition</th>{heads}<th scope="col">Files</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
</main>
</body>
</html>
"""
    (staging / "index.html").write_text(page, encoding="utf-8")
    manifest = {"title": title, "version": version, "editions": entries}
    (staging / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    return staging / "index.html"


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)


def publish_editions(staging: Path, output_root: Path, version: str, epoch: int) -> Path:
    """Move the finished editions into `<output_root>/<version>/editions/` in one rename.

    The release's other files (the default build of that version) are left alone; a later
    build of the book carries the editions over (`release.carry_over`).  Permissions follow
    the umask, as a release's do (the staging folder is private).
    """
    if not version or "/" in version or version.startswith("."):
        raise BuildError(f"invalid release version {version!r}")
    write_checksums(staging)
    normalise_mtimes(staging, epoch)
    apply_umask(staging)
    release = output_root / version
    release.mkdir(parents=True, exist_ok=True)
    target = release / EDITIONS_DIR
    swap_into_place(staging, target, release / f".{EDITIONS_DIR}-previous-{os.getpid()}")
    return target
