//! A whiteboard as it stands, drawn as SVG from the archive's readable entries: the strokes
//! and pictures no erase took off, each picture where its newest move (by timestamp, then
//! id) put it, under the strokes as in the app. Pictures show as their sender's preview.

use std::collections::{HashMap, HashSet};
use std::fmt::Write;

use confab_core::archive::{escape, ContentEntry, Readable};
use confab_core::Rect;

/// What the board holds.
pub(super) struct Drawing {
    pub svg: String,
    pub strokes: usize,
    pub pictures: usize,
}

fn colour(c: &str) -> &str {
    if c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit()) {
        c
    } else {
        "#000000"
    }
}

/// Draws the board.
pub(super) fn draw(entries: &[ContentEntry]) -> Drawing {
    let erased: HashSet<&str> = entries
        .iter()
        .filter(|e| matches!(e.body, Readable::Erase {}))
        .flat_map(|e| e.refs.iter().map(String::as_str))
        .collect();
    let mut moved: HashMap<&str, (u64, &str, Rect)> = HashMap::new();
    for e in entries {
        if let (Readable::Move { rect }, Some(target)) = (&e.body, e.refs.first()) {
            let newer = moved
                .get(target.as_str())
                .is_none_or(|(ts, id, _)| (e.ts, e.id.as_str()) > (*ts, *id));
            if newer {
                moved.insert(target, (e.ts, &e.id, *rect));
            }
        }
    }
    let live = |e: &&ContentEntry| !erased.contains(e.id.as_str());
    let mut pictures = Vec::new();
    let mut strokes = Vec::new();
    let (mut lo, mut hi) = ((f32::MAX, f32::MAX), (f32::MIN, f32::MIN));
    let mut grow = |x: f32, y: f32, pad: f32| {
        lo = (lo.0.min(x - pad), lo.1.min(y - pad));
        hi = (hi.0.max(x + pad), hi.1.max(y + pad));
    };
    for e in entries.iter().filter(live) {
        match &e.body {
            Readable::Picture { file, rect } => {
                let r = moved.get(e.id.as_str()).map_or(*rect, |(_, _, r)| *r);
                grow(r.x, r.y, 0.0);
                grow(r.x + r.w, r.y + r.h, 0.0);
                pictures.push((file, r));
            }
            Readable::Stroke { points, color, width } if !points.is_empty() => {
                for (x, y) in points {
                    grow(*x, *y, width / 2.0);
                }
                strokes.push((points, colour(color), *width));
            }
            _ => {}
        }
    }
    let (x, y, w, h) = if lo.0 > hi.0 {
        (0.0, 0.0, 800.0, 600.0)
    } else {
        let m = 20.0;
        (lo.0 - m, lo.1 - m, hi.0 - lo.0 + 2.0 * m, hi.1 - lo.1 + 2.0 * m)
    };
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"{x} {y} {w} {h}\" width=\"{}\" height=\"{}\">\
<rect x=\"{x}\" y=\"{y}\" width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>",
        w.round(),
        h.round()
    );
    for (f, r) in &pictures {
        match &f.preview {
            Some(p) => {
                let _ = write!(
                    svg,
                    "<image href=\"{}\" x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" preserveAspectRatio=\"none\"><title>{}</title></image>",
                    escape(&p.url),
                    r.x,
                    r.y,
                    r.w,
                    r.h,
                    escape(&f.name)
                );
            }
            None => {
                let _ = write!(
                    svg,
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"#eeeeee\" stroke=\"#999999\"><title>{}</title></rect>",
                    r.x,
                    r.y,
                    r.w,
                    r.h,
                    escape(&f.name)
                );
            }
        }
    }
    for (points, c, width) in &strokes {
        if let [(px, py)] = points.as_slice() {
            let _ = write!(
                svg,
                "<circle cx=\"{px}\" cy=\"{py}\" r=\"{}\" fill=\"{c}\"/>",
                width / 2.0
            );
            continue;
        }
        let pts: Vec<String> = points.iter().map(|(x, y)| format!("{x},{y}")).collect();
        let _ = write!(
            svg,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{c}\" stroke-width=\"{width}\" stroke-linecap=\"round\" stroke-linejoin=\"round\"/>",
            pts.join(" ")
        );
    }
    svg.push_str("</svg>");
    Drawing {
        svg,
        strokes: strokes.len(),
        pictures: pictures.len(),
    }
}
