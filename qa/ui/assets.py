"""The page's stylesheet and scripts, inline: the page loads nothing from outside the machine."""

# Installed once by the passages panel (a gr.HTML, whose `trigger` sends events to Python). One
# capture-phase listener serves the whole page: the chat bubbles are sanitised by Gradio and may not
# carry scripts or data-* attributes, so citations are plain links `#qa-open/<source>/<start>/<end>`.
CLICK_SCRIPT = r"""
window.__qaTrigger = trigger;
if (!window.__qaClicks) {
  window.__qaClicks = true;
  const copyToClipboard = async (text) => {
    if (navigator.clipboard && window.isSecureContext) { await navigator.clipboard.writeText(text); return; }
    const area = document.createElement('textarea');
    area.value = text; area.setAttribute('readonly', ''); area.style.position = 'fixed'; area.style.opacity = '0';
    document.body.appendChild(area); area.select(); document.execCommand('copy'); area.remove();
  };
  document.addEventListener('click', (event) => {
    const target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    const copy = target.closest('a.qa-copy');
    if (copy) {
      event.preventDefault(); event.stopPropagation();
      const text = copy.parentElement.querySelector('.qa-copytext').textContent;
      copyToClipboard(text).then(() => {
        copy.textContent = 'Copied'; copy.classList.add('qa-copied');
        setTimeout(() => { copy.textContent = 'Copy citation'; copy.classList.remove('qa-copied'); }, 1500);
      }, () => { copy.textContent = 'Copy failed'; });
      return;
    }
    let link = target.closest('a[href^="#qa-open/"]');
    if (!link && !target.closest('a')) {
      const passage = target.closest('.qa-passage');
      if (passage) link = passage.querySelector('a[href^="#qa-open/"]');
    }
    if (!link) return;
    event.preventDefault(); event.stopPropagation();
    window.__qaTrigger('click', {ref: link.getAttribute('href')});
  }, true);
}
"""

# The source view scrolls its highlighted span into view whenever it shows a new one.
SCROLL_SCRIPT = r"""
watch('value', () => {
  const mark = element.querySelector('#qa-focus');
  if (mark) mark.scrollIntoView({block: 'center', behavior: 'instant'});
});
"""

CSS = r"""
.gradio-container { width: 100% !important; max-width: 1400px !important; margin: 0 auto !important; }
#qa-header h1 { margin-bottom: 0.1em; }
#qa-header p { margin-top: 0; color: var(--body-text-color-subdued); }
.qa-panel-title h3 { margin: 0.2em 0 0.4em; font-size: 1.0em; }
.qa-answer { line-height: 1.5; }
.qa-quotes { display: flex; flex-direction: column; gap: 8px; }
.qa-quotes.qa-side-by-side { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); }
.qa-quote { border-left: 3px solid var(--color-accent); padding: 2px 0 2px 10px; }
.qa-side-by-side .qa-quote { border: 1px solid var(--border-color-primary); border-left: 3px solid #d97706;
  border-radius: 6px; padding: 6px 10px; }
.qa-quote-source { font-size: 0.85em; font-weight: 600; margin-bottom: 2px; }
q.qa-text, .qa-question { white-space: pre-wrap; }
a.qa-cite { font-weight: 600; text-decoration: none; white-space: nowrap; }
a.qa-copy { font-size: 0.78em; margin-left: 0.4em; color: var(--body-text-color-subdued); white-space: nowrap; }
a.qa-copy.qa-copied { color: #15803d; }
.qa-copytext { display: none; }
.qa-conflict { background: rgba(245, 158, 11, 0.12); border: 1px solid rgba(217, 119, 6, 0.55);
  border-radius: 6px; padding: 6px 10px; margin: 0 0 8px; }
.qa-abstain { font-weight: 600; margin: 0; }
.qa-reason { margin: 0.2em 0; }
.qa-uncovered { color: var(--body-text-color-subdued); font-size: 0.9em; margin: 0.4em 0 0; }
.qa-language-note { border-left: 3px solid var(--color-accent, #f97316); padding: 0.2em 0.6em; margin: 0 0 0.5em; font-size: 0.92em; }
.qa-figure { font-weight: 700; }
.qa-attribution { font-weight: 400; font-style: italic; }
.qa-ellipsis { color: var(--body-text-color-subdued); }
.qa-hint, .qa-empty { color: var(--body-text-color-subdued); font-size: 0.9em; margin: 0.3em 0; }
.qa-notice { margin: 0; }
.qa-notice.qa-error { color: #b91c1c; }
.qa-notice.qa-ok { color: #15803d; }
ul.qa-sources { list-style: none; padding: 6px 0 0; margin: 10px 0 0; font-size: 0.85em;
  border-top: 1px solid var(--border-color-primary); }
ul.qa-sources li { margin: 2px 0; padding: 0; }
ul.qa-sources li::before { content: none; }
.qa-n { font-weight: 600; }
ol.qa-passages { list-style: none; padding: 0; margin: 0; }
li.qa-passage { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 10px;
  margin: 0 0 8px; cursor: pointer; }
li.qa-passage::before { content: none; }
li.qa-passage:hover { border-color: var(--color-accent); }
li.qa-passage.qa-quoted { border-left: 3px solid var(--color-accent); }
.qa-passage-head { display: flex; gap: 8px; align-items: baseline; font-size: 0.85em; margin-bottom: 4px; }
.qa-passage-head a.qa-open { font-weight: 600; flex: 1; text-align: left; text-decoration: none; }
.qa-rank { display: inline-block; min-width: 1.6em; text-align: center; border-radius: 999px;
  background: var(--background-fill-secondary); font-weight: 600; }
.qa-score { color: var(--body-text-color-subdued); font-variant-numeric: tabular-nums; }
.qa-passage-text, .qa-source-text { white-space: pre-wrap; font-size: 0.9em; line-height: 1.5; }
#qa-source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 8px 12px; }
.qa-source-head { margin-bottom: 6px; }
.qa-meta { font-size: 0.85em; color: var(--body-text-color-subdued); }
mark { background: #fde68a; color: #111827; padding: 0 1px; border-radius: 2px; }
table.qa-source-table { width: 100%; border-collapse: collapse; font-size: 0.9em; }
table.qa-source-table code { font-size: 0.85em; }
table.qa-source-table th { font-weight: 600; }
table.qa-source-table th, table.qa-source-table td { text-align: left; padding: 4px 8px;
  border-bottom: 1px solid var(--border-color-primary); vertical-align: top; }
td.qa-num { text-align: right; font-variant-numeric: tabular-nums; }
"""
