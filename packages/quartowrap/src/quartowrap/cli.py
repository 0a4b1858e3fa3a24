"""Command line: `python -m quartowrap render [options]` (what `nox -s render` runs).

Errors are printed as `file:line: message` with a non-zero exit; nothing is published by a
failed build.
"""

from __future__ import annotations

import argparse
import errno
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from quartowrap.errors import BuildError
from quartowrap.progress import Progress


def _render_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "render",
        help="render the book (HTML and PDF) into a release, a project, or one document",
    )
    parser.add_argument(
        "path",
        nargs="?",
        type=Path,
        help="a document (doc.qmd → doc.html, doc.pdf beside it) or a project folder "
        "(default: --project)",
    )
    parser.add_argument(
        "--to", choices=["html", "pdf", "all"], default="all", help="output format (default: both)"
    )
    parser.add_argument("--chapter", type=Path, help="render only this chapter (HTML page)")
    parser.add_argument(
        "--engine",
        choices=["auto", "embedded", "quarto"],
        help="auto (default): quarto when on PATH, else embedded",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="unresolved references, citations or missing alt text fail the build",
    )
    parser.add_argument("--data-dir", type=Path, help="render with another data directory")
    parser.add_argument("--no-freeze", action="store_true", help="execute every chapter")
    parser.add_argument(
        "-P",
        "--execute-param",
        dest="params",
        action="append",
        default=[],
        metavar="NAME:VALUE",
        help="set a parameter (YAML value), as `quarto render -P`; repeatable",
    )
    parser.add_argument(
        "--execute-params", type=Path, metavar="FILE.yml", help="parameter values from a YAML file"
    )
    parser.add_argument(
        "--params-table",
        type=Path,
        metavar="FILE.csv",
        help="render one edition per row (column `edition` names it; others are parameters)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="editions rendered side by side on this machine (default: number of cores)",
    )
    parser.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="render the editions on a Dask cluster (tcp://host:8786); needs quartowrap[editions]",
    )
    parser.add_argument("--version", dest="release_version", help="release version to write")
    parser.add_argument("--output-dir", type=Path, help="release root (default: _output)")
    parser.add_argument("--project", type=Path, default=Path("."), help="project root")
    parser.add_argument("--quiet", action="store_true", help="print only warnings and errors")
    _traceback_flag(parser)


def _traceback_flag(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--traceback",
        action="store_true",
        help="on a cell error, also print the full traceback (library frames included)",
    )


class _ThemeNames:
    """The shipped themes' names, looked up only when `create` or `--help` needs them: the
    theme module loads pydantic, which every other command would pay for at start."""

    def _names(self) -> list[str]:
        from quartowrap.project.theme import builtin_themes

        return builtin_themes()

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())


def _create_parser(sub: argparse._SubParsersAction) -> None:
    create = sub.add_parser("create", help="start a new project from a template")
    create.add_argument("kind", choices=["book"], help="what to create (a book)")
    create.add_argument("directory", type=Path, help="new (or empty) folder for the book")
    create.add_argument(
        "--template",
        choices=_ThemeNames(),
        metavar="THEME",
        default="default",
        help="theme of the new book: %(choices)s (default: %(default)s)",
    )
    create.add_argument("--title", help="the book's title (default: from the folder name)")


