// Confab's native side on Android: keeps mDNS working and tells the node when the app is
// paused, resumed or the networks change.
//
// Where this file lives and why: in the app module's own sources, beside MainActivity, so the
// Android Gradle build of this project compiles it with the app. The app module sees Tauri's
// Android library (package app.tauri) because tauri-build writes app/tauri.build.gradle.kts on
// every build with `implementation(project(":tauri-android"))`. The Rust side loads the class by
// name (src-tauri/src/mobile.rs: `register_android_plugin("org.confab.app", "NetPlugin")`); the
// ProGuard rules Tauri's library ships keep classes annotated @TauriPlugin and their
// constructor, and app/proguard-rules.pro keeps this one by name as well.
//
// What reaches the page: one plugin event, "lifecycle", with {"kind": "suspended" | "resumed" |
// "network-changed"}; ui/js/lifecycle.js listens to it and forwards the kind to the node through
// the app's `app_lifecycle` command.
//
// Not compiled where it was written (no Android SDK there): written against Tauri 2.12's
// app.tauri.plugin.Plugin (load, onPause/onResume/onDestroy with the activity, trigger).

package org.confab.app

import android.app.Activity
import android.content.Context
import android.net.ConnectivityManager
import android.net.Network
import android.net.NetworkCapabilities
import android.net.NetworkRequest
import android.net.wifi.WifiManager
import android.os.Handler
import android.os.Looper
import android.util.Log
import android.webkit.WebView
import androidx.appcompat.app.AppCompatActivity
import app.tauri.annotation.TauriPlugin
import app.tauri.plugin.JSObject
import app.tauri.plugin.Plugin

@TauriPlugin
class NetPlugin(activity: Activity) : Plugin(activity) {
  private val context: Context = activity.applicationContext
  private val wifi = context.getSystemService(Context.WIFI_SERVICE) as? WifiManager
  private val connectivity =
    context.getSystemService(Context.CONNECTIVITY_SERVICE) as? ConnectivityManager
  private val main = Handler(Looper.getMainLooper())

  private var multicastLock: WifiManager.MulticastLock? = null
  private var networkCallback: ConnectivityManager.NetworkCallback? = null

  // Each known network's last summary (transports and the capabilities that matter to the node),
  // so that a callback which changes nothing the node cares about (signal strength, say) is not
  // reported. Touched on the main thread only.
  private val networks = HashMap<Network, String>()
  private val reportNetworkChange = Runnable { report("network-changed") }

  // Called once the webview exists, and again for a webview created later: everything it starts
  // is started only if it is not running yet.
  override fun load(webView: WebView) {
    holdMulticastLock()
    watchNetworks()
  }

  override fun onResume(activity: AppCompatActivity) {
    holdMulticastLock()
    report("resumed")
  }

  override fun onPause(activity: AppCompatActivity) {
    report("suspended")
  }

  override fun onDestroy(activity: AppCompatActivity) {
    main.removeCallbacks(reportNetworkChange)
    stopWatchingNetworks()
    releaseMulticastLock()
  }

  private fun report(kind: String) {
    val payload = JSObject()
    payload.put("kind", kind)
    trigger(EVENT, payload)
  }

  // Android drops multicast packets addressed to other hosts unless an app holds this lock; mDNS
  // (libp2p's discovery on the LAN) needs them. Not reference counted: one acquire, one release.
  private fun holdMulticastLock() {
    val manager = wifi ?: return
    val lock = multicastLock ?: manager.createMulticastLock(LOCK_TAG).also {
      it.setReferenceCounted(false)
      multicastLock = it
    }
    if (lock.isHeld) return
    try {
      lock.acquire()
    } catch (e: RuntimeException) {
      Log.w(TAG, "could not acquire the Wi-Fi multicast lock", e)
    }
  }

  private fun releaseMulticastLock() {
    val lock = multicastLock ?: return
    if (lock.isHeld) lock.release()
  }

  private fun watchNetworks() {
    val manager = connectivity ?: return
    if (networkCallback != null) return
    // The networks there already: registering reports each of them as available, which is not a
    // change.
    networks.clear()
    @Suppress("DEPRECATION")
    val present = manager.allNetworks
    for (network in present) {
      networks[network] = summary(manager.getNetworkCapabilities(network))
    }
    val callback = object : ConnectivityManager.NetworkCallback() {
      // These run on a thread of the system's; the work moves to the main thread.
      override fun onAvailable(network: Network) {
        main.post { changed(network, summary(manager.getNetworkCapabilities(network))) }
      }

      override fun onCapabilitiesChanged(network: Network, capabilities: NetworkCapabilities) {
        val now = summary(capabilities)
        main.post { changed(network, now) }
      }

      override fun onLost(network: Network) {
        main.post { changed(network, null) }
      }
    }
    // Every network the app may use, Wi-Fi without internet access included: peers on a LAN
    // with no way out still find each other.
    val request = NetworkRequest.Builder()
      .removeCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET)
      .build()
    try {
      manager.registerNetworkCallback(request, callback)
      networkCallback = callback
    } catch (e: RuntimeException) {
      Log.w(TAG, "could not watch the networks", e)
    }
  }

  private fun stopWatchingNetworks() {
    val callback = networkCallback ?: return
    networkCallback = null
    try {
      connectivity?.unregisterNetworkCallback(callback)
    } catch (e: IllegalArgumentException) {
      // Already unregistered.
    }
  }

  // `now` is null when the network is gone. A burst of changes (leaving Wi-Fi for mobile data
  // fires several) is reported once, DEBOUNCE_MS after the last of them.
  private fun changed(network: Network, now: String?) {
    val before = if (now == null) networks.remove(network) else networks.put(network, now)
    if (before == now) return
    main.removeCallbacks(reportNetworkChange)
    main.postDelayed(reportNetworkChange, DEBOUNCE_MS)
  }

  private fun summary(capabilities: NetworkCapabilities?): String {
    if (capabilities == null) return "unknown"
    val transports = TRANSPORTS.filter { capabilities.hasTransport(it.key) }.values
    return transports.joinToString("+") +
      " internet=" + capabilities.hasCapability(NetworkCapabilities.NET_CAPABILITY_INTERNET) +
      " validated=" + capabilities.hasCapability(NetworkCapabilities.NET_CAPABILITY_VALIDATED) +
      " unmetered=" + capabilities.hasCapability(NetworkCapabilities.NET_CAPABILITY_NOT_METERED)
  }

  companion object {
    private const val TAG = "Confab/NetPlugin"
    private const val EVENT = "lifecycle"
    private const val LOCK_TAG = "confab-mdns"
    private const val DEBOUNCE_MS = 1500L
    private val TRANSPORTS = mapOf(
      NetworkCapabilities.TRANSPORT_WIFI to "wifi",
      NetworkCapabilities.TRANSPORT_ETHERNET to "ethernet",
      NetworkCapabilities.TRANSPORT_CELLULAR to "cellular",
      NetworkCapabilities.TRANSPORT_VPN to "vpn",
    )
  }
}
