// The phone's side of the node's lifecycle. On Android the native `net` plugin
// (src-tauri/src/mobile.rs, NetPlugin.kt) raises `lifecycle` with a kind — "suspended",
// "resumed" or "network-changed" — and this hands it to the node through `app_lifecycle`.
// On a desktop, and on iOS until it has a native side, there is no such plugin: nothing is
// asked of it there (the desktop's capabilities do not even allow the call).
const tauri = window.__TAURI__;
const PHONE = /Android/i.test(navigator.userAgent);

async function forward(kind) {
  try {
    await tauri.core.invoke('app_lifecycle', { kind });
  } catch (e) {
    console.warn(`the node did not take "${kind}":`, e);
  }
}

export async function watchLifecycle() {
  if (!PHONE || !tauri?.core?.addPluginListener) return null;
  try {
    return await tauri.core.addPluginListener('net', 'lifecycle', (event) => {
      if (event && typeof event.kind === 'string') forward(event.kind);
    });
  } catch (e) {
    console.warn('no lifecycle reports from the phone:', e);
    return null;
  }
}

watchLifecycle();
