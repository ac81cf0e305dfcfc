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
    window.__qaTrigger('click', {ref: link.getAttribute('href'), n: link.matches('a.qa-cite') ? link.textContent : ''});
  }, true);
}
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
.qa-missing-figure { font-weight: 600; margin: 0 0 0.5em; }
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
#qa-sources-table { overflow-x: auto; }
table.qa-source-table td.qa-date { white-space: nowrap; }
table.qa-source-table code.qa-id, table.qa-source-table .qa-byline { display: block; }
table.qa-source-table code.qa-id { color: var(--body-text-color-subdued); font-size: 0.75em; }
.qa-page-break { border-top: 1px dashed var(--border-color-primary); margin: 8px 0 4px; font-size: 0.8em;
  color: var(--body-text-color-subdued); white-space: normal; }
"""

# ---- reading (issue 14, points 7 and 8) --------------------------------------------------------------------
# Installed by the source view (its js_on_load). The view scrolls its own box, never the page, so that its
# pinned header stays in sight and a phone does not jump. Once per page: the preview of a citation on hover
# and keyboard focus (its text is the hidden .qa-preview the server put after the link, escaped there and
# sanitised by the chat, so nothing is fetched); the open citation marked; on a narrow screen the source opens
# over the page with a way back; each new answer scrolled so its question and first lines are in view.
READING_SCRIPT = r"""
const narrow = () => window.matchMedia('(max-width: 720px)').matches;
const showMark = () => {
  const box = element.querySelector('.qa-source'), mark = element.querySelector('#qa-focus');
  if (box) box.classList.toggle('qa-sheet', Boolean(window.__qaSheet));
  if (!box || !mark) return;
  const head = box.querySelector('.qa-source-head'), pinned = head ? head.offsetHeight : 0;
  // from where the view starts down to the bottom of the window (a phone shows it over the page instead)
  box.style.height = narrow() ? '' : Math.max(360, innerHeight - box.getBoundingClientRect().top - scrollY - 16) + 'px';
  const room = box.clientHeight - pinned, markBox = mark.getBoundingClientRect();
  const top = markBox.top - box.getBoundingClientRect().top + box.scrollTop;
  box.scrollTop = Math.max(0, top - pinned - Math.max(8, (room - markBox.height) / 2));
};
watch('value', showMark);
if (!window.__qaReading) {
  window.__qaReading = true;
  const pop = document.createElement('div');
  pop.id = 'qa-preview-pop'; pop.setAttribute('role', 'tooltip'); pop.hidden = true;
  document.body.appendChild(pop);
  let shownFor = null, hideTimer = 0, back = null, returning = false;
  const place = () => {
    if (!shownFor) return;
    const r = shownFor.getBoundingClientRect(), w = pop.offsetWidth, h = pop.offsetHeight;
    pop.style.left = Math.max(8, Math.min(r.left + r.width / 2 - w / 2, innerWidth - w - 8)) + 'px';
    const below = r.bottom + 8 + h <= innerHeight || r.top - 8 - h < 0;
    pop.style.top = (below ? r.bottom + 6 : r.top - 6 - h) + 'px';
  };
  const show = (link) => {
    const preview = link.nextElementSibling;
    if (!preview || !preview.classList.contains('qa-preview')) return;
    clearTimeout(hideTimer);
    if (shownFor && shownFor !== link) shownFor.removeAttribute('aria-describedby');
    pop.innerHTML = preview.innerHTML;
    pop.hidden = false; shownFor = link;
    link.setAttribute('aria-describedby', 'qa-preview-pop');
    place();
  };
  const hide = () => {
    clearTimeout(hideTimer);
    pop.hidden = true;
    if (shownFor) shownFor.removeAttribute('aria-describedby');
    shownFor = null;
  };
  const hideSoon = () => { clearTimeout(hideTimer); hideTimer = setTimeout(hide, 200); };
  const within = (event, selector) => event.target instanceof Element ? event.target.closest(selector) : null;
  document.addEventListener('mouseover', (event) => {
    const link = within(event, 'a.qa-cite');
    if (link) show(link); else if (within(event, '#qa-preview-pop')) clearTimeout(hideTimer);
  });
  document.addEventListener('mouseout', (event) => { if (within(event, 'a.qa-cite, #qa-preview-pop')) hideSoon(); });
  document.addEventListener('focusin', (event) => {
    const link = within(event, 'a.qa-cite');
    if (link && !returning) show(link); else hide();
  });
  document.addEventListener('focusout', (event) => { if (within(event, 'a.qa-cite')) hideSoon(); });
  document.addEventListener('scroll', place, true);
  // Gradio scopes the page's CSS under its container, so the state is a class on the view's own content
  const sheet = (open) => {
    window.__qaSheet = open;
    document.querySelectorAll('#qa-source .qa-source').forEach((view) => view.classList.toggle('qa-sheet', open));
  };
  const closeReading = () => {
    if (!window.__qaSheet) return;
    sheet(false);
    if (back) {
      window.scrollTo(back.x, back.y);
      returning = true;  // focus goes back to the citation without covering the answer with its preview
      if (back.link.isConnected) back.link.focus({preventScroll: true});
      returning = false;
    }
  };
  document.addEventListener('keydown', (event) => { if (event.key === 'Escape') { hide(); closeReading(); } });
  document.addEventListener('click', (event) => {
    if (within(event, 'a.qa-back')) { event.preventDefault(); event.stopPropagation(); closeReading(); return; }
    let link = within(event, 'a[href^="#qa-open/"]');
    if (!link && !within(event, 'a')) {
      const passage = within(event, '.qa-passage');
      if (passage) link = passage.querySelector('a[href^="#qa-open/"]');
    }
    if (!link) return;
    hide();
    document.querySelectorAll('a.qa-cite-open').forEach((a) => {
      a.classList.remove('qa-cite-open'); a.removeAttribute('aria-current');
    });
    if (link.matches('a.qa-cite')) { link.classList.add('qa-cite-open'); link.setAttribute('aria-current', 'true'); }
    if (narrow()) { back = {x: scrollX, y: scrollY, link}; sheet(true); }
  }, true);
  const follow = (chat) => {
    const count = () => chat.querySelectorAll('.qa-answer, .qa-notice').length;
    let seen = count();
    const scroller = (node) => {
      for (let n = node.parentElement; n && n !== chat.parentElement; n = n.parentElement) {
        const overflow = getComputedStyle(n).overflowY;
        if ((overflow === 'auto' || overflow === 'scroll') && n.scrollHeight > n.clientHeight) return n;
      }
      return null;
    };
    new MutationObserver(() => {
      const now = count(), grew = now > seen;
      seen = now;
      if (!grew) return;
      const asked = chat.querySelectorAll('.qa-question');
      const target = asked.length ? asked[asked.length - 1] : chat.querySelectorAll('.qa-answer, .qa-notice')[now - 1];
      const box = scroller(target);
      if (box) box.scrollTop += target.getBoundingClientRect().top - box.getBoundingClientRect().top - 24;
    }).observe(chat, {childList: true, subtree: true});
  };
  const waitForChat = () => {
    const chat = document.querySelector('#qa-chat');
    if (chat) follow(chat); else setTimeout(waitForChat, 200);
  };
  waitForChat();
}
"""

READING_CSS = r"""
.qa-preview, .qa-back { display: none; }
#qa-preview-pop { position: fixed; z-index: 2000; max-width: min(440px, calc(100vw - 16px)); padding: 8px 10px;
  background: var(--background-fill-primary); color: var(--body-text-color); border-radius: 8px;
  border: 1px solid var(--border-color-primary); box-shadow: 0 6px 24px rgba(0, 0, 0, 0.18);
  font-size: 0.85rem; line-height: 1.45; }
