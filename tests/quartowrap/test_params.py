"""Document parameters: declared in a `parameters` cell or `params:`, overridden with -P."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from quartowrap.errors import ConfigError
from quartowrap.execute.engine import execute_chapters
from quartowrap.project.config import load_book_config
from quartowrap.project.params import (
    check_values,
    declared_parameters,
    injection_code,
    load_params_file,
    parse_assignments,
)
from quartowrap.project.qmd import parse_qmd

CHAPTER = """\
    # Zone report {#sec-zone}

    ```{python}
    #| tags: [parameters]
    zone = "Belgium"
    share = 0.5
    rounds = 2
    ```

    ```{python}
    label = f"{zone}:{share:.2f}:{rounds}"
    ```

    Edition `{python} label`.
    """


def make_book(root: Path, chapter: str = CHAPTER, extra: str = "") -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "_quarto.yml").write_text(
        "project:\n  type: book\nbook:\n  title: T\n  chapters:\n    - index.qmd\n" + extra,
        encoding="utf-8",
    )
    (root / "index.qmd").write_text(textwrap.dedent(chapter), encoding="utf-8")
    return root


def test_declared_from_the_parameters_cell_with_lines(tmp_path: Path) -> None:
    root = make_book(tmp_path)
    doc = parse_qmd(Path("index.qmd"), root)
    declared = declared_parameters(doc, {})
    assert {k: v.default for k, v in declared.items()} == {
        "zone": "Belgium",
        "share": 0.5,
        "rounds": 2,
    }
    # each declaration points at its own line of the chapter (line 5 is `zone = ...`)
    assert (declared["zone"].location.line, declared["rounds"].location.line) == (5, 7)


def test_declared_from_params_metadata(tmp_path: Path) -> None:
    root = make_book(tmp_path, "# T\n\nNo code.\n")
    doc = parse_qmd(Path("index.qmd"), root)
    declared = declared_parameters(doc, {"params": {"region": "Flanders"}})
    assert declared["region"].default == "Flanders"


def test_cli_values_are_yaml() -> None:
    values = parse_assignments(["n:3", "share:0.25", "name:Wallonia", "flag:true", "code:'007'"])
    assert values == {"n": 3, "share": 0.25, "name": "Wallonia", "flag": True, "code": "007"}
    with pytest.raises(ConfigError, match="NAME:VALUE"):
        parse_assignments(["no-colon"])


def test_params_file(tmp_path: Path) -> None:
    good = tmp_path / "p.yml"
    good.write_text("zone: Antwerp\nrounds: 4\n", encoding="utf-8")
    assert load_params_file(good) == {"zone": "Antwerp", "rounds": 4}
    bad = tmp_path / "bad.yml"
    bad.write_text("zone: Antwerp\n  rounds: [\n", encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_params_file(bad)
    assert "bad.yml:" in str(error.value)


def test_unknown_name_and_wrong_type_are_errors(tmp_path: Path) -> None:
    root = make_book(tmp_path)
    declared = declared_parameters(parse_qmd(Path("index.qmd"), root), {})
    with pytest.raises(ConfigError, match="unknown parameter zoen; declared: rounds, share, zone"):
        check_values({"zoen": "x"}, declared)
    with pytest.raises(ConfigError) as error:
        check_values({"rounds": "many"}, declared)
    assert str(error.value).startswith("index.qmd:7: parameter 'rounds' expects int")
    check_values({"share": 1, "zone": "Ghent"}, declared)  # an int where a float is expected


def test_injection_code_is_literal_assignments() -> None:
    code = injection_code({"zone": 'a"b', "n": 2, "xs": [1, 2]})
    assert code == "n = 2\nxs = [1, 2]\nzone = 'a\"b'\n"
    namespace: dict[str, object] = {}
    exec(code, namespace)
    assert namespace["zone"] == 'a"b'


def _inline_text(root: Path, params: dict[str, object] | None) -> str:
    config = load_book_config(root)
    [chapter] = execute_chapters(config, config.chapters, jobs=1, params=params)
    return chapter.markdown


def test_values_override_after_the_parameters_cell_and_freeze_keeps_editions_apart(
    tmp_path: Path,
) -> None:
    root = make_book(tmp_path, extra="execute:\n  freeze: auto\n")
    assert "Edition Belgium:0.50:2." in _inline_text(root, None)
    assert "Edition Ghent:0.50:5." in _inline_text(root, {"zone": "Ghent", "rounds": 5})
    # the stored result of the default edition is not reused for another value, nor back
    assert "Edition Liege:0.50:2." in _inline_text(root, {"zone": "Liege"})
    assert "Edition Belgium:0.50:2." in _inline_text(root, None)


def test_params_metadata_without_a_cell_is_injected_first(tmp_path: Path) -> None:
    chapter = """\
        ---
        params:
          region: Brussels
        ---

        # R

        Region `{python} region`.
        """
    root = make_book(tmp_path, chapter)
    assert "Region Brussels." in _inline_text(root, None)
    assert "Region Wallonia." in _inline_text(root, {"region": "Wallonia"})


def test_cli_rejects_unknown_parameter_with_exit_1(tmp_path: Path) -> None:
    root = make_book(tmp_path)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "quartowrap",
            "render",
            "--project",
            str(root),
            "--to",
            "html",
            "-P",
            "zoen:Ghent",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1
    assert "unknown parameter zoen" in result.stdout + result.stderr
    assert not (root / "_output").exists() or not any((root / "_output").glob("*/html"))
