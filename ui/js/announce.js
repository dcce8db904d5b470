// The chat's live region for screen readers.
import { $, el } from './util.js';

/**
 * Tells screen readers of new messages from others: "NAME: text" goes into the live region
 * #chat-announce (the list itself is not live: it is redrawn whole as one scrolls); of a burst,
 * how many came and the last one. The last few lines stay there.
 */
export function announce(msgs) {
  const region = $('chat-announce');
  if (!region || !msgs.length) return;
  const line = (m) => {
    const n = (m.files || []).length;
    const what = m.text || (n === 1 ? 'sent a file' : n ? `sent ${n} files` : '');
    return `${m.label || m.author_short}: ${what}`;
  };
  const lines = msgs.length > 3 ? [`${msgs.length} new messages`, line(msgs[msgs.length - 1])] : msgs.map(line);
  for (const t of lines) region.append(el('p', {}, t));
  while (region.childElementCount > 5) region.firstElementChild.remove();
}