def build_parser() -> argparse.ArgumentParser:
    from quartowrap import __version__

    parser = argparse.ArgumentParser(prog="quartowrap", description=__doc__)
    parser.add_argument("--version", action="version", version=f"quartowrap {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    _render_parser(sub)
    _create_parser(sub)
    check = sub.add_parser("check", help="is everything needed to render in place?")
    check.add_argument("--project", type=Path, default=Path("."), help="project root")
    release = sub.add_parser("release", help="commit, tag and render a versioned release")
    release.add_argument("version", help="semantic version, e.g. 1.1.0")
    release.add_argument("--project", type=Path, default=Path("."))
    release.add_argument(
        "--dry-run", action="store_true", help="show what the release would do; change nothing"
    )
    _traceback_flag(release)
    diff = sub.add_parser("diff", help="compare two releases: chapters and table cells")
    diff.add_argument("old", help="older release version (a directory in _output/)")
    diff.add_argument("new", help="newer release version")
    diff.add_argument("--output-dir", type=Path, default=Path("_output"))
    preview = sub.add_parser("preview", help="serve the HTML and re-render on every change")
    preview.add_argument("--port", type=int, default=4848, help="busy: the next free one")
    preview.add_argument("--no-browser", action="store_true", help="do not open a browser")
    preview.add_argument(
        "--whole-book",
        action="store_true",
        help="render the whole book on every save (no quick update of the saved chapter's page)",
    )
    preview.add_argument("--data-dir", type=Path)
    preview.add_argument("--project", type=Path, default=Path("."))
    return parser


def _run_diff(args: argparse.Namespace, progress: Progress) -> int:
    from quartowrap.commands.diff import diff_releases, render_text, write_report

    result = diff_releases(args.output_dir.resolve(), args.old, args.new)
    print(render_text(result))
    progress.done(f"Report: {write_report(args.output_dir.resolve(), result)}")
    return 0


def _params(args: argparse.Namespace) -> dict[str, object]:
    """`--execute-params FILE` first, then each `-P name:value` on top (as Quarto)."""
    from quartowrap.project.params import load_params_file, parse_assignments

    values: dict[str, object] = {}
    if args.execute_params is not None:
        values.update(load_params_file(args.execute_params))
    values.update(parse_assignments(args.params))
    return values


def _run_release(args: argparse.Namespace, progress: Progress) -> int:
    from quartowrap.commands.release import make_release, plan_release

    if args.dry_run:
        print(plan_release(args.project, args.version).describe())
        return 0
    release_dir = make_release(args.project, args.version)
    progress.done(f"Released {args.version}: {release_dir}")
    progress.line("Next: describe the coming changes under `## Unreleased` in CHANGELOG.md.")
    return 0


def _start_kernels_early(args: argparse.Namespace) -> None:
    """A first build of a book (no `_freeze/` yet) or one with `--no-freeze` executes its
    chapters: their fork server starts now, while the build reads the configuration and the
    chapters (see `execute.kernels.start_fork_server_early`)."""
    import os
    import shutil

    from quartowrap.authoring.protocol import DATA_DIR_ENV

    target: Path = args.path or args.project
    if args.params_table is not None or args.engine == "quarto":
        return  # editions keep their own warm fork servers; Quarto runs its own kernels
    if not (target.is_dir() and (target / "_quarto.yml").is_file()):
        return
    if (target / "_freeze").exists() and not args.no_freeze:
        return  # the freeze may well serve every chapter
    if args.engine != "embedded" and shutil.which("quarto"):
        return  # `auto` may hand the book to Quarto
    from quartowrap.execute.kernels import start_fork_server_early

    data_dir = args.data_dir or (
        Path(os.environ[DATA_DIR_ENV]) if DATA_DIR_ENV in os.environ else None
    )
    start_fork_server_early(target, data_dir)


def _run_render(args: argparse.Namespace, progress: Progress) -> int:
    from quartowrap.execute.kernels import close_early_fork_servers

    try:
        _start_kernels_early(args)
    except Exception:  # an optimisation only: the build itself reports what is wrong
        close_early_fork_servers()
    try:
        return _render(args, progress)
    finally:
        close_early_fork_servers()


def _render(args: argparse.Namespace, progress: Progress) -> int:
    from quartowrap.commands.document import render_path
    from quartowrap.commands.render import RenderOptions, default_jobs

    to = ("html", "pdf") if args.to == "all" else (args.to,)
    options = RenderOptions(
        to=to,  # type: ignore[arg-type]
        chapter=args.chapter,
        engine=args.engine,
        strict=args.strict,
        data_dir=args.data_dir,
        use_freeze=not args.no_freeze,
        version=args.release_version,
        output_root=args.output_dir.resolve() if args.output_dir else None,
        jobs=default_jobs(),
        params=_params(args),
    )
    if args.params_table is not None:
        from quartowrap.commands.editions import render_editions

        result = render_editions(
            args.path or args.project,
            args.params_table,
            options,
            workers=args.workers,
            scheduler=args.scheduler,
            progress=progress,
        )
        if result.failed:
            names = ", ".join(r.name for r in result.failed)
            progress.error(
                f"{len(result.failed)} of {len(result.results)} editions failed ({names}); "
                "nothing was published and the previous release is untouched"
            )
            return 1
        return 0
    if args.workers is not None or args.scheduler is not None:
        raise BuildError("--workers and --scheduler render editions: add --params-table FILE.csv")
    render_path(args.path or args.project, options, progress)
    return 0


_OS_HINTS = {
    errno.ENOSPC: "the disk is full; free space and build again",
    errno.EROFS: "the file system is read-only",
    errno.EACCES: "no permission to write there",
    errno.EPERM: "no permission to write there",
    errno.ELOOP: "a symbolic link points to itself (a loop)",
}


def os_error_message(error: OSError) -> str:
    """`path: what went wrong (hint); the previous release is untouched`."""
    where = error.filename if error.filename is not None else "?"
    what = error.strerror or str(error)
    hint = _OS_HINTS.get(error.errno or 0)
    head = f"{where}: {what}" + (f" ({hint})" if hint else "")
    return head + "; nothing was published, the previous release is untouched"


def _run_check(args: argparse.Namespace) -> int:
    from quartowrap.commands.check import report, run_checks, themes_to_check

    return report(run_checks(themes_to_check(args.project)))


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    progress = Progress.for_environment()
    progress.quiet = bool(getattr(args, "quiet", False))
    try:
        if args.command == "render":
            return _run_render(args, progress)
        if args.command == "release":
            return _run_release(args, progress)
        if args.command == "diff":
            return _run_diff(args, progress)
        if args.command == "create":
            from quartowrap.commands.create import create_book

            folder = create_book(args.directory, args.template, title=args.title)
            progress.done(f"Created {folder} ({args.template} theme); next: cd {folder}")
            return 0
        if args.command == "check":
            return _run_check(args)
        if args.command == "preview":
            from quartowrap.commands.preview import run_preview

            run_preview(
                args.project,
                port=args.port,
                data_dir=args.data_dir,
                browser=not args.no_browser,
                quick=not args.whole_book,
            )
            return 0
    except BuildError as error:
        progress.error(str(error))
        full = getattr(error, "traceback", "")
        if full and getattr(args, "traceback", False):
            progress.line(f"Full traceback:\n{full}")
        return 1
    except OSError as error:  # a read-only or full disk, a symlink loop: named, no traceback
        progress.error(os_error_message(error))
        return 1
    except KeyboardInterrupt:
        progress.error("interrupted; the previous release is untouched")
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
