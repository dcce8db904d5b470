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

/** Subscribes to node events (see src-tauri/src/view.rs, UiEvent). */
export function onEvent(handler) {
  return tauri.event.listen('confab://event', (e) => handler(e.payload));
}
