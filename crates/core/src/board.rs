//! How a board's records merge into the board people see. Sans-IO: records in, objects out.
//!
//! Every object (a shape, a stroke or a picture) is the record that placed it; its id is that
//! record's id. Every later change is a record that names the object and sets some of its
//! properties. For each object and property the value set by the record with the latest clock
//! (timestamp, then record id) wins. That is a maximum over a total order, so any set of
//! records gives the same board whatever order they arrived in, and two people who change
//! different properties of one object at once both keep their change. Deleting sets the
//! `deleted` property, which nothing but an explicit restore sets back: a later move of a
//! deleted object moves it where it lies deleted and does not bring it back.
//!
//! Records from before changes existed keep their meaning: a move sets a picture's position
//! and size, an erase deletes what it names.

use std::collections::HashMap;

use crate::body::Body;
use crate::color::Color;
use crate::files::FileRef;
use crate::hlc::Hlc;
use crate::ids::{AuthorKey, RecordId};
use crate::shape::{Prop, ShapeKind, MAX_PROPS};

/// A record's place in the order changes are decided by: its timestamp, then its id.
pub type Clock = (Hlc, RecordId);

/// What the merge needs of a record's header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Stamp {
    /// The record's id.
    pub id: RecordId,
    /// Its timestamp.
    pub ts: Hlc,
    /// The person who wrote it.
    pub person: AuthorKey,
    /// The device that signed it.
    pub device: AuthorKey,
}

impl Stamp {
    /// The stamp of a record.
    pub fn of(rec: &crate::Record) -> Self {
        Stamp {
            id: rec.id,
            ts: rec.ts,
            person: rec.person(),
            device: rec.author,
        }
    }

    fn clock(&self) -> Clock {
        (self.ts, self.id)
    }
}

/// What an object is, with what it holds beyond its properties.
#[derive(Clone, Debug, PartialEq)]
pub enum Content {
    /// A shape.
    Shape(ShapeKind),
    /// A freehand stroke: its points as drawn and the box they were drawn in (the object's
    /// position and size map that box to where the stroke is now).
    Stroke {
        /// Points as drawn.
        points: Vec<(f32, f32)>,
        /// Left, top, width, height of the points as drawn.
        drawn: (f32, f32, f32, f32),
    },
    /// A picture.
    Picture(FileRef),
}

impl Content {
    /// `rect`, `ellipse`, `line`, `arrow`, `text`, `note`, `stroke` or `picture`.
    pub fn kind_str(&self) -> &'static str {
        match self {
            Content::Shape(k) => k.as_str(),
            Content::Stroke { .. } => "stroke",
            Content::Picture(_) => "picture",
        }
    }
}

/// An object as the board shows it now.
#[derive(Clone, Debug, PartialEq)]
pub struct Object {
    /// The id of the record that placed it.
    pub id: RecordId,
    /// What it is.
    pub content: Content,
    /// Who placed it (the person) and with which device.
    pub author: AuthorKey,
    /// The device that placed it.
    pub device: AuthorKey,
    /// When it was placed.
    pub created: Hlc,
    /// Top-left corner (a line's start).
    pub pos: (f32, f32),
    /// Width and height (a line's end minus its start).
    pub size: (f32, f32),
    /// Text.
    pub text: String,
    /// Outline, line or text colour.
    pub color: Color,
    /// Fill, if any.
    pub fill: Option<Color>,
    /// Line width.
    pub width: f32,
    /// Font size.
    pub font: f32,
    /// Stacking order (higher in front; placement order among equals).
    pub z: f64,
    /// Deleted and not restored.
    pub deleted: bool,
    /// The newest record that placed or changed it: when, and who.
    pub updated: (Hlc, AuthorKey),
}

impl Object {
    /// A stroke's points where the stroke is now (empty for other objects).
    pub fn points(&self) -> Vec<(f32, f32)> {
        let Content::Stroke { points, drawn } = &self.content else {
            return Vec::new();
        };
        let (dx, dy, dw, dh) = *drawn;
        let sx = if dw > 0.0 { self.size.0 / dw } else { 1.0 };
        let sy = if dh > 0.0 { self.size.1 / dh } else { 1.0 };
        points
            .iter()
            .map(|&(x, y)| (self.pos.0 + (x - dx) * sx, self.pos.1 + (y - dy) * sy))
            .collect()
    }
}

/// Defaults of properties an object's own record does not set.
const DEFAULT_FONT: f32 = 20.0;

/// What the placing record says of an object.
#[derive(Clone, Debug)]
struct Base {
    content: Content,
    author: AuthorKey,
    device: AuthorKey,
    created: Hlc,
}

#[derive(Clone, Debug, Default)]
struct Entry {
    base: Option<Base>,
    /// Per property slot: the winning value and the clock of the record that set it.
    slots: [Option<(Clock, Prop)>; MAX_PROPS],
    /// The newest record that touched it.
    last: Option<(Clock, AuthorKey)>,
}

impl Entry {
    fn set(&mut self, at: Clock, prop: Prop) {
        let slot = &mut self.slots[prop.slot()];
        if slot.as_ref().is_none_or(|(c, _)| at > *c) {
            *slot = Some((at, prop));
        }
    }

    fn touch(&mut self, at: Clock, who: AuthorKey) {
        if self.last.as_ref().is_none_or(|(c, _)| at > *c) {
            self.last = Some((at, who));
        }
    }
}

/// The merge of a board's records (see the module's text). Feed it every live record of the
/// board in any order; read the objects.
#[derive(Clone, Debug, Default)]
pub struct Board {
    entries: HashMap<RecordId, Entry>,
}

impl Board {
    /// An empty board.
    pub fn new() -> Self {
        Self::default()
    }

