//! Objects on a whiteboard beyond strokes and pictures: rectangles, ellipses, lines, arrows,
//! text and sticky notes ([`ShapeBody`], one record each), and the records that change any
//! object's properties ([`ChangeBody`]). How changes merge is in [`crate::board`].

use serde::{Deserialize, Serialize};

use crate::body::{invalid, BodyError, MAX_COORD};
use crate::color::Color;

/// Longest text on a shape or sticky note, in bytes of UTF-8.
pub const MAX_SHAPE_TEXT: usize = 16 * 1024;
/// Most properties one change sets (one of each at most).
pub const MAX_PROPS: usize = 9;
/// Widest outline, in board units (strokes have the same limit).
pub const MAX_LINE_WIDTH: f32 = 500.0;
/// Smallest and largest font size, in board units.
pub const FONT_SIZES: std::ops::RangeInclusive<f32> = 4.0..=512.0;
/// Largest z magnitude (front and back are one step past the current extremes).
pub const MAX_Z: f64 = 1.0e12;

/// What a shape is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ShapeKind {
    /// A rectangle.
    Rect,
    /// An ellipse inside its box.
    Ellipse,
    /// A straight line from its corner to the corner plus its size.
    Line,
    /// A line with an arrowhead at its end.
    Arrow,
    /// Text without a box.
    Text,
    /// A sticky note: a filled square with text.
    Note,
}

impl ShapeKind {
    /// `rect`, `ellipse`, `line`, `arrow`, `text` or `note`.
    pub fn as_str(self) -> &'static str {
        match self {
            ShapeKind::Rect => "rect",
            ShapeKind::Ellipse => "ellipse",
            ShapeKind::Line => "line",
            ShapeKind::Arrow => "arrow",
            ShapeKind::Text => "text",
            ShapeKind::Note => "note",
        }
    }

    /// Whether its size is a vector from its start to its end (either sign) rather than a box.
    pub fn is_segment(self) -> bool {
        matches!(self, ShapeKind::Line | ShapeKind::Arrow)
    }
}

impl std::str::FromStr for ShapeKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        Ok(match s.trim() {
            "rect" | "rectangle" => ShapeKind::Rect,
            "ellipse" => ShapeKind::Ellipse,
            "line" => ShapeKind::Line,
            "arrow" => ShapeKind::Arrow,
            "text" => ShapeKind::Text,
            "note" | "sticky" => ShapeKind::Note,
            other => {
                return Err(format!(
                    "unknown shape {other:?}: expected rect, ellipse, line, arrow, text or note"
                ))
            }
        })
    }
}

/// A shape placed on a board, with every property it starts with. It names no records; its
/// record id is the object's id, which changes refer to.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ShapeBody {
    /// What it is.
    pub kind: ShapeKind,
    /// Its top-left corner (a line's start), in board units.
    pub pos: (f32, f32),
    /// Its width and height (a line's end minus its start).
    pub size: (f32, f32),
    /// Its text (a text shape's or a note's; others may carry a label).
    pub text: String,
    /// Outline, line or text colour.
    pub color: Color,
    /// Fill colour, if filled.
    pub fill: Option<Color>,
    /// Outline or line width (0: no outline).
    pub width: f32,
    /// Font size of its text.
    pub font: f32,
}

/// One property of an object, with its new value. (On the wire a property is its variant's
/// index; the names are for JSON.)
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Prop {
    /// Where it is (top-left corner, a line's start).
    Pos(f32, f32),
    /// Its size (a line's end minus its start).
    Size(f32, f32),
    /// Its text.
    Text(String),
    /// Outline, line or text colour.
    Color(Color),
    /// Fill colour, or none.
    Fill(Option<Color>),
    /// Outline or line width.
    Width(f32),
    /// Font size.
    Font(f32),
    /// Stacking order: higher is in front.
    Z(f64),
    /// Deleted (true) or restored (false). A move does not touch it, so a delete stays until
    /// an explicit restore.
    Deleted(bool),
}

impl Prop {
    /// The property's slot: one value per slot per object.
    pub fn slot(&self) -> usize {
        match self {
            Prop::Pos(..) => 0,
            Prop::Size(..) => 1,
            Prop::Text(_) => 2,
            Prop::Color(_) => 3,
            Prop::Fill(_) => 4,
            Prop::Width(_) => 5,
            Prop::Font(_) => 6,
            Prop::Z(_) => 7,
            Prop::Deleted(_) => 8,
        }
    }

