"""Command line: `python -m quartowrap render [options]` (what `nox -s render` runs).

Errors are printed as `file:line: message` with a non-zero exit; nothing is published by a
failed build.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import BuildError
from .progress import Progress


def _render_parser(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("render", help="render the book (HTML and PDF) into a release")
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
    parser.add_argument("--version", dest="release_version", help="release version to write")
    parser.add_argument("--output-dir", type=Path, help="release root (default: _output)")
    parser.add_argument("--project", type=Path, default=Path("."), help="project root")
    parser.add_argument("--quiet", action="store_true", help="print only warnings and errors")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="quartowrap", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    _render_parser(sub)
    return parser


def _run_render(args: argparse.Namespace, progress: Progress) -> int:
    from .render import RenderOptions, default_jobs, render_project

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
    )
    render_project(args.project, options, progress=progress)
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    progress = Progress.for_environment()
    progress.quiet = bool(getattr(args, "quiet", False))
    try:
        if args.command == "render":
            return _run_render(args, progress)
    except BuildError as error:
        progress.error(str(error))
        return 1
    except KeyboardInterrupt:
        progress.error("interrupted; the previous release is untouched")
        return 130
    return 2


if __name__ == "__main__":
    sys.exit(main())
