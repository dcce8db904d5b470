//! Driving the app's phone layout in a window test: waiting on the page, the drawer, presses
//! and drags of the mouse, keys, and the check of touch-target sizes.

use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use fantoccini::actions::{
    InputSource, KeyAction, KeyActions, MouseActions, PointerAction, MOUSE_BUTTON_LEFT,
};
use fantoccini::key::Key;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};

use crate::web::{bounded, click, js, type_into};

/// Waits (`secs` at most) until a script in the page returns `want`.
pub async fn until_js(c: &Client, what: &str, secs: u64, script: &str, want: Value) -> Result<()> {
    let deadline = Instant::now() + Duration::from_secs(secs);
    let mut last = Value::Null;
    while Instant::now() < deadline {
        last = js(c, script, vec![]).await?;
        if last == want {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    bail!("timed out after {secs} s waiting for {what} (last {last})")
}

pub async fn title_is(c: &Client, name: &str) -> Result<()> {
    until_js(
        c,
        &format!("the top bar to show {name:?}"),
        15,
        "return document.querySelector('[data-testid=\"top-title\"]').textContent;",
        json!(name),
    )
    .await
}

/// The drawer's state: [open, role, aria-modal, the menu's aria-expanded, top bar inert,
/// content inert, focus inside it, its left edge].
pub const DRAWER: &str = "const d = document.getElementById('spaces');
    return [document.body.classList.contains('drawer-open'), d.getAttribute('role'),
      d.getAttribute('aria-modal'), document.getElementById('drawer-open').getAttribute('aria-expanded'),
      document.querySelector('header.topbar').inert, document.querySelector('section.content').inert,
      d.contains(document.activeElement), Math.round(d.getBoundingClientRect().left)];";

pub async fn open_drawer(c: &Client) -> Result<()> {
    click(c, "drawer-open").await?;
    let opened = until_js(
        c,
        "the drawer open, modal, with the focus in it",
        5,
        DRAWER,
        json!([true, "dialog", "true", "true", true, true, true, 0]),
    )
    .await;
    if opened.is_err() {
        let focus = js(
            c,
            "const a = document.activeElement; return a ? a.outerHTML.slice(0, 200) : null;",
            vec![],
        )
        .await?;
        return opened.with_context(|| format!("the focus is on {focus}"));
    }
    Ok(())
}

/// Waits for the drawer to be closed, the page no longer inert and the focus back on `on`.
pub async fn drawer_closed(c: &Client, how: &str, on: &str) -> Result<()> {
    until_js(
        c,
        &format!("the drawer closed by {how}"),
        5,
        "const d = document.getElementById('spaces');
         return [document.body.classList.contains('drawer-open'), d.getAttribute('role'),
           document.querySelector('header.topbar').inert, document.querySelector('section.content').inert,
           getComputedStyle(d).visibility, document.activeElement && document.activeElement.id];",
        json!([false, null, false, false, "hidden", on]),
    )
    .await
}

pub async fn key(c: &Client, k: Key) -> Result<()> {
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: k.into() })
        .then(KeyAction::Up { value: k.into() });
    bounded("a key", c.perform_actions(keys)).await??;
    bounded("releasing the keys", c.release_actions()).await??;
    Ok(())
}

/// A mouse press at `at`, held `hold`, moved to `to` first if given, then released.
pub async fn press(c: &Client, at: (f64, f64), to: Option<(f64, f64)>, hold: Duration) -> Result<()> {
    let mut m = MouseActions::new("mouse".into())
        .then(PointerAction::MoveTo {
            duration: None,
            x: at.0.round(),
            y: at.1.round(),
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        });
    if let Some(to) = to {
        m = m.then(PointerAction::MoveTo {
            duration: Some(Duration::from_millis(150)),
            x: to.0.round(),
            y: to.1.round(),
        });
    }
    m = m
        .then(PointerAction::Pause { duration: hold })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    bounded("a mouse press", c.perform_actions(m)).await??;
    bounded("releasing the mouse", c.release_actions()).await??;
    Ok(())
}

/// Drags the mouse through `path`.
pub async fn drag(c: &Client, path: &[(f64, f64)]) -> Result<()> {
    let mut m = MouseActions::new("mouse".into())
        .then(PointerAction::MoveTo {
            duration: None,
            x: path[0].0,
            y: path[0].1,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        });
    for p in &path[1..] {
        m = m.then(PointerAction::MoveTo {
            duration: Some(Duration::from_millis(80)),
            x: p.0,
            y: p.1,
        });
    }
    m = m.then(PointerAction::Up {
        button: MOUSE_BUTTON_LEFT,
    });
    bounded("a mouse drag", c.perform_actions(m)).await??;
    bounded("releasing the mouse", c.release_actions()).await??;
    Ok(())
}

