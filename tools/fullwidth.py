"""Half-width punctuation in Chinese text → full-width (，；：（）？！), leaving it where half-width is
right (1,000, 9:30, (a) in Latin text); and a 〔2019〕 bracket lost before a document number restored.

    python -m tools.fullwidth processes/jiujiang/citations.json …   # rewrites the JSON files in place

`half_width_marks(text)` lists what tests/test_citation_punctuation.py refuses."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

# CJK ideographs and the full-width / CJK punctuation that sits among them (、。《》“”… ，（）)
CHINESE = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef\u201c\u201d\u2018\u2019\u2014\u2026"
_IS_CHINESE = re.compile(f"[{CHINESE}]")
_PAIR = re.compile(r"\(([^()]*)\)")
_MARKS = {",": "，", ";": "；", ":": "：", "?": "？", "!": "！"}
_ADJACENT = re.compile(f"(?<=[{CHINESE}])[,;:()?!]|[,;:()?!](?=[{CHINESE}])")
_LOST_BRACKET = re.compile(r"〔(\d{4})(?!〕)(\d{1,4}号)")


def _chinese(ch: str) -> bool:
    return bool(ch) and bool(_IS_CHINESE.match(ch))


def to_full_width(text: str) -> str:
    text = _LOST_BRACKET.sub(r"〔\1〕\2", text)

    def pair(match: re.Match) -> str:
        before = text[match.start() - 1] if match.start() else ""
        after = text[match.end()] if match.end() < len(text) else ""
        if _IS_CHINESE.search(match.group(1)) or _chinese(before) or _chinese(after):
            return f"（{match.group(1)}）"
        return match.group(0)

    while True:   # nested pairs, innermost first
        changed = _PAIR.sub(pair, text)
        if changed == text:
            break
        text = changed
    out = list(text)
    for i, ch in enumerate(out):
        if ch in _MARKS and (_chinese(out[i - 1] if i else "") or _chinese(out[i + 1] if i + 1 < len(out) else "")):
            out[i] = _MARKS[ch]
    return "".join(out)


def half_width_marks(text: str) -> list[str]:
    """Each half-width , ; : ( ) ? ! that touches Chinese text, with a few characters around it."""
    return [text[max(0, m.start() - 6):m.end() + 6] for m in _ADJACENT.finditer(text)]


def _convert(value):
    if isinstance(value, str):
        return to_full_width(value)
    if isinstance(value, list):
        return [_convert(v) for v in value]
    if isinstance(value, dict):
        return {k: _convert(v) for k, v in value.items()}
    return value


def main(paths: list[str]) -> None:
    for path in map(Path, paths):
        raw = path.read_text(encoding="utf-8")
        data = _convert(json.loads(raw))
        text = json.dumps(data, ensure_ascii=False, indent=2) + ("\n" if raw.endswith("\n") else "")
        if text != raw:
            path.write_text(text, encoding="utf-8")
            print(path)


if __name__ == "__main__":
    main(sys.argv[1:])
