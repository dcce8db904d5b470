// Small DOM helpers. Text from peers only ever goes into text nodes (textContent), never HTML.

export const $ = (id) => document.getElementById(id);

/** Creates an element with attributes and children (strings become text nodes). */
export function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) {
    if (c === null || c === undefined) continue;
    e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return e;
}

let toastTimer = null;
/** Shows a short message; errors stay a little longer. */
export function toast(msg, isError = false) {
  const t = $('toast');
  t.textContent = msg;
  t.classList.toggle('error', isError);
  t.hidden = false;
  clearTimeout(toastTimer);
  toastTimer = setTimeout(() => { t.hidden = true; }, isError ? 6000 : 2500);
}

/** A stable colour for an author id. */
export function colorFor(id) {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return `hsl(${h % 360} 60% 45%)`;
}

export function timeOf(ms) {
  const d = new Date(ms);
  const today = new Date();
  const hm = d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return d.toDateString() === today.toDateString() ? hm : `${d.toLocaleDateString()} ${hm}`;
}

export function shortPeer(id) {
  return id.length > 12 ? `…${id.slice(-6)}` : id;
}

/** Runs `fn` once, `ms` after the last of a burst of calls. */
export function debounce(fn, ms) {
  let t = null;
  return (...args) => {
    clearTimeout(t);
    t = setTimeout(() => fn(...args), ms);
  };
}

/** A peer's colour if it is a plain `#rrggbb` (anything else from a peer is ignored). */
export function safeColor(c) {
  return typeof c === 'string' && /^#[0-9a-fA-F]{6}$/.test(c) ? c : null;
}

/** Briefly highlights an element (a message jumped to). */
export function flash(e) {
  e.classList.remove('flash');
  void e.offsetWidth; // restarts the animation
  e.classList.add('flash');
  setTimeout(() => e.classList.remove('flash'), 2100);
}
