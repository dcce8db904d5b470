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

/** A stable colour for an author id; `lightness` 28 (%) keeps white text on it at 4.5:1. */
export function colorFor(id, lightness = 45) {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) >>> 0;
  return `hsl(${h % 360} 60% ${lightness}%)`;
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

/** WCAG's relative luminance of `#rrggbb`. */
function luminance(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => {
    const v = parseInt(hex.slice(i, i + 2), 16) / 255;
    return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
  });
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}

function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

/** `hex` moved a share `t` (0 to 1) of the way to `to`. */
function mix(hex, to, t) {
  const part = (s, i) => parseInt(s.slice(i, i + 2), 16);
  return `#${[1, 3, 5].map((i) => Math.round(part(hex, i) + (part(to, i) - part(hex, i)) * t)
    .toString(16).padStart(2, '0')).join('')}`;
}

/** `hex`, or the least step of it toward `to` that reads at 4.5:1 on every one of `grounds`. */
function readableOn(hex, grounds, to) {
  for (let k = 0; k <= 20; k++) {
    const c = mix(hex, to, k / 20);
    if (grounds.every((g) => contrast(c, g) >= 4.6)) return c;
  }
  return to;
}

/**
 * A person's colour (`#rrggbb`, as they chose it or as the palette gave it) for their name in
 * the light and the dark theme: as it is where it reads well, else darkened (light theme) or
 * lightened (dark theme) until it keeps 4.5:1 on a message, one's own and the page (the
 * backgrounds --panel, --mine and --bg of style.css).
 */
export function nameColors(hex) {
  return {
    light: readableOn(hex, ['#ffffff', '#e8f0fe', '#f7f7f5'], '#000000'),
    dark: readableOn(hex, ['#1e2126', '#22314d', '#16181c'], '#ffffff'),
  };
}

/** Briefly highlights an element (a message jumped to). */
export function flash(e) {
  e.classList.remove('flash');
  void e.offsetWidth; // restarts the animation
  e.classList.add('flash');
  setTimeout(() => e.classList.remove('flash'), 2100);
}
