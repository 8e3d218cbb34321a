"""The page's CSS and JavaScript: conversation layout, grade cards, and the two behaviours done in the browser
(Ctrl+Enter sends; the newest question is scrolled into view, with the answer box under it)."""

CSS = """
.conv { display: flex; flex-direction: column; gap: 8px; }
.msg { padding: 8px 12px; border-radius: 10px; white-space: pre-wrap; word-break: break-word; max-width: 92%; }
.msg.q { background: #eef3fb; color: #111; align-self: flex-start; border: 1px solid #c9d6ee; }
.msg.q.pending, .msg.q.streaming { border: 2px solid #4a7bd0; font-weight: 500; }
.msg.a { background: #f3f3f3; color: #111; align-self: flex-end; border: 1px solid #ddd; }
.msg .who { font-size: 0.75em; color: #555; display: block; margin-bottom: 2px; font-weight: 400; }
.msg mark { background: #fff3a0; padding: 0 2px; }
details.turn-grade { align-self: stretch; margin: 0 0 6px 24px; }
details.turn-grade > summary { cursor: pointer; color: #333; font-size: 0.9em; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 9px; color: #fff; font-size: 0.8em; }
.card { border: 1px solid #ccc; border-radius: 10px; padding: 12px 16px; background: #fff; color: #111; }
.card h3 { margin: 4px 0 8px 0; }
.card .score { font-size: 2em; font-weight: 700; }
.card .verdict { font-size: 0.9em; color: #444; margin-left: 8px; }
.card table, .ktable { border-collapse: collapse; width: 100%; margin: 6px 0; }
.card td, .card th, .ktable td, .ktable th { border: 1px solid #ddd; padding: 4px 6px; vertical-align: top;
  text-align: left; color: #111; }
.card mark { background: #fff3a0; padding: 0 2px; }
.card .pre { white-space: pre-wrap; }
.card [lang|=zh] { font-family: "Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
  "Microsoft YaHei", "PingFang SC", sans-serif; }
.contradicted { border: 2px solid #7b1fa2; background: #f6ecfa; border-radius: 8px; padding: 4px 12px; margin: 6px 0; }
.contradicted h4 { margin: 4px 0; color: #7b1fa2; }
.checks { color: #333; font-size: 0.9em; }
.ignored { color: #555; font-size: 0.9em; }
.bar { display: inline-block; height: 10px; background: #4a7bd0; border-radius: 3px; vertical-align: middle; }
.flag { color: #c62828; }
.note { color: #555; font-style: italic; }
.status-line { color: #b00020; min-height: 1.2em; }
.status-line.ok { color: #1b7f3b; }
.attempts { display: flex; gap: 10px; overflow-x: auto; }
.attempts > div { flex: 1 1 0; min-width: 220px; border: 1px solid #ccc; border-radius: 8px; padding: 8px;
  white-space: pre-wrap; background: #fff; color: #111; }
.kdoc { white-space: pre-wrap; }
.due-now { font-weight: 600; color: #c62828; }
.loading { padding: 6px 10px; border-radius: 8px; background: #fff8e1; color: #111; border: 1px solid #e6c84f; }
.loading.failed { background: #fdecea; border-color: #c62828; color: #8a1c1c; }
.loading progress { width: 240px; vertical-align: middle; margin-right: 8px; }
.model-info { color: #444; font-size: 0.85em; }
"""

# Ctrl+Enter (or Cmd+Enter) in an answer box presses the submit button next to it. When a conversation shows a
# new newest question (another session, turn or phase), the page scrolls so that the question and the answer
# box under it are both in view, the question winning when both do not fit; a re-render of the same state
# (a status message, a streamed chunk) does not move the page, so reading a grade card is never interrupted.
JS = """
() => {
  document.addEventListener('keydown', (e) => {
    if (!(e.key === 'Enter' && (e.ctrlKey || e.metaKey))) return;
    const box = e.target && e.target.closest ? e.target.closest('.answer-box') : null;
    if (!box) return;
    const btn = document.getElementById(box.id.replace(/answer$/, 'submit'));
    if (btn) { e.preventDefault(); btn.click(); }
  }, true);
  const shown = new Map();
  let queued = false;
  const follow = () => {
    queued = false;
    document.querySelectorAll('.conv').forEach((conv) => {
      const wrap = conv.closest('[id$="conversation"]');
      if (!wrap || wrap.offsetParent === null) return;
      const qs = conv.querySelectorAll('.msg.q');
      const last = qs[qs.length - 1];
      if (!last) return;
      const key = (conv.dataset.session || '') + ':' + last.dataset.idx + ':' + (conv.dataset.phase || '');
      if (shown.get(wrap.id) === key) return;
      shown.set(wrap.id, key);
      const box = document.getElementById(wrap.id.replace(/conversation$/, 'answer'));
      const q = last.getBoundingClientRect();
      const b = box ? box.getBoundingClientRect() : q;
      if (q.top >= 0 && b.bottom <= window.innerHeight) return;
      let dy = b.bottom + 16 - window.innerHeight;
      if (q.top - dy < 8) dy = q.top - 8;
      window.scrollBy(0, dy);
    });
  };
  new MutationObserver(() => {
    if (!queued) { queued = true; requestAnimationFrame(follow); }
  }).observe(document.body, {childList: true, subtree: true, characterData: true});
}
"""
