//! The whiteboard at phone size: the canvas between the bars, one finger draws (the stroke
//! reaches the peer), two fingers pinch (the zoom changes, nothing is drawn).

use std::time::Duration;

use anyhow::{bail, Context, Result};
use fantoccini::actions::{InputSource, PointerAction, TouchActions, MOUSE_BUTTON_LEFT};
use fantoccini::Client;
use serde_json::{json, Value};

use crate::drive::{targets_ok, title_is, until_js};
use crate::web::{bounded, click, eventually, js, quiet_shot, Peer};

fn strokes(peer: &Peer, board: &str) -> Result<usize> {
    let out = peer.cmd(&["board", "objects", board, "--json"])?;
    let v: Value = serde_json::from_str(&out).with_context(|| format!("board objects printed {out}"))?;
    Ok(v.as_array()
        .map(|a| a.iter().filter(|o| o["kind"] == json!("stroke")).count())
        .unwrap_or(0))
}

pub async fn board_step(c: &Client, peer: &Peer, plans: &str) -> Result<()> {
    // 7. The board: the canvas between the bars; one finger draws, two pinch.
    click(c, "tab-board").await?;
    title_is(c, "Plans").await?;
    until_js(
        c,
        "Pat's stroke on the board",
        20,
        "return Boolean(window.__board) && window.__board.objects().some((o) => o.kind === 'stroke');",
        json!(true),
    )
    .await?;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let g = js(
        c,
        "const r = (s) => document.querySelector(s).getBoundingClientRect();
         const top = r('header.topbar'), bar = r('.tabs'), c = r('#board-canvas'), tools = r('#board-tools');
         return [top.bottom, tools.bottom, c.top, c.bottom, bar.top, c.left, c.width, innerWidth];",
        vec![],
    )
    .await?;
    let n = |i: usize| g[i].as_f64().unwrap_or(f64::NAN);
    let (canvas_top, canvas_bottom, bar_top) = (n(2), n(3), n(4));
    if !(canvas_top >= n(0)
        && canvas_top >= n(1) - 0.5
        && (bar_top - canvas_bottom).abs() <= 2.0
        && n(5) <= 0.5
        && n(6) >= n(7) - 1.0)
    {
        bail!("the board's canvas does not fill the space between the tools and the tab bar, edge to edge: [top bar bottom, tools bottom, canvas top, canvas bottom, tab bar top, canvas left, canvas width, window width] = {g}");
    }
    eprintln!(
        "phone: the canvas fills {:.0}×{:.0} px between the tools and the tab bar",
        n(6),
        canvas_bottom - canvas_top
    );
    click(c, "tool-pen").await?;
    let before = strokes(peer, plans)?;
    let (cx, cy) = (
        (n(5) + n(6) / 2.0).round(),
        ((canvas_top + canvas_bottom) / 2.0).round(),
    );
    let finger = TouchActions::new("finger".into())
        .then(PointerAction::MoveTo {
            duration: None,
            x: cx - 90.0,
            y: cy + 60.0,
        })
        .then(PointerAction::Down {
            button: MOUSE_BUTTON_LEFT,
        })
        .then(PointerAction::MoveTo {
            duration: Some(Duration::from_millis(120)),
            x: cx - 30.0,
            y: cy + 110.0,
        })
        .then(PointerAction::MoveTo {
            duration: Some(Duration::from_millis(120)),
            x: cx + 40.0,
            y: cy + 50.0,
        })
        .then(PointerAction::MoveTo {
            duration: Some(Duration::from_millis(120)),
            x: cx + 100.0,
            y: cy + 100.0,
        })
        .then(PointerAction::Up {
            button: MOUSE_BUTTON_LEFT,
        });
    bounded("a one-finger stroke", c.perform_actions(finger)).await??;
    bounded("releasing the finger", c.release_actions()).await??;
    eventually("the stroke drawn with one finger at the peer", 20, || {
        Ok(strokes(peer, plans)? == before + 1)
    })
    .await?;
    let kind = js(
        c,
        "return document.querySelector('[data-testid=\"board-canvas\"]').dataset.pointer;",
        vec![],
    )
    .await?;
    // The same with a touch pointer, as a touch screen gives it (see the pinch below).
    js(
        c,
        "const c = document.querySelector('[data-testid=\"board-canvas\"]');
         const [mx, my] = arguments;
         const ev = (type, x, y) => c.dispatchEvent(new PointerEvent(type, {
           pointerId: 31, pointerType: 'touch', isPrimary: true, clientX: x, clientY: y,
           button: type === 'pointermove' ? -1 : 0, buttons: type === 'pointerup' ? 0 : 1,
           bubbles: true, cancelable: true }));
         ev('pointerdown', mx - 100, my - 120);
         for (let i = 1; i <= 12; i++) ev('pointermove', mx - 100 + 15 * i, my - 120 + (i % 2 ? 25 : -25));
         ev('pointerup', mx + 80, my - 120);
         return 1;",
        vec![json!(cx), json!(cy)],
    )
    .await?;
    eventually("the stroke drawn with a touch pointer at the peer", 20, || {
        Ok(strokes(peer, plans)? == before + 2)
    })
    .await?;
    eprintln!("phone: one-finger strokes reached the peer (WebDriver's touch source, which the page saw as pointer type {kind}, and a touch pointer)");
    targets_ok(c, "the Whiteboard tab").await?;
    quiet_shot(c, "phone-board").await?;
    // Two fingers. WebKitWebDriver hands two touch sources to the page as one mouse, so the
    // pinch is what a touch screen gives the page: pointer events of type touch with two
    // pointer ids, dispatched by a script, moved 60 → 160 px apart.
    let r = js(
        c,
        "const c = document.querySelector('[data-testid=\"board-canvas\"]');
         const [mx, my] = arguments;
         const ev = (type, id, x, y) => c.dispatchEvent(new PointerEvent(type, {
           pointerId: id, pointerType: 'touch', isPrimary: id === 21, clientX: x, clientY: y,
           button: type === 'pointermove' ? -1 : 0, buttons: type === 'pointerup' ? 0 : 1,
           bubbles: true, cancelable: true }));
         const strokes = () => window.__board.objects().filter((o) => o.kind === 'stroke').length;
         const before = [window.__board.view.s, strokes()];
         ev('pointerdown', 21, mx - 30, my);
         ev('pointerdown', 22, mx + 30, my);
         for (let i = 1; i <= 10; i++) {
           ev('pointermove', 21, mx - 30 - 5 * i, my);
           ev('pointermove', 22, mx + 30 + 5 * i, my);
         }
         ev('pointerup', 21, mx - 80, my);
         ev('pointerup', 22, mx + 80, my);
         return [before[0], window.__board.view.s, before[1], strokes()];",
        vec![json!(cx), json!(cy)],
    )
    .await?;
    let (s0, s1) = (r[0].as_f64().unwrap_or(0.0), r[1].as_f64().unwrap_or(0.0));
    if r[2] != r[3] {
        bail!("the pinch drew: the board had {} strokes, then {}", r[2], r[3]);
    }
    if (s1 / s0 - 160.0 / 60.0).abs() > 0.01 {
        bail!("a two-finger pinch from 60 to 160 px apart took the zoom from {s0} to {s1}");
    }
    eprintln!("phone: a two-finger pinch zoomed the board {s0:.3} -> {s1:.3}");
    Ok(())
}
