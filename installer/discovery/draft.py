"""`aicloud discover --write-site`: fill a draft answer file's hardware sections from discovery.

Only what discovery knows for sure is written: each reached node's `accelerators` (vendor,
model, count of the most common model). Fabric NICs need a rail and an address that no host
can tell, so they are left to the engineer. Comments and order of the source file are kept.
"""

from __future__ import annotations

import io
from collections import Counter

from ruamel.yaml import YAML

from installer.discovery.model import Discovery, NodeFacts


def accelerators_answer(facts: NodeFacts) -> tuple[str, str, int] | None:
    """What a node's `accelerators` answer is, from what discovery found: the most common
    (vendor, model) and how many of that model (ties: the first found). The one rule both faces
    use, so `discover --write-site` and the wizard write the same file for a mixed node."""
    if not facts.accelerators:
        return None
    (vendor, model), count = Counter((a.vendor, a.model) for a in facts.accelerators).most_common(1)[0]
    return vendor.value, model, count


def draft_site_text(source_text: str, discovery: Discovery) -> tuple[str, list[str]]:
    """The answer file's text with `accelerators` filled per node, and what was changed (one line each)."""
    yaml = YAML()
    yaml.preserve_quotes = True
    data = yaml.load(source_text)
    changes: list[str] = []
    for node in data.get("nodes", []) or []:
        facts = discovery.facts.get(node.get("name"))
        answer = accelerators_answer(facts) if facts is not None else None
        if answer is None:
            continue
        vendor, model, count = answer
        node["accelerators"] = {"vendor": vendor, "model": model, "count": count}
        changes.append(f"{node['name']}: accelerators {count} x {vendor} {model}")
    buffer = io.StringIO()
    yaml.dump(data, buffer)
    return buffer.getvalue(), changes
