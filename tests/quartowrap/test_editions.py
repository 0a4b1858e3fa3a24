"""Editions: `render --params-table FILE.csv` renders one release per row, published as one."""

from __future__ import annotations

import json
import subprocess
import textwrap
from pathlib import Path

import pytest
from quartowrap.cli import main
from quartowrap.commands.editions import EditionProgress, EditionResult, render_editions
from quartowrap.errors import ConfigError
from quartowrap.execute.freeze import FREEZE_DIR, PARAMS_DIR, params_store
from quartowrap.model import RenderOptions
from quartowrap.progress import Progress
from quartowrap.project.config import load_book_config
from quartowrap.project.params_table import book_declarations, read_params_table

CHAPTER = """\
    # Zone factsheet {#sec-zone}

    ```{python}
    #| tags: [parameters]
    zone = "Belgium"
    rounds = 2
    ```

    ```{python}
    #| include: false
    import matplotlib.pyplot as plt
    if zone == "Boom":
        raise ValueError("no data for this zone")
    ```

    Edition `{python} zone` after `{python} rounds` rounds.

    ```{python}
    #| label: fig-zone
    #| fig-cap: "Bars of the zone"
    #| fig-alt: "Two bars whose heights depend on the zone's name."
    fig, ax = plt.subplots(figsize=(3, 2))
    ax.bar(["a", "b"], [len(zone), rounds])
    ax.set_title(zone)
    ```
    """


def make_book(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "_quarto.yml").write_text(
        "project:\n  type: book\nbook:\n  title: Zone book\n  chapters:\n    - index.qmd\n"
        "execute:\n  freeze: auto\n",
        encoding="utf-8",
    )
    (root / "index.qmd").write_text(textwrap.dedent(CHAPTER), encoding="utf-8")
    return root


def write_table(path: Path, text: str) -> Path:
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _declared(root: Path) -> dict:
    return book_declarations(load_book_config(root))


# ------------------------------------------------------------------ the table, checked


def test_cells_are_typed_by_the_declared_default(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book")
    table = write_table(tmp_path / "p.csv", "edition,zone,rounds\nz-007,007,3\nz-gent,Gent,\n")
    editions = read_params_table(table, _declared(root), {"rounds": 9})
    assert [(e.name, e.params, e.row) for e in editions] == [
        ("z-007", {"zone": "007", "rounds": 3}, 2),  # a string default keeps "007" as written
        ("z-gent", {"zone": "Gent", "rounds": 9}, 3),  # an empty cell keeps the -P value
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("zone,rounds\nA,1\n", "p.csv:1: no `edition` column"),
        ("edition,zoen\na,A\n", "p.csv:1:zoen: unknown parameter (the book declares: rounds,"),
        ("edition,zone,rounds\na,A,1\nb,B,x\n", "p.csv:3:rounds: parameter 'rounds' expects int"),
        ("edition,zone\n../up,A\n", "p.csv:2:edition: '../up' is not a safe edition name"),
        ("edition,zone\n.hidden,A\n", "p.csv:2:edition: '.hidden' is not a safe edition name"),
        ("edition,zone\nmy zone,A\n", "p.csv:2:edition: 'my zone' is not a safe edition name"),
        ("edition,zone\nGent,A\ngent,B\n", "p.csv:3:edition: edition 'gent' is already named on"),
        ("edition,zone\na,A\nb,A\n", "p.csv:3: the same parameter values as edition 'a' (row 2)"),
        ("edition,zone\na,A,extra\n", "p.csv:2: 3 cells, the header has 2"),
        ("edition,zone\n", "p.csv:1: the parameter table has no editions"),
    ],
)
def test_bad_tables_name_file_row_and_column(tmp_path: Path, text: str, expected: str) -> None:
    root = make_book(tmp_path / "book")
    table = write_table(tmp_path / "p.csv", text)
    with pytest.raises(ConfigError) as error:
        read_params_table(table, _declared(root), shown_as=Path("p.csv"))
    assert str(error.value).startswith(expected), str(error.value)