/// Every visible interactive element smaller than 44×44 px (a checkbox counts as its label,
/// which takes the tap), with the exceptions: links inside running text, and elements hidden
/// for sight but kept for screen readers (1 px or less). Returns (too small, excepted, how
/// many were measured).
pub async fn small_targets(c: &Client) -> Result<(Vec<String>, Vec<String>, u64)> {
    let v = js(
        c,
        "const sel = 'button, a[href], input:not([type=\"hidden\"]), select, textarea, [role=\"tab\"], '
           + '[role=\"button\"], [tabindex]:not([tabindex=\"-1\"]), li[data-testid=\"space-item\"], summary';
         const name = (e) => e.tagName.toLowerCase() + (e.id ? '#' + e.id : '')
           + (e.dataset.testid ? '[' + e.dataset.testid + ']' : '')
           + (e.className && typeof e.className === 'string' ? '.' + e.className.trim().split(/\\s+/).join('.') : '')
           + ' \"' + (e.innerText || e.value || e.getAttribute('aria-label') || '').trim().slice(0, 24) + '\"';
         const small = [], excepted = [];
         let n = 0;
         for (const e of document.querySelectorAll(sel)) {
           if (e.closest('[hidden], [inert]')) continue;
           const cs = getComputedStyle(e);
           if (cs.visibility === 'hidden' || cs.display === 'none') continue;
           const r = e.getBoundingClientRect();
           if (r.width === 0 && r.height === 0) continue;
           if (r.width <= 1 || r.height <= 1) { excepted.push(name(e) + ': hidden but for screen readers'); continue; }
           if (e.matches('a') && e.closest('.reader-body, .text, .reply-text, p, li.steps')) {
             excepted.push(name(e) + ': a link in running text'); continue;
           }
           const box = e.matches('input[type=\"checkbox\"], input[type=\"radio\"]') && e.closest('label')
             ? e.closest('label').getBoundingClientRect() : r;
           n += 1;
           if (box.width < 43.5 || box.height < 43.5) small.push(name(e) + ' ' + box.width.toFixed(1) + '×' + box.height.toFixed(1));
         }
         return [small, excepted, n];",
        vec![],
    )
    .await?;
    let strings = |x: &Value| -> Vec<String> {
        x.as_array()
            .map(|a| a.iter().filter_map(|s| s.as_str().map(String::from)).collect())
            .unwrap_or_default()
    };
    Ok((strings(&v[0]), strings(&v[1]), v[2].as_u64().unwrap_or(0)))
}

pub async fn targets_ok(c: &Client, where_: &str) -> Result<()> {
    let (small, excepted, n) = small_targets(c).await?;
    if n < 3 {
        bail!("only {n} interactive elements measured on {where_}: the check looked at nothing");
    }
    if !small.is_empty() {
        bail!(
            "on {where_}, {} of {n} touch targets are under 44×44 px: {small:#?}",
            small.len()
        );
    }
    eprintln!(
        "phone: {where_}: {n} touch targets, all at least 44×44 px{}",
        if excepted.is_empty() {
            String::new()
        } else {
            format!("; excepted {excepted:?}")
        }
    );
    Ok(())
}

/// Joins a space by ticket from the drawer of `tab`; the drawer closes on the space.
pub async fn join_in_drawer(c: &Client, tab: &str, ticket: &str, name: &str) -> Result<()> {
    click(c, tab).await?;
    open_drawer(c).await?;
    type_into(c, "space-join-ticket", ticket).await?;
    click(c, "space-join").await?;
    title_is(c, name).await?;
    drawer_closed(c, &format!("joining {name}"), "drawer-open").await
}

/// Clicks the drawer's item of the space `name` (found afresh if the list is drawn anew).
pub async fn choose(c: &Client, name: &str) -> Result<()> {
    for _ in 0..10 {
        let items = c.find_all(Locator::Css("[data-testid=\"space-item\"]")).await?;
        for e in items {
            if e.text().await.unwrap_or_default().contains(name) && e.click().await.is_ok() {
                return Ok(());
            }
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    bail!("no space item {name} could be clicked in the drawer")
}

/// The middle of a message's text on screen.
pub async fn message_at(c: &Client, id: &str) -> Result<(f64, f64)> {
    let v = js(
        c,
        "const m = document.querySelector(`.msg[data-id=\"${arguments[0]}\"] .text`);
         if (!m) return null;
         m.scrollIntoView({ block: 'center' });
         const r = m.getBoundingClientRect();
         return [r.left + Math.min(40, r.width / 2), r.top + r.height / 2];",
        vec![json!(id)],
    )
    .await?;
    match (v[0].as_f64(), v[1].as_f64()) {
        (Some(x), Some(y)) => Ok((x, y)),
        _ => bail!("message {id} is not in the window"),
    }
}

pub const SHEET_OPEN: &str = "return Boolean(document.querySelector('[data-testid=\"msg-sheet\"]'));";
