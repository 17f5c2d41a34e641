"""The certification report as one self-contained HTML file (no scripts, no external assets): the
run metadata, the headline naming what the connector claims, the storefront x direction matrix with
verdicts (unclaimed rows "not claimed"), the evidence behind each claimed cell
(orders and refund totals per side per currency) and every failed scenario with why it failed."""
from __future__ import annotations

from pathlib import Path
from typing import Any

TEMPLATE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Refund sync certification: {{ report.headline or report.verdict }}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 1rem 0; }
th, td { border: 1px solid #ccc; padding: .3rem .6rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
.verdict { font-weight: bold; padding: .1rem .4rem; border-radius: .2rem; }
.certified { background: #d6f5d6; } .failed { background: #f8d0d0; }
.partial, .not-covered { background: #fff0c0; }
.not-claimed { background: #e8e8e8; color: #555; }
code { font-size: .9em; }
</style></head>
<body>
<h1>Refund sync certification: <span class="verdict {{ report.verdict | css }}">{{ report.verdict | upper }}</span></h1>
{% if report.headline %}<p class="headline"><strong>{{ report.headline }}</strong></p>{% endif %}
{% if reasons %}<ul>{% for reason in reasons %}<li>{{ reason }}</li>{% endfor %}</ul>{% endif %}

<h2>Run</h2>
<table>
<tr><th>connector under test</th><td><code>{{ report.connector }}</code></td></tr>
{% if report.claim %}
<tr><th>claim</th><td>{{ report.claim.description }}{% if report.claim.narrowed_by %} (narrowed by{% for claim in report.claim.narrowed_by %} <code>--claim {{ claim }}</code>{% endfor %}){% endif %}</td></tr>
{% endif %}
{% if run %}
<tr><th>seed</th><td>{{ run.seed }}</td></tr>
<tr><th>replay</th><td><code>{{ run.replay }}</code></td></tr>
<tr><th>selection</th><td>{% for key, value in run.selection.items() if value %}{{ key }}: <code>{{ value }}</code><br>{% else %}the whole suite{% endfor %}</td></tr>
<tr><th>project</th><td>{{ run.project_version }} at commit <code>{{ run.git_commit }}</code></td></tr>
<tr><th>Python and packages</th><td>Python {{ run.python }}{% for name, version in run.packages.items() %}, {{ name }} {{ version }}{% endfor %}</td></tr>
<tr><th>transport</th><td>{{ run.transport }}</td></tr>
<tr><th>started / finished</th><td>{{ run.started_at }} / {{ run.finished_at }}</td></tr>
{% endif %}
<tr><th>scenarios</th><td>{% for key in ("selected", "deselected", "passed", "failed", "skipped", "not_claimed") if key in report.scenarios %}{{ key | replace("_", " ") }} {{ report.scenarios[key] }}{% if not loop.last %}, {% endif %}{% endfor %}</td></tr>
</table>

<h2>Matrix</h2>
<table>
<tr><th>storefront</th><th>direction</th><th>line items</th><th>passed</th><th>failed</th><th>orders</th>
<th>storefront total</th><th>NetSuite total</th><th>verdict</th></tr>
{% for row in report.rows %}
<tr><td>{{ row.storefront }}</td><td>{{ row.direction }}</td><td>{{ "yes" if row.line_items else "no (general)" }}</td>
<td>{{ row.scenarios_passed }}</td><td>{{ row.scenarios_failed }}</td><td>{{ row.orders }}</td>
<td>{{ row.storefront_refund_total | money }}</td><td>{{ row.netsuite_refund_total | money }}</td>
<td><span class="verdict {{ row.verdict | css }}">{{ row.verdict }}</span></td></tr>
{% endfor %}
</table>

<h2>Evidence per cell</h2>
{% for row in report.rows if row.claimed is not defined or row.claimed %}
<h3 id="{{ row.platform }}-{{ row.direction }}">{{ row.storefront }} {{ row.direction }}: {{ row.verdict }}</h3>
{% if row.reasons and row.verdict != "certified" %}<ul>{% for reason in row.reasons %}<li>{{ reason }}</li>{% endfor %}</ul>{% endif %}
{% if row.evidence.scenarios %}<p>Scenarios: {{ row.evidence.scenarios | join("; ") }}</p>{% endif %}
{% if row.evidence.orders %}
<table><tr><th>order</th><th>currency</th><th>storefront refunds</th><th>NetSuite refunds</th><th>matches</th><th>description</th></tr>
{% for order in row.evidence.orders %}
<tr><td>{{ order.order_id }}</td><td>{{ order.currency }}</td><td>{{ order.storefront_total }}</td>
<td>{{ order.netsuite_total }}</td><td>{{ "yes" if order.matches else "NO" }}</td><td>{{ order.description }}</td></tr>
{% endfor %}</table>
{% endif %}
{% if row.evidence.detected_mismatches %}<p>{{ row.evidence.detected_mismatches | length }} deliberate mismatch(es) detected as expected.</p>{% endif %}
{% endfor %}

<h2>Scenarios that did not pass</h2>
{% if report.scenarios.why_failed %}
<table><tr><th>scenario</th><th>why</th></tr>
{% for name, why in report.scenarios.why_failed.items() %}<tr><td>{{ name }}</td><td>{{ why }}</td></tr>{% endfor %}
</table>
{% else %}<p>None: every scenario that ran passed.</p>{% endif %}
</body></html>
"""


def render_html(report: dict[str, Any]) -> str:
    from jinja2 import Environment

    from harness.certification import failure_reasons, money_text

    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    env.filters["money"] = money_text
    env.filters["css"] = lambda verdict: verdict.replace(" ", "-")
    return env.from_string(TEMPLATE).render(report=report, run=report.get("run"), reasons=failure_reasons(report))


def write_html(path: Path, report: dict[str, Any]) -> None:
    from harness.certification import write_atomically

    write_atomically(path, render_html(report))