def test_a_missing_table_is_named(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book")
    with pytest.raises(ConfigError, match=r"cannot read the parameter table nope\.csv: No such"):
        read_params_table(tmp_path / "nope.csv", _declared(root), shown_as=Path("nope.csv"))


def test_cli_rejects_a_bad_table_before_rendering(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_book(tmp_path / "book")
    table = write_table(tmp_path / "p.csv", "edition,zoen\na,A\n")
    code = main(["render", "--project", str(root), "--params-table", str(table), "--to", "html"])
    assert code == 1
    assert "p.csv:1:zoen: unknown parameter" in capsys.readouterr().err
    assert not (root / "_output").exists() or not any((root / "_output").iterdir())


def test_workers_must_be_positive_and_need_a_table(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book")
    table = write_table(tmp_path / "p.csv", "edition,zone\na,A\n")
    with pytest.raises(ConfigError, match="--workers 0: give at least 1"):
        render_editions(root, table, workers=0, progress=Progress(plain=True, quiet=True))
    assert main(["render", "--project", str(root), "--workers", "2"]) == 1


def test_each_set_of_values_has_its_own_freeze_store() -> None:
    assert params_store(None) is None and params_store({}) is None
    one, two = params_store({"zone": "A"}), params_store({"zone": "B"})
    assert one and two and one != two
    assert params_store({"zone": "A", "rounds": 1}) == params_store({"rounds": 1, "zone": "A"})


def test_progress_line_has_time_count_and_time_left() -> None:
    import io

    stream = io.StringIO()
    bar = EditionProgress(Progress(stream, plain=True), total=4)
    bar.finished(EditionResult("zone-a", 2.5))
    bar.finished(EditionResult("zone-b", 1.0, error="index.qmd:9: boom"))
    first, second = stream.getvalue().splitlines()
    assert "1/4" in first and "zone-a: ok in 2.5 s" in first and "left)" in first
    assert "2/4" in second and "zone-b: FAILED" in second


def test_archives_from_workers_unpack_inside_their_folder(tmp_path: Path) -> None:
    import io
    import tarfile

    from quartowrap.publish.editions import pack, unpack

    edition = tmp_path / "built"
    (edition / "html").mkdir(parents=True)
    (edition / "html" / "index.html").write_text("<p>zone</p>", encoding="utf-8")
    (edition / "manifest.json").write_text("{}", encoding="utf-8")
    unpack(pack(edition), tmp_path / "published" / "zone-01")
    assert (tmp_path / "published" / "zone-01" / "html" / "index.html").read_text() == (
        "<p>zone</p>"
    )
    # a member that climbs out of the edition's folder is refused
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        data = b"escaped"
        info = tarfile.TarInfo("../outside.txt")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    with pytest.raises(tarfile.OutsideDestinationError):
        unpack(buffer.getvalue(), tmp_path / "published" / "zone-02")
    assert not (tmp_path / "published" / "outside.txt").exists()


# ------------------------------------------------------------------ rendering (slow)


def _svgs(edition: Path) -> bytes:
    return (edition / "figures" / "fig-zone.svg").read_bytes()


@pytest.mark.slow
def test_editions_are_complete_isolated_and_indexed(tmp_path: Path) -> None:
    root = make_book(tmp_path / "book")
    table = write_table(tmp_path / "p.csv", "edition,zone,rounds\ngent,Gent,3\nmons,Mons,4\n")
    result = render_editions(
        root,
        table,
        RenderOptions(to=("html",), version="1.0.0"),
        workers=1,
        progress=Progress(plain=True, quiet=True),
    )
    assert not result.failed
    editions = root / "_output" / "1.0.0" / "editions"
    assert result.editions_dir == editions
    for name, zone, rounds in (("gent", "Gent", 3), ("mons", "Mons", 4)):
        edition = editions / name
        page = (edition / "html" / "index.html").read_text(encoding="utf-8")
        assert f"Edition {zone} after {rounds} rounds." in page
        manifest = json.loads((edition / "manifest.json").read_text())
        assert manifest["params"] == {"zone": zone, "rounds": rounds}
        assert manifest["edition"] == name and manifest["version"] == "1.0.0"
        check = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=edition)
        assert check.returncode == 0
    # isolation: different figures, one freeze store per set of values, default store untouched
    assert _svgs(editions / "gent") != _svgs(editions / "mons")
    assert b"Gent" in _svgs(editions / "gent") and b"Mons" in _svgs(editions / "mons")
    stores = {p.name for p in (root / FREEZE_DIR / PARAMS_DIR).iterdir()}
    assert stores == {
        params_store({"zone": "Gent", "rounds": 3}),
        params_store({"zone": "Mons", "rounds": 4}),
    }
    assert not (root / FREEZE_DIR / "index").exists()
    # the index page links every edition to files that exist
    index = (editions / "index.html").read_text(encoding="utf-8")
    for name in ("gent", "mons"):
        assert f'href="{name}/html/index.html"' in index
        assert (editions / name / "html" / "index.html").is_file()
    listed = json.loads((editions / "manifest.json").read_text())["editions"]
    assert [(e["edition"], e["params"]) for e in listed] == [
        ("gent", {"rounds": 3, "zone": "Gent"}),
        ("mons", {"rounds": 4, "zone": "Mons"}),
    ]
    assert [p.name for p in (root / "_output").iterdir() if p.name.startswith(".")] == []


@pytest.mark.slow
def test_a_failed_edition_is_named_the_others_finish_and_nothing_is_published(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_book(tmp_path / "book")
    previous = root / "_output" / "1.0.0" / "editions"
    previous.mkdir(parents=True)
    (previous / "index.html").write_text("the previous release", encoding="utf-8")
    table = write_table(tmp_path / "p.csv", "edition,zone\ngent,Gent\nboom,Boom\nmons,Mons\n")
    args = ["render", "--project", str(root), "--params-table", str(table), "--to", "html"]
    code = main([*args, "--version", "1.0.0", "--workers", "2"])
    err = capsys.readouterr().err
    assert code == 1
    assert "edition boom failed: index.qmd:" in err and "no data for this zone" in err
    assert "1 of 3 editions failed (boom)" in err
    # the other two rendered (their progress lines say ok) …
    assert "gent: ok" in err and "mons: ok" in err
    # … but the release is the previous one, byte for byte, and no staging is left behind
    assert [p.name for p in previous.iterdir()] == ["index.html"]
    assert (previous / "index.html").read_text(encoding="utf-8") == "the previous release"
    assert [p.name for p in (root / "_output").iterdir() if p.name.startswith(".")] == []


@pytest.mark.slow
def test_editions_on_a_dask_local_cluster(tmp_path: Path) -> None:
    distributed = pytest.importorskip("distributed")
    root = make_book(tmp_path / "book")
    table = write_table(tmp_path / "p.csv", "edition,zone\ngent,Gent\nmons,Mons\n")
    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
    ):
        result = render_editions(
            root,
            table,
            RenderOptions(to=("html",), version="2.0.0"),
            scheduler=cluster.scheduler_address,
            progress=Progress(plain=True, quiet=True),
        )
    assert not result.failed
    editions = root / "_output" / "2.0.0" / "editions"
    for name, zone in (("gent", "Gent"), ("mons", "Mons")):
        page = (editions / name / "html" / "index.html").read_text(encoding="utf-8")
        assert f"Edition {zone} after 2 rounds." in page
        assert (editions / name / "figures" / "fig-zone.svg").is_file()
    assert 'href="mons/html/index.html"' in (editions / "index.html").read_text(encoding="utf-8")


def test_a_new_build_of_a_version_carries_its_editions_over(tmp_path: Path) -> None:
    from quartowrap.publish.release import publish

    output = tmp_path / "_output"
    editions = output / "1.0.0" / "editions"
    (editions / "gent").mkdir(parents=True)
    (editions / "gent" / "page.html").write_text("Gent", encoding="utf-8")
    (output / "1.0.0" / "old.html").write_text("old build", encoding="utf-8")
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "new.html").write_text("new build", encoding="utf-8")
    before = (editions / "gent" / "page.html").stat().st_ino
    publish(staging, output, "1.0.0", link_latest=False)
    release = output / "1.0.0"
    assert sorted(p.name for p in release.iterdir()) == ["editions", "new.html"]
    page = release / "editions" / "gent" / "page.html"
    assert page.read_text(encoding="utf-8") == "Gent"
    assert page.stat().st_ino == before and page.stat().st_nlink == 1  # linked, not copied
    assert [p.name for p in output.iterdir()] == ["1.0.0"]  # nothing left aside


def test_a_worker_reads_the_commit_once_per_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import quartowrap.publish.release as release

    calls: list[tuple[str, ...]] = []
    monkeypatch.setattr(release, "_git", lambda root, *args: calls.append(args) or None)
    store: dict = {}
    with release.remembered_git_states(store):
        first = release.git_state(tmp_path)
        assert release.git_state(tmp_path / ".") is first  # the same checkout
    assert len(calls) == 1 and list(store) == [str(tmp_path.resolve())]
    release.git_state(tmp_path)  # outside the block: read again
    assert len(calls) == 2


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.slow
def test_book_and_editions_of_one_version_do_not_remove_each_other(tmp_path: Path) -> None:
    import stat

    from quartowrap.commands.render import render_project
    from quartowrap.publish.release import current_umask

    root = make_book(tmp_path / "book")
    quiet = Progress(plain=True, quiet=True)
    release = root / "_output" / "1.0.0"
    render_project(root, RenderOptions(version="1.0.0"), progress=quiet)
    book = {k: v for k, v in _tree(release).items() if not k.startswith("editions/")}
    assert "html/index.html" in book and any(k.endswith(".pdf") for k in book)

    table = write_table(tmp_path / "p.csv", "edition,zone\ngent,Gent\nmons,Mons\n")
    result = render_editions(
        root, table, RenderOptions(to=("html",), version="1.0.0"), workers=1, progress=quiet
    )
    assert not result.failed
    # the editions render left the book's own files as they were, byte for byte
    after = _tree(release)
    assert {k: v for k, v in after.items() if not k.startswith("editions/")} == book
    assert subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=release).returncode == 0
    editions = {k: v for k, v in after.items() if k.startswith("editions/")}
    assert "editions/gent/html/index.html" in editions and "editions/index.html" in editions
    mode = stat.S_IMODE((release / "editions").stat().st_mode)
    assert mode == 0o777 & ~current_umask()  # readable by a web server, as a release is

    # a later build of the book itself (its prose changed) keeps that version's editions
    chapter = root / "index.qmd"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nA sentence added later.\n")
    render_project(root, RenderOptions(to=("html",), version="1.0.0"), progress=quiet)
    rebuilt = _tree(release)
    assert "A sentence added later." in rebuilt["html/index.html"].decode("utf-8")
    assert {k: v for k, v in rebuilt.items() if k.startswith("editions/")} == editions
    check = subprocess.run(["sha256sum", "-c", "--quiet", "SHA256SUMS"], cwd=release / "editions")
    assert check.returncode == 0
    assert [p.name for p in (root / "_output").iterdir() if p.name.startswith(".")] == []
    assert [p.name for p in release.iterdir() if p.name.startswith(".")] == []


