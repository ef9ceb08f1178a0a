"""Data Docs that open on an intranet: no stylesheet, script, font, image or link from the internet.

Great Expectations' page templates load jQuery, Bootstrap, bootstrap-table, Vega and
Font Awesome from public CDNs, and GX ships none of them (its package holds only its
own CSS, fonts and images, which the site already copies beside the pages). Without
them a page renders unstyled, and the index's two tables, which bootstrap-table draws
from data in a script, stay empty. So after each GX write every page is rewritten:
external tags go, the index's tables are written out as plain HTML from that data, the
scripts (which need jQuery) go, and a small stylesheet of our own stands in for Bootstrap.
Nothing is downloaded.
"""

from __future__ import annotations

import ast
import re
from html import escape
from pathlib import Path

_EXTERNAL_TAG = re.compile(
    r"""<(?:script|link|img)\b[^>]*?(?:src|href)\s*=\s*["'](?:https?:)?//[^"']*["'][^>]*?>(?:\s*</script>)?""",
    re.I | re.S,
)
_EXTERNAL_LINK = re.compile(
    r"""<a\b[^>]*?href\s*=\s*["'](?:https?:)?//[^"']*["'][^>]*>(.*?)</a>""", re.I | re.S
)
_EXTERNAL_URL = re.compile(r"""url\(\s*["']?(?:https?:)?//[^)]*\)""", re.I)
_BOOTSTRAP_TABLE = re.compile(
    r"""\$\(['"]#(?P<id>[\w-]+)['"]\)\.bootstrapTable\(\s*Object\.assign\(\s*\{\s*columns:\s*(?P<columns>\[.*?\]),\s*"""
    r"""data:\s*(?P<data>\[.*?\]),\s*toolbar:""",
    re.S,
)
_SCRIPT = re.compile(r"<script\b[^>]*>.*?</script>", re.I | re.S)
_TOOLBAR = re.compile(r"""<div id="[\w-]+-toolbar"[^>]*>.*?</div>""", re.S)
MARK = "<!-- childreg: offline -->"

# Enough of Bootstrap's look for GX's markup: readable tables and columns, icons as text.
STYLE = """<style>
  body { font: 14px/1.5 "Noto Sans CJK SC", "Microsoft YaHei", system-ui, sans-serif; color: #1f2933; margin: 0; }
  .container, .container-fluid { max-width: 1200px; margin: 0 auto; padding: 16px 20px; }
  .row { display: flex; flex-wrap: wrap; gap: 16px; }
  .col-md-2, .col-md-3 { flex: 0 0 260px; } .col-md-8, .col-md-9, .col-md-10 { flex: 1 1 600px; min-width: 0; }
  table { border-collapse: collapse; margin: 8px 0 14px; }
  th, td { border: 1px solid #d9e2ec; padding: 4px 8px; text-align: left; vertical-align: top; }
  th { background: #f5f7fa; }
  .card { border: 1px solid #d9e2ec; border-radius: 6px; padding: 8px 12px; margin: 10px 0; }
  .navbar, .ge-index-page-site-name-title, .cooltip .top, footer { display: none; }  /* footer: GX's newsletter */
  .text-success { color: #1b7a4a; } .text-danger { color: #b42318; }
  .fas.fa-check-circle::before, .fas.fa-check::before { content: "✔"; }
  .fas.fa-times::before, .fas.fa-times-circle::before { content: "✘"; }
  .fas.fa-exclamation-triangle::before { content: "!"; }
  a { color: #2f6db5; }
</style>"""


def make_offline(docs_dir: Path) -> list[Path]:
    """Rewrite every page of a Data Docs site in place (pages already rewritten are left); the
    rewritten pages."""
    done = []
    for page in sorted(Path(docs_dir).rglob("*.html")):
        if ".gx" in page.relative_to(docs_dir).parts:
            continue
        text = page.read_text(encoding="utf-8")
        if MARK in text:
            continue
        page.write_text(offline_html(text), encoding="utf-8")
        done.append(page)
    return done


def offline_html(page: str) -> str:
    """One page without anything from the internet, its script-drawn tables written out."""
    tables = {m["id"]: _static_table(m["columns"], m["data"]) for m in _BOOTSTRAP_TABLE.finditer(page)}
    for table_id, html in tables.items():
        page = re.sub(rf"<table\s+id=\"{re.escape(table_id)}\"[^>]*>\s*</table>", lambda _, h=html: h, page)
    page = _EXTERNAL_TAG.sub("", page)
    page = _EXTERNAL_LINK.sub(lambda m: f"<span>{m[1]}</span>", page)
    page = _EXTERNAL_URL.sub("none", page)
    page = _SCRIPT.sub("", page)  # every script left needs jQuery or Bootstrap
    page = _TOOLBAR.sub("", page)  # filter buttons that only a script could work
    page = re.sub(r"\s(?:on\w+)=\"[^\"]*\"", "", page)  # inline handlers call those scripts
    return page.replace("</head>", f"{STYLE}\n{MARK}\n</head>", 1)


def _static_table(columns_literal: str, data_literal: str) -> str:
    """The table bootstrap-table would draw: a header per column, a row per item, the row's
    page (GX's ``_table_row_link_path``) linked from its first cell."""
    columns = ast.literal_eval(columns_literal)
    rows = ast.literal_eval(data_literal)
    head = "".join(f"<th>{escape(str(c.get('title', c['field'])))}</th>" for c in columns)
    body = []
    for row in sorted(rows, key=lambda r: r.get("_run_time_sort") or 0, reverse=True):
        cells = [str(row.get(c["field"], "")) for c in columns]  # GX's own markup, kept as is
        link = row.get("_table_row_link_path")
        if link and cells:
            cells[0] = f'<a href="{escape(link)}">{cells[0] or escape(link)}</a>'
        body.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
