//! A whiteboard as it stands, drawn as SVG from the merged board (`confab_core::board`):
//! every object not deleted, back to front — shapes, sticky notes, text, strokes where they
//! were moved to, pictures as their sender's preview.

use std::fmt::Write;

use confab_core::archive::{escape, FileInfo};
use confab_core::{Board, Content, Object, ShapeKind};

/// What the board holds.
pub(super) struct Drawing {
    pub svg: String,
    pub strokes: usize,
    pub pictures: usize,
    pub shapes: usize,
}

/// The box an object covers: left, top, right, bottom.
fn extent(o: &Object) -> (f32, f32, f32, f32) {
    let pad = o.width / 2.0;
    let (x0, x1) = (o.pos.0.min(o.pos.0 + o.size.0), o.pos.0.max(o.pos.0 + o.size.0));
    let (y0, y1) = (o.pos.1.min(o.pos.1 + o.size.1), o.pos.1.max(o.pos.1 + o.size.1));
    (x0 - pad, y0 - pad, x1 + pad, y1 + pad)
}

/// Text in lines from `top`, `font` units high each, starting at `x`.
fn text(svg: &mut String, t: &str, x: f32, top: f32, font: f32, color: &str) {
    if t.is_empty() {
        return;
    }
    let _ = write!(
        svg,
        "<text x=\"{x}\" y=\"{top}\" font-family=\"sans-serif\" font-size=\"{font}\" fill=\"{color}\">"
    );
    for (i, line) in t.lines().enumerate() {
        let _ = write!(
            svg,
            "<tspan x=\"{x}\" dy=\"{}\">{}</tspan>",
            if i == 0 { font } else { font * 1.25 },
            escape(line)
        );
    }
    svg.push_str("</text>");
}

/// Draws the board.
pub(super) fn draw(board: &Board) -> Drawing {
    let objects = board.objects();
    let (mut lo, mut hi) = ((f32::MAX, f32::MAX), (f32::MIN, f32::MIN));
    for o in &objects {
        let (a, b, c, d) = extent(o);
        lo = (lo.0.min(a), lo.1.min(b));
        hi = (hi.0.max(c), hi.1.max(d));
    }
    let (x, y, w, h) = if objects.is_empty() {
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
    let (mut strokes, mut pictures, mut shapes) = (0, 0, 0);
    for o in &objects {
        let c = o.color.to_string();
        let fill = o.fill.map_or_else(|| "none".to_string(), |f| f.to_string());
        let (px, py, sw, sh) = (o.pos.0, o.pos.1, o.size.0, o.size.1);
        let lw = o.width;
        match &o.content {
            Content::Stroke { .. } => {
                strokes += 1;
                let pts = o.points();
                if let [(px, py)] = pts.as_slice() {
                    let _ = write!(
                        svg,
                        "<circle cx=\"{px}\" cy=\"{py}\" r=\"{}\" fill=\"{c}\"/>",
                        lw / 2.0
                    );
                    continue;
                }
                let pts: Vec<String> = pts.iter().map(|(x, y)| format!("{x},{y}")).collect();
                let _ = write!(
                    svg,
                    "<polyline points=\"{}\" fill=\"none\" stroke=\"{c}\" stroke-width=\"{lw}\" stroke-linecap=\"round\" stroke-linejoin=\"round\"/>",
                    pts.join(" ")
                );
            }
            Content::Picture(file) => {
                pictures += 1;
                let info = FileInfo::of(file);
                match &info.preview {
                    Some(p) => {
                        let _ = write!(
                            svg,
                            "<image href=\"{}\" x=\"{px}\" y=\"{py}\" width=\"{sw}\" height=\"{sh}\" preserveAspectRatio=\"none\"><title>{}</title></image>",
                            escape(&p.url),
                            escape(&info.name)
                        );
                    }
                    None => {
                        let _ = write!(
                            svg,
                            "<rect x=\"{px}\" y=\"{py}\" width=\"{sw}\" height=\"{sh}\" fill=\"#eeeeee\" stroke=\"#999999\"><title>{}</title></rect>",
                            escape(&info.name)
                        );
                    }
                }
            }
            Content::Shape(kind) => {
                shapes += 1;
                match kind {
                    ShapeKind::Rect | ShapeKind::Note => {
                        let _ = write!(
                            svg,
                            "<rect x=\"{px}\" y=\"{py}\" width=\"{sw}\" height=\"{sh}\" fill=\"{fill}\" stroke=\"{}\" stroke-width=\"{lw}\"/>",
                            if *kind == ShapeKind::Note { "none" } else { &c }
                        );
                        let pad = if *kind == ShapeKind::Note {
                            o.font * 0.6
                        } else {
                            0.0
                        };
                        text(&mut svg, &o.text, px + pad, py + pad, o.font, &c);
                    }
                    ShapeKind::Ellipse => {
                        let _ = write!(
                            svg,
                            "<ellipse cx=\"{}\" cy=\"{}\" rx=\"{}\" ry=\"{}\" fill=\"{fill}\" stroke=\"{c}\" stroke-width=\"{lw}\"/>",
                            px + sw / 2.0,
                            py + sh / 2.0,
                            sw / 2.0,
                            sh / 2.0
                        );
                        text(&mut svg, &o.text, px, py, o.font, &c);
                    }
                    ShapeKind::Line | ShapeKind::Arrow => {
                        let (ex, ey) = (px + sw, py + sh);
                        let _ = write!(
                            svg,
                            "<line x1=\"{px}\" y1=\"{py}\" x2=\"{ex}\" y2=\"{ey}\" stroke=\"{c}\" stroke-width=\"{lw}\" stroke-linecap=\"round\"/>"
                        );
                        if *kind == ShapeKind::Arrow {
                            // A head of two strokes back from the end, 30° either side.
                            let len = (sw * sw + sh * sh).sqrt().max(1.0);
                            let head = (lw * 4.0 + 8.0).min(len / 2.0);
                            let (ux, uy) = (sw / len, sh / len);
                            let (c30, s30) = (0.866_f32, 0.5_f32);
                            let a = (
                                ex - head * (ux * c30 - uy * s30),
                                ey - head * (uy * c30 + ux * s30),
                            );
                            let b = (
                                ex - head * (ux * c30 + uy * s30),
                                ey - head * (uy * c30 - ux * s30),
                            );
                            let _ = write!(
                                svg,
                                "<polyline points=\"{},{} {ex},{ey} {},{}\" fill=\"none\" stroke=\"{c}\" stroke-width=\"{lw}\" stroke-linecap=\"round\" stroke-linejoin=\"round\"/>",
                                a.0, a.1, b.0, b.1
                            );
                        }
                    }
                    ShapeKind::Text => text(&mut svg, &o.text, px, py, o.font, &c),
                }
            }
        }
    }
    svg.push_str("</svg>");
    Drawing {
        svg,
        strokes,
        pictures,
        shapes,
    }
}
