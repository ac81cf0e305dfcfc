"""The layout's rule, checked on the code's own imports: every import of a `qa` module points down the layers
of docs/architecture.md, modules side by side in one layer do not import each other, and there is no cycle.

Imports are read with `ast` from every file under qa/: at module level and inside functions alike, and
modules imported by name (`importlib.import_module("qa.evaluation")`, the command table of qa/cli.py).
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "qa"

# Bottom first. A module may import its own group and any group of a lower layer; groups in the same
# layer are independent of each other. A group names a module and, for a package, everything in it.
LAYERS: list[tuple[str, ...]] = [
    ("qa.config",),
    ("qa.types",),
    # language: which one a text is in; selection: the sources a question is asked of; export: the evidence pack
    ("qa.files", "qa.lexical", "qa.chunking", "qa.language", "qa.selection", "qa.export"),
    ("qa.embedding",),  # embedders: the interface, sentence-transformers (torch), ONNX Runtime and its export
    ("qa.ingest",),  # a file, a PDF or a web address to text and stated metadata, before it is stored
    ("qa.sources",),
    ("qa.index",),  # storage: backends, BM25, vector index, snapshots, sync, migration, Ray embedding
    ("qa.question", "qa.furniture", "qa.spelling", "qa.attribution"),  # reading questions and article texts
    ("qa.grounding", "qa.figures"),  # what the sources mention; the figures a sentence states
    ("qa.scoring",),  # how well each sentence answers
    ("qa.abstention", "qa.disagreement"),  # whether the sources answer; whether they differ
    ("qa.quotes",),  # which sentences an answer quotes, and in what order
    ("qa.retrieval", "qa.answer", "qa.bridging"),  # bridging: questions across languages
    ("qa.rerank",),
    ("qa.engine",),
    ("qa.options",),
    ("qa.evaluation",),
    ("qa.benchmarks", "qa.ui"),
    ("qa.cli",),
    ("qa",),  # the package's __init__: the public API
]


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def group_of(module: str) -> tuple[int, str]:
    """(layer, group) of a module: the longest group name that is the module or a package holding it."""
    found = [(len(group), layer, group) for layer, groups in enumerate(LAYERS) for group in groups
             if module == group or module.startswith(group + ".") and group != "qa"]
    if not found:
        raise LookupError(module)
    _, layer, group = max(found)
    return layer, group


def imports_of(module: str, tree: ast.AST) -> list[tuple[int, str]]:
    """(line, imported qa module) for every import in the module's tree, wherever it stands."""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            # `from package import module` imports the module; `from module import name` the module
            found += [(node.lineno, f"{target}.{alias.name}" if f"{target}.{alias.name}" in MODULES else target)
                      for alias in node.names]
    found += [(line, name) for line, name in imported_by_name(tree) if name in MODULES]
    return [(line, target) for line, target in found if target == "qa" or target.startswith("qa.")]


def imported_by_name(tree: ast.AST) -> list[tuple[int, str]]:
    """Module names given as strings: to `importlib.import_module` / `find_spec`, or in a command table (a
    module-level `*_COMMANDS` mapping whose modules are imported when their command runs)."""
    places = [call.args for call in ast.walk(tree) if isinstance(call, ast.Call)
              and getattr(call.func, "attr", getattr(call.func, "id", "")) in ("import_module", "find_spec")]
    places += [[node.value] for node in ast.walk(tree) if isinstance(node, ast.Assign)
               and any(getattr(t, "id", "").endswith("COMMANDS") for t in node.targets)]
    return [(node.lineno, node.value) for place in places for value in place for node in ast.walk(value)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)]


def import_graph() -> dict[str, list[tuple[int, str]]]:
    return {module: [(line, target) for line, target in imports_of(module, ast.parse(path.read_text("utf-8")))
                     if target != module]
            for module, path in MODULES.items()}


def test_every_module_has_a_layer():
    assert [m for m in MODULES if not any(m == g or m.startswith(g + ".") for gs in LAYERS for g in gs)] == []


def test_imports_point_down_the_layers():
    wrong = []
    for module, targets in import_graph().items():
        layer, group = group_of(module)
        for line, target in targets:
            target_layer, target_group = group_of(target)
            if target_layer > layer or (target_layer == layer and target_group != group):
                wrong.append(f"{MODULES[module].relative_to(PACKAGE.parent)}:{line}: {module} ({group}) imports "
                             f"{target} ({target_group}), which is not below it")
    assert wrong == [], "\n".join(wrong)


def test_no_import_cycles():
    graph = {module: sorted({target for _, target in targets if target in MODULES})
             for module, targets in import_graph().items()}
    state: dict[str, str] = {}
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = "open"
        for target in graph[module]:
            if state.get(target) == "open":
                cycles.append(" -> ".join(path[path.index(target):] + [target]))
            elif target not in state:
                visit(target, path + [target])
        state[module] = "done"

    for module in graph:
        if module not in state:
            visit(module, [module])
    assert cycles == [], "\n".join(cycles)


def test_no_test_doubles_in_the_package():
    """`unittest.mock` belongs to the tests: code that needs another part swapped in gets a seam (an argument)."""
    mocking = []
    for module, path in MODULES.items():
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import) and any(a.name.startswith("unittest.mock") for a in node.names) or \
                    isinstance(node, ast.ImportFrom) and (node.module or "").startswith("unittest") and \
                    ("mock" in (node.module or "") or any(a.name == "mock" for a in node.names)):
                mocking.append(f"{module}:{node.lineno}")
    assert mocking == []