    /// Takes one record into account (records of other kinds are ignored). `refs` are the
    /// record's refs.
    pub fn apply(&mut self, stamp: Stamp, refs: &[RecordId], body: &Body) {
        let at = stamp.clock();
        match body {
            Body::Shape(s) => {
                let props = vec![
                    Prop::Pos(s.pos.0, s.pos.1),
                    Prop::Size(s.size.0, s.size.1),
                    Prop::Text(s.text.clone()),
                    Prop::Color(s.color),
                    Prop::Fill(s.fill),
                    Prop::Width(s.width),
                    Prop::Font(s.font),
                ];
                self.place(stamp, Content::Shape(s.kind), props);
            }
            Body::Stroke(s) => {
                let (mut x0, mut y0, mut x1, mut y1) = (f32::MAX, f32::MAX, f32::MIN, f32::MIN);
                for &(x, y) in &s.points {
                    x0 = x0.min(x);
                    y0 = y0.min(y);
                    x1 = x1.max(x);
                    y1 = y1.max(y);
                }
                if s.points.is_empty() {
                    (x0, y0, x1, y1) = (0.0, 0.0, 0.0, 0.0);
                }
                let drawn = (x0, y0, x1 - x0, y1 - y0);
                let props = vec![
                    Prop::Pos(x0, y0),
                    Prop::Size(drawn.2, drawn.3),
                    Prop::Color(s.color),
                    Prop::Width(s.width),
                ];
                let content = Content::Stroke {
                    points: s.points.clone(),
                    drawn,
                };
                self.place(stamp, content, props);
            }
            Body::Picture(p) => {
                let props = vec![Prop::Pos(p.rect.x, p.rect.y), Prop::Size(p.rect.w, p.rect.h)];
                self.place(stamp, Content::Picture(p.file.clone()), props);
            }
            Body::Change(c) => {
                if let Some(target) = refs.first() {
                    let e = self.entries.entry(*target).or_default();
                    for p in &c.props {
                        e.set(at, p.clone());
                    }
                    e.touch(at, stamp.person);
                }
            }
            Body::Move(m) => {
                if let Some(target) = refs.first() {
                    let e = self.entries.entry(*target).or_default();
                    e.set(at, Prop::Pos(m.rect.x, m.rect.y));
                    e.set(at, Prop::Size(m.rect.w, m.rect.h));
                    e.touch(at, stamp.person);
                }
            }
            Body::Erase(_) => {
                for target in refs {
                    let e = self.entries.entry(*target).or_default();
                    e.set(at, Prop::Deleted(true));
                    e.touch(at, stamp.person);
                }
            }
            _ => {}
        }
    }

    fn place(&mut self, stamp: Stamp, content: Content, props: Vec<Prop>) {
        let at = stamp.clock();
        let e = self.entries.entry(stamp.id).or_default();
        e.base = Some(Base {
            content,
            author: stamp.person,
            device: stamp.device,
            created: stamp.ts,
        });
        for p in props {
            e.set(at, p);
        }
        e.touch(at, stamp.person);
    }

    /// Every object placed, deleted ones included, back to front.
    pub fn all(&self) -> Vec<Object> {
        let mut out: Vec<Object> = self.entries.iter().filter_map(|(id, e)| object(*id, e)).collect();
        out.sort_by(|a, b| {
            a.z.total_cmp(&b.z)
                .then(a.created.cmp(&b.created))
                .then(a.id.cmp(&b.id))
        });
        out
    }

    /// The objects on the board (not deleted), back to front.
    pub fn objects(&self) -> Vec<Object> {
        let mut all = self.all();
        all.retain(|o| !o.deleted);
        all
    }

    /// One object, deleted or not.
    pub fn get(&self, id: &RecordId) -> Option<Object> {
        self.entries.get(id).and_then(|e| object(*id, e))
    }

    /// The z order in front of every object on the board, and behind every one.
    pub fn z_extremes(&self) -> (f64, f64) {
        let zs = self.objects().into_iter().map(|o| o.z);
        let (lo, hi) = zs.fold((0.0f64, 0.0f64), |(lo, hi), z| (lo.min(z), hi.max(z)));
        (hi + 1.0, lo - 1.0)
    }
}

fn object(id: RecordId, e: &Entry) -> Option<Object> {
    let base = e.base.as_ref()?;
    let mut o = Object {
        id,
        content: base.content.clone(),
        author: base.author,
        device: base.device,
        created: base.created,
        pos: (0.0, 0.0),
        size: (1.0, 1.0),
        text: String::new(),
        color: Color::default(),
        fill: None,
        width: 2.0,
        font: DEFAULT_FONT,
        z: 0.0,
        deleted: false,
        updated: e
            .last
            .as_ref()
            .map_or((base.created, base.author), |((ts, _), who)| (*ts, *who)),
    };
    for (_, p) in e.slots.iter().flatten() {
        match p {
            Prop::Pos(x, y) => o.pos = (*x, *y),
            Prop::Size(w, h) => o.size = (*w, *h),
            Prop::Text(t) => o.text = t.clone(),
            Prop::Color(c) => o.color = *c,
            Prop::Fill(f) => o.fill = *f,
            Prop::Width(w) => o.width = *w,
            Prop::Font(f) => o.font = *f,
            Prop::Z(z) => o.z = *z,
            Prop::Deleted(d) => o.deleted = *d,
        }
    }
    // A box turned inside out by a resize is the same box the right way round.
    let segment = matches!(o.content, Content::Shape(k) if k.is_segment());
    if !segment {
        if o.size.0 < 0.0 {
            o.pos.0 += o.size.0;
            o.size.0 = -o.size.0;
        }
        if o.size.1 < 0.0 {
            o.pos.1 += o.size.1;
            o.size.1 = -o.size.1;
        }
    }
    Some(o)
}