#qa-preview-pop[hidden] { display: none; }
#qa-preview-pop .qa-preview-head { display: block; font-weight: 600; margin-bottom: 4px;
  color: var(--body-text-color-subdued); }
#qa-preview-pop .qa-preview-text { display: block; white-space: pre-wrap; }
#qa-preview-pop .qa-preview-quote { background: #fde68a; color: #111827; border-radius: 2px; }
a.qa-cite.qa-cite-open { background: var(--color-accent); color: #fff; border-radius: 4px; padding: 0 3px; }
.qa-open-label { display: inline-block; background: var(--color-accent); color: #fff; border-radius: 4px;
  padding: 0 5px; margin-right: 4px; font-weight: 600; }
#qa-source { padding: 0; overflow: hidden; }
#qa-source > .qa-empty, #qa-source .qa-empty { padding: 8px 12px; }
#qa-source .qa-source { position: relative; overflow-y: auto; overscroll-behavior: contain;
  height: max(360px, calc(100vh - 160px)); }
#qa-source .qa-source-head { position: sticky; top: 0; z-index: 1; margin: 0; padding: 8px 12px;
  background: var(--block-background-fill, var(--background-fill-primary));
  border-bottom: 1px solid var(--border-color-primary); }
#qa-source .qa-source-text { padding: 8px 12px; }
#qa-source .qa-source.qa-source-message { height: auto; }
#qa-side:has(.qa-source) > #qa-source-title, #qa-side:has(.qa-source) > #qa-source { order: -1; }
#qa-sources-table, .qa-scroll-x { overflow-x: auto !important; max-width: 100%; }
#qa-sources-table table { min-width: 36rem; }
.qa-scroll-x table { width: max-content !important; max-width: none !important; }
.qa-scroll-x th, .qa-scroll-x td { white-space: nowrap; }
@media (max-width: 720px) {
  #qa-source:has(.qa-sheet) { position: fixed; left: 0; right: 0; bottom: 0; z-index: 1500; margin: 0;
    border-radius: 12px 12px 0 0; box-shadow: 0 -8px 30px rgba(0, 0, 0, 0.25);
    background: var(--background-fill-primary); }
  #qa-source .qa-source.qa-sheet { height: 75vh; }
  #qa-source .qa-source.qa-sheet.qa-source-message { height: auto; padding-bottom: 24px; }
  #qa-source .qa-sheet .qa-back { display: block; margin-bottom: 4px; font-weight: 600; }
}
"""
CSS += READING_CSS
# ---- end of reading --------------------------------------------------------------------------------------
