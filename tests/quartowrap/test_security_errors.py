"""Clean errors (issue 11, case 13): a named file, no traceback, exit 1, previous release kept.

Symlink loops (data directory, data file), a read-only or full output disk (simulated: the
tests run as root, which ignores permissions) and the staging folders that killed builds
leave behind.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
import quartowrap.commands.render as render
import quartowrap.publish.release as release
from quartowrap.authoring.data import DataValidationError, load_table
from quartowrap.cli import main


def _book(tmp_path: Path) -> Path:
    root = tmp_path / "book"
    root.mkdir()
    (root / "_quarto.yml").write_text(
        'project:\n  type: book\nbook:\n  title: T\n  date: "2024"\n  chapters: [a.qmd]\n',
        encoding="utf-8",
    )
    (root / "a.qmd").write_text("# A\n\nProse only.\n", encoding="utf-8")
    return root


def _render(root: Path, *extra: str) -> int:
    return main(["render", "--project", str(root), "--to", "html", "--version", "1.0.0", *extra])


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()
    }


def test_symlink_loop_as_data_dir_is_a_clean_error(tmp_path: Path, capsys) -> None:
    root = _book(tmp_path)
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    assert _render(root, "--data-dir", str(loop)) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert f"error: {loop}" in err


def test_symlink_loop_as_data_file_names_the_file(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "codebook.yaml").write_text(
        "files:\n  a.csv:\n    description: d\n    columns:\n      x: {type: integer, label: X}\n",
        encoding="utf-8",
    )
    (data / "a.csv").symlink_to(data / "a.csv")
    with pytest.raises(DataValidationError) as err:
        load_table("a.csv", data)
    assert "a.csv" in str(err.value) and "cannot read" in str(err.value)


@pytest.mark.parametrize(
    ("code", "hint"),
    [(errno.ENOSPC, "the disk is full"), (errno.EROFS, "read-only")],
)
def test_full_or_read_only_disk_leaves_the_previous_release(
    tmp_path: Path, capsys, monkeypatch, code: int, hint: str
) -> None:
    root = _book(tmp_path)
    assert _render(root) == 0
    published = root / "_output" / "1.0.0"
    before = _snapshot(published)
    (root / "a.qmd").write_text("# A\n\nChanged prose.\n", encoding="utf-8")

    def fail(staging: Path) -> None:
        raise OSError(code, os.strerror(code), str(staging / "SHA256SUMS"))

    monkeypatch.setattr(render, "write_checksums", fail)
    capsys.readouterr()
    assert _render(root) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "SHA256SUMS" in err and hint in err and "previous release is untouched" in err
    assert _snapshot(published) == before
    assert not list((root / "_output").glob(".staging-*"))


def test_output_folder_that_cannot_be_written_is_a_clean_error(
    tmp_path: Path, capsys, monkeypatch
) -> None:
    root = _book(tmp_path)

    def read_only(*args, **kwargs):
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(root / "_output"))

    monkeypatch.setattr(release.tempfile, "mkdtemp", read_only)
    assert _render(root) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and f"{root / '_output'}: " in err


def test_staging_folders_of_killed_builds_are_removed(tmp_path: Path) -> None:
    root = _book(tmp_path)
    output = root / "_output"
    dead = output / ".staging-999999999-abc"  # no such pid
    old = output / ".staging-oldnaming"
    for folder in (dead, old):
        (folder / "html").mkdir(parents=True)
        (folder / "html" / "index.html").write_text("half", encoding="utf-8")
    os.utime(old, (0, 0))
    running = output / f".staging-{os.getppid()}-xyz"  # a live process: left alone
    running.mkdir()
    assert _render(root) == 0
    assert not dead.exists() and not old.exists()
    assert running.exists()


def test_figure_without_alt_text_names_file_and_line_under_strict(tmp_path: Path) -> None:
    from quartowrap.assemble.book import assemble_book
    from quartowrap.errors import UnresolvedReferenceError
    from quartowrap.model import BookConfig, ChapterRef, ExecutedChapter, FigureOutput

    root = tmp_path / "book"
    (root / "chapters").mkdir(parents=True)
    source = "# C\n\nText.\n\n```{python}\n#| label: fig-bare\n#| fig-cap: Bare\nplot()\n```\n"
    (root / "chapters" / "c.qmd").write_text(source, encoding="utf-8")
    svg = root / "bare.svg"
    svg.write_text('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>', "utf-8")
    chapter = ExecutedChapter(
        Path("chapters/c.qmd"),
        {},
        f"# C\n\nText.\n\n![Bare]({svg}){{#fig-bare}}\n",
        figures=(FigureOutput("fig-bare", "Bare", None, svg),),
    )
    config = BookConfig(root=root, title="T", chapters=(ChapterRef(Path("chapters/c.qmd")),))
    book = assemble_book(config, [chapter])
    with pytest.raises(UnresolvedReferenceError) as err:
        render._check_alt_text(book, strict=True)
    assert "chapters/c.qmd:6: figure @fig-bare has no alt text" in str(err.value)