# ------------------------------------------------------------------ the flagship's factsheets

REPO = Path(__file__).resolve().parents[2]


def _independent_counts(region: str) -> tuple[int, dict[str, float]]:
    """Respondents of `region` and its % per score of readiness to change, read with csv."""
    import csv

    with (REPO / "data" / "survey" / "professionals.csv").open(encoding="utf-8-sig") as handle:
        rows = [row for row in csv.DictReader(handle) if row["region"] == region]
    scores = [row["sc_readiness_to_change"] for row in rows]
    scored = [s for s in scores if s in {"0", "1", "2", "3", "4", "5"}]
    percent = {s: 100 * scored.count(s) / len(scored) for s in "012345"} if scored else {}
    return len(rows), percent


@pytest.mark.slow
def test_factsheets_one_edition_per_region_with_that_regions_numbers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import csv
    import re
    import shutil

    project = tmp_path / "factsheets"
    shutil.copytree(
        REPO / "factsheets",
        project,
        ignore=shutil.ignore_patterns("_output", "_freeze", ".quartowrap"),
    )
    monkeypatch.setenv("PYTHONPATH", str(REPO))  # as `nox -s factsheets`: analysis importable
    result = render_editions(
        project,
        project / "regions.csv",
        RenderOptions(data_dir=REPO / "data", version="1.0.0"),
        workers=2,
        progress=Progress(plain=True, quiet=True),
    )
    assert not result.failed, [r.error for r in result.failed]
    editions = project / "_output" / "1.0.0" / "editions"
    regions = {"brussels": "Brussels", "flanders": "Flanders", "wallonia": "Wallonia"}
    regions["federal"] = "Federal"
    index = (editions / "index.html").read_text(encoding="utf-8")
    for name, region in regions.items():
        n, percent = _independent_counts(region)
        assert n > 0
        edition = editions / name
        page = (edition / "html" / "index.html").read_text(encoding="utf-8")
        assert re.search(rf"<strong>{n}</strong> of the 865 professionals", page), region
        with (edition / "tables" / "tbl-dimensions.csv").open(encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        mine = [r for r in rows if r["group"] == region]
        assert {int(r["n"]) for r in mine} == {n}
        assert {r["group"] for r in rows} == {region, "Belgium"}  # only the region + national
        for row in mine:
            if row["item"] == "sc_readiness_to_change" and row["kind"] == "score":
                assert float(row["percent"]) == pytest.approx(percent[row["response"]])
        # the table as shown: two decimals, as table 17
        shown = (edition / "html" / "index.html").read_text(encoding="utf-8")
        # no-break spaces in the HTML, written `&nbsp;` as Quarto's pages write them
        assert f"{region} (n&nbsp;=&nbsp;{n})" in shown
        assert f"{percent['2']:.2f}" in shown
        pdfs = list(edition.glob("*.pdf"))
        assert [p.name for p in pdfs] == [f"kce-359-factsheet-{name}-1.0.0.pdf"]
        assert f'href="{name}/{pdfs[0].name}"' in index
        # the edition's own site links to, and holds, its PDF under that name
        assert re.search(rf'href="{re.escape(pdfs[0].name)}"', page), name
        assert sorted(p.name for p in (edition / "html").glob("*.pdf")) == [pdfs[0].name]
        manifest = json.loads((edition / "manifest.json").read_text())
        assert manifest["params"] == {"region": region}
        # the front matter of a single render with that --data-dir: its glossary pages
        for page in ("glossary.html", "abbreviations.html"):
            assert (edition / "html" / page).is_file(), page
