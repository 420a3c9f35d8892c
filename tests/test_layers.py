"""Imports run one way: no module imports from a layer above its own. The layers are the
numbered list under "## Layers" in ARCHITECTURE.md; every import statement of every
module (lazy ones inside functions too) is checked against it."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from .conftest import REPO_ROOT

PACKAGE = REPO_ROOT / "qualcode"


def architecture_layers() -> dict[str, int]:
    """Each top-level module or subpackage of qualcode -> its layer (1 is the lowest)."""
    text = (REPO_ROOT / "ARCHITECTURE.md").read_text(encoding="utf-8")
    section = text.split("\n## Layers\n", 1)[1].split("\n## ", 1)[0]
    layers: dict[str, int] = {}
    for line in section.splitlines():
        match = re.match(r"(\d+)\. (.*)", line)
        if match:
            for unit in re.findall(r"`([\w]+)`", match.group(2)):
                assert unit not in layers, f"{unit} is in two layers"
                layers[unit] = int(match.group(1))
    return layers


def _unit(module: str) -> str:
    """qualcode.coding.layers -> coding; qualcode -> __init__."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def imports(path: Path) -> list[tuple[str, int]]:
    """(imported qualcode module, line) for every import statement in a module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module == "qualcode":  # a module of the package, or a name of its own
                found += [
                    (f"qualcode.{a.name}" if _is_module(a.name) else "qualcode", node.lineno)
                    for a in node.names
                ]
            elif node.module.startswith("qualcode."):
                found.append((node.module, node.lineno))
        elif isinstance(node, ast.Import):
            found += [(a.name, node.lineno) for a in node.names if a.name.startswith("qualcode.")]
    return found


def _is_module(name: str) -> bool:
    return (PACKAGE / f"{name}.py").exists() or (PACKAGE / name).is_dir()


def _module_name(path: Path) -> str:
    parts = path.relative_to(REPO_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def test_every_module_is_in_a_layer() -> None:
    layers = architecture_layers()
    units = {_unit(_module_name(p)) for p in PACKAGE.rglob("*.py")}
    assert units - set(layers) == set(), "modules ARCHITECTURE.md puts in no layer"
    assert set(layers) - units == set(), "layers name modules that do not exist"


def test_no_module_imports_from_a_higher_layer() -> None:
    layers = architecture_layers()
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        source = _unit(_module_name(path))
        for imported, line in imports(path):
            target = _unit(imported)
            if target in layers and layers[target] > layers[source]:
                where = f"{path.relative_to(REPO_ROOT)}:{line}"
                upward.append(f"{where} ({source}, layer {layers[source]}) imports {imported}")
    assert upward == []


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    """The checker itself: a lazy import inside a function is found."""
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from qualcode.cli import app\n    import qualcode.ui.code\n")
    assert imports(module) == [("qualcode.cli", 2), ("qualcode.ui.code", 3)]
