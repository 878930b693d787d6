"""The report's Jinja2 template (autoescaped: every name and message from the data is
escaped; only the figures, SVG written by matplotlib, are inserted as markup)."""

from __future__ import annotations

TEMPLATE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="attribution_lab {{ provenance.version }}">
<title>{{ title }}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif;
       max-width: 1200px; margin: 2em auto; padding: 0 1em; color: #222; line-height: 1.45; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { border-bottom: 1px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
h3 { margin-bottom: 0.3em; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.88em; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.6em; text-align: right; }
th { background: #f3f3f3; }
td.text, th.text { text-align: left; }
figure { margin: 1em 0; overflow-x: auto; }
figure svg { max-width: 100%; height: auto; }
figcaption, .note { color: #555; font-size: 0.9em; }
.warning { background: #fff6e0; border-left: 4px solid #e0a000; padding: 0.3em 0.7em;
           margin: 0.3em 0; }
nav ul { columns: 2; }
code, pre { background: #f5f5f5; padding: 0.1em 0.3em; }
pre { padding: 0.6em; overflow-x: auto; white-space: pre-wrap; }
</style>
</head>
<body>
<h1>{{ title }}</h1>
<p class="note">{{ summary }}{% if generated %} &middot;
generated <time>{{ generated }}</time>{% endif %}</p>
<nav><ul>
{% for id, name in sections %}<li><a href="#{{ id }}">{{ name }}</a></li>
{% endfor %}</ul></nav>

<h2 id="data">Data summary</h2>
{{ table(overview) }}
{% for block in data_blocks %}
<h3>{{ block.title }}</h3>
{% if block.message %}<p class="note">{{ block.message }}</p>{% endif %}
{% if block.table %}{{ table(block.table) }}{% endif %}
{% if block.figure %}<figure>{{ block.figure }}</figure>{% endif %}
{% endfor %}

<h2 id="models">Models side by side</h2>
<p>Share of the {{ conversions }} conversions each model credits to each channel.
{% if n_boot %}Under each share: its {{ ci_percent }} bootstrap interval ({{ n_boot }}
replicates resampling customers, seed {{ provenance.seed }}).{% else %}No intervals
(no bootstrap was asked for).{% endif %}</p>
{% for m in model_notes %}<p class="note">{{ m }}</p>{% endfor %}
<figure>{{ heatmap }}</figure>
{{ table(shares) }}

<h2 id="markov">Markov transition graph</h2>
<p>{{ markov_note }}</p>
<figure>{{ markov_graph }}</figure>
{{ table(removal) }}

<h2 id="shapley">Shapley credit</h2>
{% if shapley_figure %}
<p>{{ shapley_note }}</p>
<figure>{{ shapley_figure }}</figure>
{{ table(shapley) }}
{% else %}<p class="note">{{ shapley_note }}</p>{% endif %}

{% if costs %}
<h2 id="costs">Spend and return</h2>
<p>Spend per channel from {{ costs.source }}, divided by each model's credit. Return on ad
spend (ROAS) is credited value over spend; ROI is (credited value &minus; spend) over
spend; a channel without spend has no ratio (blank). The numbers are only as causal as
the model's credit.</p>
<h3>ROAS by model</h3>
{{ table(costs.roas) }}
<h3>Cost per credited conversion by model</h3>
{{ table(costs.cpa) }}
{% for block in costs.details %}
<h3>{{ block.title }}</h3>
{{ table(block.table) }}
{% endfor %}
{% endif %}

<h2 id="warnings">Warnings ({{ warnings|length }})</h2>
{% if warnings %}
{% for w in warnings %}<div class="warning"><b>{{ w.category }}</b>{% if w.count > 1 %}
(&times;{{ w.count }}){% endif %}: {{ w.message }}</div>
{% endfor %}
{% else %}<p>The run raised no warning.</p>{% endif %}

<h2 id="provenance">How this report was made</h2>
<pre>{{ provenance.command }}</pre>
{{ table(provenance.table) }}
</body>
</html>
"""

#: One table: a header row and rows of (text, is-text) cells, escaped by the template.
TABLE_MACRO = """{% macro table(t) -%}
<table>
<thead><tr>{% for c in t.columns -%}
<th class="{{ 'text' if loop.index0 < t.text_columns else '' }}">{{ c }}</th>
{%- endfor %}</tr></thead>
<tbody>
{% for row in t.rows %}<tr>{% for cell in row -%}
<td class="{{ 'text' if loop.index0 < t.text_columns else '' }}">{{ cell }}</td>
{%- endfor %}</tr>
{% endfor %}</tbody>
</table>
{%- endmacro %}"""
