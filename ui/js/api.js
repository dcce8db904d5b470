// The only bridge to Rust: Tauri commands and the node's event stream.
const tauri = window.__TAURI__;

/** Calls a command; rejects with an Error whose message is the app's human message. */
export async function call(cmd, args = {}) {
  try {
    return await tauri.core.invoke(cmd, args);
  } catch (e) {
    const err = new Error(typeof e === 'string' ? e : (e && e.message) || String(e));
    err.code = e && e.code;
    throw err;
  }
}

/** Subscribes to node events (`EventView` in crates/node/src/view, tagged by `type`). */
export function onEvent(handler) {
  return tauri.event.listen('confab://event', (e) => handler(e.payload));
}

/** Subscribes to one of the window's own events (`tauri://drag-drop` …); gets its payload. */
export function onWindowEvent(name, handler) {
  return tauri.event.listen(name, (e) => handler(e.payload));
}
