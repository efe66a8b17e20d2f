"""No re-export shims in toonlora_trainer: a module imports a sibling's name only to use it, and every import of a
package name (product, tests, scripts, benches) names the module that defines it. Read from the source with `ast`,
so a test that patches a name finds it where it is looked up. toonlora_trainer/__init__.py is held to the same rules:
it is a docstring, not a public API that gathers names."""

import ast
from pathlib import Path

TRAINER_DIR = Path(__file__).resolve().parent.parent
PACKAGE_DIR = TRAINER_DIR / "toonlora_trainer"
IMPORTER_DIRS = (PACKAGE_DIR, TRAINER_DIR / "tests", TRAINER_DIR / "scripts", TRAINER_DIR.parent / "bench")


def parse(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def bound_names(target: ast.AST) -> set[str]:
    return {node.id for node in ast.walk(target) if isinstance(node, ast.Name)}


def top_level_definitions(tree: ast.Module) -> set[str]:
    """The names a module defines itself: its functions, classes and assignments (in if / try blocks too)."""
    names: set[str] = set()
    for statement in tree.body:
        for node in [statement, *ast.walk(statement)] if isinstance(statement, (ast.If, ast.Try)) else [statement]:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Assign):
                names |= set().union(*(bound_names(t) for t in node.targets))
            elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
                names |= bound_names(node.target)
    return names


def used_names(tree: ast.Module) -> set[str]:
    """Every name the module reads, quoted annotations included; `__all__` strings are not a use."""
    names = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)}
    annotations = [node.annotation for node in ast.walk(tree) if isinstance(node, (ast.arg, ast.AnnAssign)) and node.annotation]
    annotations += [node.returns for node in ast.walk(tree) if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns]
    for annotation in annotations:
        for node in ast.walk(annotation):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                names |= {n.id for n in ast.walk(ast.parse(node.value, mode="eval")) if isinstance(n, ast.Name)}
    return names


def sibling_module(node: ast.ImportFrom, in_package: bool) -> str | None:
    """The toonlora_trainer module `node` imports names from, or None (another package, or `from . import x`)."""
    if node.level == 1 and in_package:
        return node.module
    if node.level == 0 and node.module and node.module.startswith("toonlora_trainer."):
        return node.module.removeprefix("toonlora_trainer.")
    return None


def unused_sibling_imports(tree: ast.Module) -> list[tuple[int, str]]:
    """(line, name) of each name a package module imports from a sibling at module level and never reads."""
    used = used_names(tree)
    return [(node.lineno, alias.asname or alias.name) for node in tree.body if isinstance(node, ast.ImportFrom) and node.level == 1
            for alias in node.names if (alias.asname or alias.name) not in used]


def misrouted_imports(tree: ast.Module, in_package: bool, definitions: dict[str, set[str]]) -> list[tuple[int, str, str]]:
    """(line, name, module) of each package name imported from a module that does not define it."""
    return [(node.lineno, alias.name, module) for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
            for module in [sibling_module(node, in_package)] if module is not None
            for alias in node.names if alias.name not in definitions[module]]


def package_definitions() -> dict[str, set[str]]:
    return {path.stem: top_level_definitions(parse(path)) for path in PACKAGE_DIR.glob("*.py")}


def test_a_package_module_imports_a_siblings_name_only_to_use_it():
    unused = [f"{path.name}:{line}: {name}" for path in sorted(PACKAGE_DIR.glob("*.py"))
              for line, name in unused_sibling_imports(parse(path))]
    assert unused == [], "imported but unused (a re-export): import it from its own module instead\n" + "\n".join(unused)


def test_every_import_of_a_package_name_names_the_module_that_defines_it():
    definitions = package_definitions()
    files = sorted(path for folder in IMPORTER_DIRS for path in folder.glob("*.py"))
    assert len(files) > 50  # the package, its tests, the golden script and the benches were all read
    misrouted = [f"{path.relative_to(TRAINER_DIR.parent)}:{line}: {name} from {module}, defined in "
                 f"{sorted(m for m, names in definitions.items() if name in names) or 'no package module'}"
                 for path in files for line, name, module in misrouted_imports(parse(path), path.parent == PACKAGE_DIR, definitions)]
    assert misrouted == [], "imported through a module that does not define it:\n" + "\n".join(misrouted)


def test_the_checks_see_a_reexport_and_an_import_through_it():
    shim = ast.parse("from .batch_order import epoch_order, repeated_indices  # noqa: F401\n__all__ = ['epoch_order']\n"
                     "def twice(d: 'Dataset') -> list:\n    return repeated_indices(d) * 2\n")
    assert unused_sibling_imports(shim) == [(1, "epoch_order")]
    user = ast.parse("from toonlora_trainer.data import epoch_order, scan_kohya_dataset\n"
                     "from toonlora_trainer.batch_order import epoch_order as order\n")
    assert misrouted_imports(user, False, package_definitions()) == [(1, "epoch_order", "data")]
    assert misrouted_imports(ast.parse("from .data import epoch_order\n"), True, package_definitions()) == [(1, "epoch_order", "data")]
