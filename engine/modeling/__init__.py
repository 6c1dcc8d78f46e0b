"""What a diagram may say beyond plain BPMN: govflow's extension properties (extensions.json), loaded
by the diagram check and served to the modeler's properties panel."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path

EXTENSIONS_FILE = Path(__file__).with_name("extensions.json")


@cache
def extensions() -> dict:
    return json.loads(EXTENSIONS_FILE.read_text(encoding="utf-8"))
