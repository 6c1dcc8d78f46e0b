"""Print which diagram elements implement each article: `python -m tools.article_map bpmn_diagrams/<city>/<key>.bpmn`.

Reads `legalBasis` of user tasks and the article numbers (第N条, 附件N, §…) cited in every element's
documentation, and prints a Markdown table article → element ids (with their Chinese names)."""
from __future__ import annotations

import re
import sys
from collections import defaultdict
from pathlib import Path

from lxml import etree

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
ARTICLE = re.compile(r"第[一二三四五六七八九十百零〇]+条|附件[0-9一二三四五六七八九十]+"
                     r"|§[一二三四五六七八九十0-9（）().]+")


def _number(article: str) -> tuple:
    digits = "零一二三四五六七八九"
    text = article.strip("第条")
    if text.startswith("附件"):
        return (2, text)
    total, current = 0, 0
    for ch in text:
        if ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch in digits:
            current = digits.index(ch)
        else:
            return (3, text)
    return (1, total + current)


def article_map(path: Path) -> dict[str, list[str]]:
    root = etree.parse(str(path)).getroot()
    found: dict[str, list[str]] = defaultdict(list)
    for el in root.iter():
        if not isinstance(el.tag, str) or el.get("id") is None or etree.QName(el).namespace != BPMN:
            continue
        label = f"`{el.get('id')}` {el.get('name') or ''}".strip()
        articles = set()
        for prop in el.iterfind(f"{{{BPMN}}}extensionElements/{{{SPIFF}}}properties/{{{SPIFF}}}property"):
            if prop.get("name") == "legalBasis":
                articles.update(a.strip() for a in prop.get("value", "").split(",") if a.strip())
        doc = el.find(f"{{{BPMN}}}documentation")
        if doc is not None and doc.text:
            articles.update(ARTICLE.findall(doc.text))
        for article in articles:
            found[article].append(label)
    return dict(sorted(found.items(), key=lambda kv: _number(kv[0])))


def main(argv: list[str]) -> int:
    for name in argv:
        print(f"### {Path(name).name}\n\n| article | elements |\n|---|---|")
        for article, elements in article_map(Path(name)).items():
            print(f"| {article} | {', '.join(elements)} |")
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
