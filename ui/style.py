"""The chat page's stylesheet and the script that brings a source card into view when its [n] is clicked."""

from __future__ import annotations

CSS = """
.pq-header h1 { margin: 0 0 2px 0; font-size: 1.5rem; }
.pq-header p { margin: 0; }
#pq-status { font-size: 0.9rem; }
.pq-status-ok::before { content: "●"; color: #2e7d32; margin-right: 6px; }
.pq-status-busy::before { content: "●"; color: #e6a700; margin-right: 6px; }
.pq-label { font-weight: 600; font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.04em;
  opacity: 0.75; margin-bottom: 4px; }
.pq-extract { border-left: 3px solid var(--color-accent); padding: 6px 10px; margin: 0 0 8px 0;
  background: var(--background-fill-secondary); border-radius: 4px; }
.pq-extract summary { cursor: pointer; font-size: 0.85rem; opacity: 0.8; }
.pq-extract-list { margin: 4px 0 0 0 !important; padding-left: 18px !important; }
.pq-extract-list li { margin: 2px 0 !important; }
.pq-draft { opacity: 0.75; font-style: italic; }
.pq-writing::after { content: "▍"; animation: pq-blink 1s steps(1) infinite; }
@keyframes pq-blink { 50% { opacity: 0; } }
.pq-answer { line-height: 1.55; }
.pq-muted { opacity: 0.7; font-size: 0.9em; }
.pq-meta { opacity: 0.6; font-size: 0.8em; margin-top: 6px; }
a.pq-cite { text-decoration: none; font-weight: 600; color: var(--color-accent); padding: 0 1px; }
a.pq-cite:hover { text-decoration: underline; }
.pq-quote { font-style: italic; color: #374151; }
.pq-unsupported { text-decoration: underline wavy #d97706; text-underline-offset: 3px; }
.pq-flag { display: inline-block; font-size: 0.75em; color: #92400e; background: #fef3c7;
  border-radius: 4px; padding: 0 4px; margin-left: 2px; }
.pq-dropped { margin-top: 6px; font-size: 0.9em; }
.pq-dropped ul { margin: 4px 0 0 1em; }
.pq-notice { border-radius: 6px; padding: 8px 12px; }
.pq-refusal { background: #eff6ff; border: 1px solid #93c5fd; color: #1e3a8a; }
.pq-error { background: #fef2f2; border: 1px solid #fca5a5; color: #7f1d1d; }
#pq-sources { position: sticky; top: 8px; max-height: calc(100vh - 24px); overflow-y: auto !important; }
.pq-sources-head { font-weight: 600; margin: 0 0 8px 0; }
.pq-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px;
  margin: 0 0 10px 0; background: var(--block-background-fill); scroll-margin-top: 8px; }
.pq-card header { display: flex; gap: 8px; align-items: baseline; }
.pq-card h4 { margin: 0; font-size: 1rem; }
.pq-num { flex: none; display: inline-block; min-width: 1.6em; text-align: center; border-radius: 999px;
  background: var(--color-accent); color: white; font-weight: 600; font-size: 0.8rem; }
.pq-tags { margin: 4px 0; }
.pq-tag-extract { opacity: 0.7; font-style: italic; }
.pq-tag { display: inline-block; font-size: 0.75rem; border: 1px solid var(--border-color-primary);
  border-radius: 999px; padding: 0 8px; margin-right: 4px; }
.pq-fields { display: grid; grid-template-columns: max-content 1fr; gap: 0 10px; margin: 4px 0;
  font-size: 0.85rem; }
.pq-fields dt { opacity: 0.7; }
.pq-fields dd { margin: 0; }
.pq-passage { white-space: pre-line; font-size: 0.85rem; margin: 6px 0; padding: 6px 10px;
  border-left: 3px solid var(--border-color-primary); }
.pq-passage mark { background: #fde68a; color: #111; padding: 0 1px; }
.pq-link { font-size: 0.85rem; }
.pq-flash { animation: pq-flash 1.6s ease-out; }
.pq-results .pq-card header { justify-content: space-between; }
.pq-date { flex: none; font-size: 0.85rem; opacity: 0.75; white-space: nowrap; }
.pq-snippet { font-size: 0.9rem; margin: 6px 0; padding: 4px 10px; border-left: 3px solid var(--color-accent); }
.pq-snippet mark, .pq-doc mark { background: #fde68a; color: #111; padding: 0 1px; }
.pq-asked { font-size: 0.85rem; margin: 4px 0; }
.pq-asked .pq-label { font-style: normal; margin-right: 4px; }
.pq-full > summary { cursor: pointer; font-size: 0.9rem; color: var(--color-accent); }
.pq-doc { margin-top: 6px; font-size: 0.9rem; line-height: 1.5; }
.pq-doc p { margin: 0 0 6px 0; }
.pq-doc-question { font-style: italic; margin-bottom: 6px; }
.pq-doc-foot { margin-top: 4px; font-size: 0.85rem; }
.pq-licence { display: block; margin-top: 2px; }
#pq-search-bar { align-items: center; }
.pq-page-summary { font-weight: 600; padding: 4px 0; }
#pq-facets .pq-facet { max-height: 260px; overflow-y: auto; }
#pq-facets .pq-facet label { font-size: 0.85rem; }
.pq-chart { margin: 4px 0 12px 0; }
.pq-chart svg { width: 100%; height: auto; max-height: 260px; }
.pq-chart .pq-bar { fill: var(--color-accent); }
.pq-chart .pq-bar:hover { opacity: 0.75; }
.pq-chart .pq-axis { stroke: var(--body-text-color); stroke-opacity: 0.4; }
.pq-chart .pq-tick { font-size: 11px; fill: var(--body-text-color); fill-opacity: 0.75; }
.pq-chart .pq-mark line { stroke: #b91c1c; stroke-dasharray: 4 3; stroke-width: 1.5; }
.pq-chart .pq-mark text { font-size: 11px; fill: #b91c1c; }
.pq-chart figcaption { font-size: 0.8rem; text-align: center; }
.pq-month h3 { margin: 12px 0 4px 0; font-size: 1.05rem; border-bottom: 1px solid var(--border-color-primary); }
.pq-month h3 .pq-muted { font-weight: normal; margin-left: 6px; }
.pq-entries { list-style: none; margin: 0 !important; padding: 0 !important; }
.pq-entry { margin: 6px 0 10px 0 !important; padding-left: 10px; border-left: 3px solid var(--border-color-primary); }
.pq-entry-head { font-size: 0.9rem; }
.pq-entry-head .pq-date { font-weight: 600; opacity: 1; }
.pq-entry-title { font-size: 0.85rem; opacity: 0.8; }
.pq-quote { margin: 4px 0 !important; padding: 2px 10px !important; font-size: 0.95rem; }
.pq-entry-link { font-size: 0.85rem; }
.pq-summary { margin: 0 0 12px 0; padding: 8px 12px; border-radius: 8px; background: var(--background-fill-secondary); }
.pq-summary-sources { margin-top: 8px; }
.pq-summary-sources > summary { cursor: pointer; font-size: 0.9rem; color: var(--color-accent); }
.pq-downloads { justify-content: flex-end; gap: 8px !important; }
.pq-download { flex-grow: 0 !important; }
.pq-query-row { align-items: center; }
@keyframes pq-flash { 0% { box-shadow: 0 0 0 3px var(--color-accent); } 100% { box-shadow: 0 0 0 0 transparent; } }
"""

JS = """
() => {
  document.addEventListener("click", (event) => {
    const link = event.target instanceof Element ? event.target.closest("a.pq-cite") : null;
    if (!link) return;
    const card = document.getElementById((link.getAttribute("href") || "").replace(/^#/, ""));
    if (!card) return;
    event.preventDefault();
    event.stopPropagation();
    const folded = card.closest("details");
    if (folded) folded.open = true;
    card.scrollIntoView({ behavior: "smooth", block: "nearest" });
    card.classList.remove("pq-flash");
    void card.offsetWidth;
    card.classList.add("pq-flash");
  }, true);
}
"""
