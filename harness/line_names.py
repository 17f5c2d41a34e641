"""Name an order's lines in a platform's message the way the scenario wrote them.

NetSuite and the storefronts name a line by their own numbers ("Line 2 of Cash Sale #CS-1002", "Item
122", "line item 5100000006"), numbers a QA engineer never wrote: line 2 of a cash sale may be the
shipping, and item 122 is a storefront's id. Where the harness reports such a message, each reference
it can place is given the scenario's name for the line (its SKU and line number, or "the shipping"),
with the platform's own wording kept after it in brackets. The platform's text is never reworded.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

SHIPPING = "the shipping"

# "Line 2 of Cash Sale #CS-1002": a line of a NetSuite transaction, named by the transaction's
# label and tranId (NetSuite's own wording; group 1 the line, group 2 the tranId).
_NETSUITE_LINE = re.compile(r"\bLine (\d+) of [A-Z][A-Za-z]*(?: [A-Z][A-Za-z]*)* #([\w-]+)")


@dataclass
class LineNames:
    """What one order's lines are called: by NetSuite (tranId -> line number -> name) and by the
    storefront (its line id, or a SKU on a single line, -> name)."""

    netsuite: dict[str, dict[int, str]] = field(default_factory=dict)
    storefront_ids: dict[str, str] = field(default_factory=dict)
    storefront_skus: dict[str, str] = field(default_factory=dict)

    def explain(self, text: str, *, platform_words: bool = True) -> str:
        """``text`` with every line reference it can place preceded by the scenario's name for the line
        and kept, as the platform wrote it, in brackets: "the shipping [NetSuite: Line 2 of Cash Sale
        #CS-1002] has no quantity left to refund". Without ``platform_words`` the reference is replaced
        by the name alone (for matching what QA wrote). Text it cannot place is left as it is."""
        if not text:
            return text

        def netsuite(match: re.Match[str]) -> str:
            name = self.netsuite.get(match.group(2), {}).get(int(match.group(1)))
            if not name:
                return match.group(0)
            return f"{name} [NetSuite: {match.group(0)}]" if platform_words else name

        named = _NETSUITE_LINE.sub(netsuite, text)
        references = {**{ref: name for ref, name in self.storefront_skus.items()},
                      **self.storefront_ids}
        if references:
            # "Item 122", "line item 5100000006", "Item SKU-1003": a storefront's word for a line, then
            # its id (or SKU). A bare "line N" is left alone: NetSuite numbers the lines of a record
            # being written that way too, and those are not the order's lines.
            alternatives = "|".join(re.escape(ref) for ref in sorted(references, key=len, reverse=True))
            storefront = re.compile(rf"(?<![\w-])((?:[Ll]ine [Ii]tem|[Ii]tem) #?({alternatives}))(?![\w-])")
            named = storefront.sub(lambda m: f"{references[m.group(2)]} [the storefront: {m.group(1)}]"
                                   if platform_words else references[m.group(2)], named)
        return named
