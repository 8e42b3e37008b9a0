"""Architecture rules: the public API, the layers and who may import whom, no import cycles, and which layers
may import heavy dependencies.

The layers are read from the source, not from a running interpreter: every import counts, at the top of a
module, inside a function (a deferred import is still a dependency) or under ``TYPE_CHECKING``. Importing
``a.b.c`` also imports the packages ``a.b`` and ``a``. The package's own ``__init__`` is left out: its
names load lazily and it imports nothing.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

import airbyte_dest_kit

PACKAGE = Path(airbyte_dest_kit.__file__).parent
ROOT = "airbyte_dest_kit"

# Who may import whom, by top-level package of airbyte_dest_kit (lowest layers first). The docs'
# architecture map draws the same picture.
ALLOWED: dict[str, set[str]] = {
    "errors": set(),
    "protocol": {"errors"},
    "runtime": {"errors", "protocol"},
    "streams": {"errors", "protocol"},
    "records": {"errors", "protocol", "streams"},
    "sources": {"errors", "protocol", "runtime"},
    "destination": {"errors", "protocol", "runtime", "streams", "records"},
    "store": {"errors", "protocol", "streams", "destination"},
    "writers": {"errors", "protocol", "runtime", "streams", "records", "destination", "store"},
    "cdk": {"errors", "protocol", "runtime", "sources", "destination"},
    "connectors": {"errors", "protocol", "runtime", "streams", "destination", "store", "writers", "sources"},
    "testing": {"errors", "protocol", "runtime", "streams", "records", "destination", "store", "writers", "sources"},
    "scaffold": {"errors", "runtime"},
}
# What the store layer and the writers may see of the destination layer: the writer contract, never the
# pipeline that drives it nor the destinations built on it.
WRITER_CONTRACT = {f"{ROOT}.destination", f"{ROOT}.destination.writer"}


def module_names(package: Path = PACKAGE) -> dict[str, Path]:
    modules = {}
    for path in sorted(package.rglob("*.py")):
        parts = (ROOT, *path.relative_to(package).with_suffix("").parts)
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return modules


def _imported(node: ast.AST) -> Iterable[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
        yield node.module
        yield from (f"{node.module}.{alias.name}" for alias in node.names)  # a submodule imported by name


def import_graph(modules: Mapping[str, Path]) -> dict[str, set[str]]:
    """Each module of the package → the modules of the package it imports (see the module docstring)."""
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        found: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            for target in _imported(node):
                parts = target.split(".")
                found.update(".".join(parts[:i]) for i in range(2, len(parts) + 1) if ".".join(parts[:i]) in modules)
        graph[name] = {m for m in found if m != name and not name.startswith(m + ".")}
    return graph


def cycles(graph: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan's algorithm, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in graph:
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, edges = work[-1]
            for target in edges:
                if target not in graph:
                    continue
                if target not in index:
                    index[target] = low[target] = len(index)
                    stack.append(target)
                    on_stack.add(target)
                    work.append((target, iter(sorted(graph[target]))))
                    break
                if target in on_stack:
                    low[node] = min(low[node], index[target])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
    return found


def layer(module: str) -> str:
    return module.split(".")[1]


GRAPH = import_graph(module_names())


def test_the_cycle_finder_finds_a_cycle_through_a_deferred_import(tmp_path: Path) -> None:
    package = tmp_path / ROOT
    (package / "a").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "a" / "__init__.py").write_text("")
    (package / "a" / "one.py").write_text("from airbyte_dest_kit.a.two import f\n")
    (package / "a" / "two.py").write_text("def f():\n    from airbyte_dest_kit.a import one\n")
    (package / "b.py").write_text("import airbyte_dest_kit.a.one\n")
    graph = import_graph(module_names(package))
    assert cycles(graph) == [[f"{ROOT}.a.one", f"{ROOT}.a.two"]]


def test_no_import_cycles_not_even_deferred_ones() -> None:
    assert cycles(GRAPH) == []


def test_every_package_is_in_the_layer_contract() -> None:
    assert {layer(m) for m in GRAPH if m != ROOT} == set(ALLOWED)


def test_each_layer_imports_only_the_layers_it_may() -> None:
    leaks = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module != ROOT
        for target in targets
        if layer(target) != layer(module) and layer(target) not in ALLOWED[layer(module)]
    )
    assert leaks == []


def test_the_store_layer_and_the_writers_see_only_the_writer_contract_of_the_destination_layer() -> None:
    leaks = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module != ROOT and layer(module) in ("store", "writers")
        for target in targets
        if layer(target) == "destination" and target not in WRITER_CONTRACT
    )
    assert leaks == []


def test_the_pipeline_drives_a_writer_and_knows_no_destination() -> None:
    pipeline = f"{ROOT}.destination.pipeline"
    above = {f"{ROOT}.destination.destination", f"{ROOT}.destination.writer_destination"}
    leaks = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module.startswith(pipeline)
        for target in targets & above
    )
    assert leaks == []
    assert not GRAPH[f"{ROOT}.destination.destination"] & {m for m in GRAPH if m.startswith(pipeline)}


def modules_loaded_by(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    return {name.split(".")[0] for name in out.split()}


@pytest.mark.parametrize(
    ("statement", "forbidden"),
    [
        ("import airbyte_dest_kit.protocol", {"duckdb", "pyarrow", "sqlalchemy", "httpx", "psycopg", "pymysql"}),
        ("import airbyte_dest_kit.sources", {"duckdb", "pyarrow", "sqlalchemy", "httpx"}),
        ("import airbyte_dest_kit.runtime.entrypoint", {"duckdb", "pyarrow", "sqlalchemy", "httpx"}),
        ("import airbyte_dest_kit.destination.pipeline.runner", {"sqlalchemy", "httpx", "psycopg", "pymysql"}),
        ("import airbyte_dest_kit.store", {"sqlalchemy", "httpx", "psycopg", "pymysql"}),
        ("import airbyte_dest_kit", {"duckdb", "pyarrow", "sqlalchemy", "httpx"}),
    ],
)
def test_layers_do_not_import_heavy_dependencies(statement: str, forbidden: set[str]) -> None:
    assert modules_loaded_by(statement) & forbidden == set()


def test_public_api_is_exactly_what_we_promise() -> None:
    assert airbyte_dest_kit.__all__ == [
        "Capabilities",
        "Column",
        "ColumnType",
        "ConfigError",
        "ConnectorError",
        "Destination",
        "FlushPolicy",
        "InputError",
        "Pipeline",
        "StoreWriter",
        "StreamSpec",
        "SystemFailure",
        "TransientError",
        "Writer",
        "WriterDestination",
        "WriterError",
        "execute",
        "launch",
    ]
    for name in airbyte_dest_kit.__all__:
        assert getattr(airbyte_dest_kit, name) is not None


def test_a_store_author_imports_the_store_interface_from_one_short_path() -> None:
    import airbyte_dest_kit.store as store

    assert store.__all__ == [
        "ColumnTypes",
        "MergeTarget",
        "Merges",
        "Rewrites",
        "Store",
        "StoreWriter",
        "SwapPair",
        "Swaps",
        "plan_evolution",
        "resume_journal",
        "resume_renames",
        "swap_by_journal",
        "swap_by_renames",
        "widen",
    ]
    assert store.StoreWriter is airbyte_dest_kit.StoreWriter


def test_only_the_file_based_package_of_the_sources_layer_loads_pyarrow() -> None:
    # sources/file_based/ reads files through pyarrow; the rest of the layer (and every source that reads no
    # files) must not import it, or `import airbyte_dest_kit.sources` would load pyarrow
    file_based = f"{ROOT}.sources.file_based"
    leaks = sorted(
        f"{module} imports {target}"
        for module, targets in GRAPH.items()
        if module != ROOT and layer(module) == "sources" and not module.startswith(file_based)
        for target in targets
        if target.startswith(file_based)
    )
    assert leaks == []
    assert "pyarrow" in modules_loaded_by("import airbyte_dest_kit.sources.file_based")