    /// The slot's name, as the views and errors call it.
    pub fn name(&self) -> &'static str {
        match self {
            Prop::Pos(..) => "position",
            Prop::Size(..) => "size",
            Prop::Text(_) => "text",
            Prop::Color(_) => "colour",
            Prop::Fill(_) => "fill",
            Prop::Width(_) => "width",
            Prop::Font(_) => "font size",
            Prop::Z(_) => "z order",
            Prop::Deleted(_) => "deleted",
        }
    }

    /// Checks the value's limits.
    pub fn check(&self) -> Result<(), BodyError> {
        match self {
            Prop::Pos(x, y) => check_point("position", *x, *y),
            Prop::Size(w, h) => check_size(*w, *h),
            Prop::Text(t) => check_shape_text(t),
            Prop::Color(_) | Prop::Fill(_) | Prop::Deleted(_) => Ok(()),
            Prop::Width(w) => check_width(*w),
            Prop::Font(f) => check_font(*f),
            Prop::Z(z) if z.is_finite() && z.abs() <= MAX_Z => Ok(()),
            Prop::Z(z) => Err(invalid(format!(
                "z order {z} is not a finite number within ±{MAX_Z}"
            ))),
        }
    }
}

/// Changes some properties of the object in the record's one ref (a shape, stroke or
/// picture). Any member may change any object; per object and property the change with the
/// latest record clock (timestamp, then id) wins, so concurrent changes of different
/// properties all survive.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeBody {
    /// The new values, at most one per property.
    pub props: Vec<Prop>,
}

fn check_point(what: &str, x: f32, y: f32) -> Result<(), BodyError> {
    if !(x.is_finite() && y.is_finite() && x.abs() <= MAX_COORD && y.abs() <= MAX_COORD) {
        return Err(invalid(format!(
            "a {what} ({x}, {y}) is not a pair of finite numbers within ±{MAX_COORD}"
        )));
    }
    Ok(())
}

fn check_size(w: f32, h: f32) -> Result<(), BodyError> {
    check_point("size", w, h)?;
    if w == 0.0 && h == 0.0 {
        return Err(invalid("a size of 0×0"));
    }
    Ok(())
}

fn check_shape_text(t: &str) -> Result<(), BodyError> {
    if t.len() > MAX_SHAPE_TEXT {
        return Err(invalid(format!(
            "a shape's text of {} bytes; at most {MAX_SHAPE_TEXT}",
            t.len()
        )));
    }
    Ok(())
}

fn check_width(w: f32) -> Result<(), BodyError> {
    if !(w.is_finite() && (0.0..=MAX_LINE_WIDTH).contains(&w)) {
        return Err(invalid(format!("line width {w} is outside 0..={MAX_LINE_WIDTH}")));
    }
    Ok(())
}

fn check_font(f: f32) -> Result<(), BodyError> {
    if !(f.is_finite() && FONT_SIZES.contains(&f)) {
        return Err(invalid(format!(
            "font size {f} is outside {}..={}",
            FONT_SIZES.start(),
            FONT_SIZES.end()
        )));
    }
    Ok(())
}

impl ShapeBody {
    /// Checks every field's limits.
    pub fn check(&self) -> Result<(), BodyError> {
        check_point("position", self.pos.0, self.pos.1)?;
        check_size(self.size.0, self.size.1)?;
        if !self.kind.is_segment() && (self.size.0 <= 0.0 || self.size.1 <= 0.0) {
            return Err(invalid(format!(
                "a {}'s size {}×{} is not above 0 on each side",
                self.kind.as_str(),
                self.size.0,
                self.size.1
            )));
        }
        check_shape_text(&self.text)?;
        check_width(self.width)?;
        check_font(self.font)
    }
}

impl ChangeBody {
    /// Checks that it changes something, no property twice, and every value's limits.
    pub fn check(&self) -> Result<(), BodyError> {
        if self.props.is_empty() {
            return Err(invalid("a change that changes nothing"));
        }
        if self.props.len() > MAX_PROPS {
            return Err(invalid(format!(
                "a change of {} properties; at most {MAX_PROPS}",
                self.props.len()
            )));
        }
        let mut seen = [false; MAX_PROPS];
        for p in &self.props {
            if std::mem::replace(&mut seen[p.slot()], true) {
                return Err(invalid(format!("a change sets the {} twice", p.name())));
            }
            p.check()?;
        }
        Ok(())
    }
}
