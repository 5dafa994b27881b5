"""The import rules of docs/architecture.md, checked on the source: arrows point one way."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PRODUCT = ("schemas", "producers", "processors", "sinks", "akhbar", "devstack", "training")
# What each room may import of the others (akhbar wires everything; training builds on the runtime).
ALLOWED: dict[str, set[str]] = {
    "schemas": set(),
    "producers": {"schemas"},
    "processors": {"schemas"},
    "sinks": {"schemas"},
    "devstack": set(),
    "akhbar": {"schemas", "producers", "processors", "sinks", "devstack", "training"},
    "training": {"schemas", "processors"},
}


def _imported_rooms(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return {name.split(".")[0] for name in names} & set(PRODUCT)


@pytest.mark.parametrize("room", sorted(ALLOWED))
def test_each_room_imports_only_what_it_may(room: str) -> None:
    wrong = {
        str(path.relative_to(REPO)): sorted(found - ALLOWED[room] - {room})
        for path in sorted((REPO / room).rglob("*.py"))
        if (found := _imported_rooms(path)) - ALLOWED[room] - {room}
    }
    assert wrong == {}


def test_producer_and_sink_need_no_processor_extra() -> None:
    """The producer and sink images install no faust, torch or camel-tools: importing their code must not need them."""
    blocker = (
        "import sys\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in {'faust', 'aiokafka', 'torch', 'camel_tools', 'sklearn', 'pycrfsuite'}:\n"
        "            raise ImportError(f'{name} is in the processor extra')\n"
        "sys.meta_path.insert(0, Block())\n"
        "import akhbar.cli, akhbar.run, akhbar.wiring, producers.kafka, producers.sources, sinks.index\n"
        "import sinks.elasticsearch, schemas\n"
    )
    done = subprocess.run([sys.executable, "-c", blocker], cwd=REPO, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
