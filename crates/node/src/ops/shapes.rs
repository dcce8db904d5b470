//! Objects on a whiteboard: placing shapes, changing any object's properties (moving,
//! resizing, recolouring, retyping, restacking), deleting and restoring, and the merged board
//! now or as it was at a past moment. Every change is a record of its own that names the
//! object (see `confab_core::board` for how they merge).

use confab_core::board::Board;
use confab_core::{Body, ChangeBody, Color, Object, Prop, RecordId, ShapeBody, ShapeKind, SpaceKind};
use serde::{Deserialize, Serialize};

use super::files::mark_held;
use super::{Op, Service};
use crate::view::{ObjectEdit, ObjectView, WrittenManyView, WrittenView};
use crate::NodeError;

/// Colour of new shapes' outlines and text.
const INK: Color = Color([0x1e, 0x1e, 0x1e]);
/// A sticky note's fill when none is given.
const NOTE_YELLOW: Color = Color([0xff, 0xf1, 0x76]);

fn color(c: &str) -> Result<Color, NodeError> {
    c.parse()
        .map_err(|e: confab_core::color::ColorError| NodeError::Invalid(e.to_string()))
}

/// `none` (or empty) for no fill, else a colour.
fn fill(c: &str) -> Result<Option<Color>, NodeError> {
    match c.trim() {
        "" | "none" => Ok(None),
        c => color(c).map(Some),
    }
}

/// The space, if it is a board.
async fn board_space(svc: &Service, space: &str) -> Result<confab_core::Space, NodeError> {
    let s = svc.space(space).await?;
    if s.kind != SpaceKind::Board {
        return Err(NodeError::Invalid(format!(
            "shapes are placed on whiteboards; {:?} is a {} space",
            s.name, s.kind
        )));
    }
    Ok(s)
}

/// The one object (deleted ones included) whose id starts with `want`.
pub(crate) fn find_object<'a>(all: &'a [Object], want: &str) -> Result<&'a Object, NodeError> {
    let w = want.trim().to_ascii_lowercase();
    if w.is_empty() || w.len() > 64 || !w.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(NodeError::Invalid(format!("{want:?} is not an object id")));
    }
    let found: Vec<&Object> = all.iter().filter(|o| o.id.to_string().starts_with(&w)).collect();
    match found.as_slice() {
        [one] => Ok(one),
        [] => Err(NodeError::NotFound(format!(
            "no object on this board has an id starting with {want:?} (see `confab board objects`)"
        ))),
        many => Err(NodeError::Invalid(format!(
            "{want:?} matches {} objects; give more of the id",
            many.len()
        ))),
    }
}

/// The size a new shape gets when none is given.
fn default_size(kind: ShapeKind, text: &str, font: f32) -> (f32, f32) {
    match kind {
        ShapeKind::Rect | ShapeKind::Ellipse => (160.0, 100.0),
        ShapeKind::Line | ShapeKind::Arrow => (160.0, 0.0),
        ShapeKind::Note => (200.0, 200.0),
        ShapeKind::Text => {
            // Roughly the text's extent: 0.6 em per character, 1.25 em per line.
            let lines = text.lines().count().max(1) as f32;
            let widest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0).max(4) as f32;
            (widest * font * 0.6, lines * font * 1.25)
        }
    }
}

/// Places a shape on a board: a rectangle, ellipse, line, arrow, text or sticky note.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BoardAdd {
    pub space: String,
    /// `rect`, `ellipse`, `line`, `arrow`, `text` or `note`.
    pub kind: String,
    /// Top-left corner (a line's start), in board units.
    pub at: (f32, f32),
    /// Width and height (a line's end minus its start); a default for the kind if absent.
    #[serde(default)]
    pub size: Option<(f32, f32)>,
    #[serde(default)]
    pub text: Option<String>,
    /// `#rrggbb`.
    #[serde(default)]
    pub color: Option<String>,
    /// `#rrggbb` or `none`.
    #[serde(default)]
    pub fill: Option<String>,
    #[serde(default)]
    pub width: Option<f32>,
    #[serde(default)]
    pub font: Option<f32>,
}

impl Op for BoardAdd {
    const METHOD: &'static str = "board.add";
    type Output = WrittenView;
    async fn run(self, svc: &Service) -> Result<WrittenView, NodeError> {
        let kind: ShapeKind = self.kind.parse().map_err(NodeError::Invalid)?;
        let s = board_space(svc, &self.space).await?;
        let text = self.text.unwrap_or_default();
        let font = self.font.unwrap_or(20.0);
        let shape = ShapeBody {
            kind,
            pos: self.at,
            size: self.size.unwrap_or_else(|| default_size(kind, &text, font)),
            text,
            color: self.color.as_deref().map(color).transpose()?.unwrap_or(INK),
            fill: match self.fill.as_deref() {
                Some(f) => fill(f)?,
                None if kind == ShapeKind::Note => Some(NOTE_YELLOW),
                None => None,
            },
            width: self.width.unwrap_or(2.0),
            font,
        };
        shape.check()?;
        let id = svc
            .engine
            .write(&s, vec![(Body::Shape(shape), vec![])])
            .await?
            .remove(0);
        Ok(WrittenView { id: id.to_string() })
    }
}

/// The properties an edit sets on `o`, checked, given the board it is on (for z order).
fn props_of(edit: &ObjectEdit, o: &Object, front: f64, back: f64) -> Result<Vec<Prop>, NodeError> {
    let mut props = Vec::new();
    if let Some((x, y)) = edit.pos {
        props.push(Prop::Pos(x, y));
    }
    if let Some((w, h)) = edit.size {
        props.push(Prop::Size(w, h));
    }
    if let Some(t) = &edit.text {
        props.push(Prop::Text(t.clone()));
    }
    if let Some(c) = &edit.color {
        props.push(Prop::Color(color(c)?));
    }
    if let Some(f) = &edit.fill {
        props.push(Prop::Fill(fill(f)?));
    }
    if let Some(w) = edit.width {
        props.push(Prop::Width(w));
    }
    if let Some(f) = edit.font {
        props.push(Prop::Font(f));
    }
    match edit.z.as_deref().map(str::trim) {
        None => {}
        Some("front") => props.push(Prop::Z(front)),
        Some("back") => props.push(Prop::Z(back)),
        Some(other) => {
            return Err(NodeError::Invalid(format!(
                "z order {other:?}: expected front or back"
            )))
        }
    }
    if props.is_empty() {
        return Err(NodeError::Invalid(format!(
            "nothing to change on {}: give a position, size, text, colour, fill, width, font size or z order",
            o.id.short()
        )));
    }
    if o.deleted {
        return Err(NodeError::Invalid(format!(
            "the {} {} is deleted; restore it first",
            o.content.kind_str(),
            o.id.short()
        )));
    }
    let segment = matches!(&o.content, confab_core::Content::Shape(k) if k.is_segment());
    if let (false, Some((w, h))) = (segment, edit.size) {
        if !(w > 0.0 && h > 0.0) {
            return Err(NodeError::Invalid(format!(
                "a {}'s size {w}×{h} is not above 0 on each side",
                o.content.kind_str()
            )));
        }
    }
    let change = ChangeBody { props };
    change.check()?;
    Ok(change.props)
}

/// Writes changes of several objects in one transaction.
async fn write_changes(
    svc: &Service,
    s: &confab_core::Space,
    changes: Vec<(RecordId, Vec<Prop>)>,
) -> Result<Vec<RecordId>, NodeError> {
    let drafts = changes
        .into_iter()
        .map(|(id, props)| (Body::Change(ChangeBody { props }), vec![id]))
        .collect();
    svc.engine.write(s, drafts).await
}

/// Changes properties of board objects, all in one transaction (the app moves a selection
/// at once). Objects sent to the front or back keep their order among themselves.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BoardChange {
    pub space: String,
    pub edits: Vec<ObjectEdit>,
}

impl Op for BoardChange {
    const METHOD: &'static str = "board.change";
    type Output = WrittenManyView;
    async fn run(self, svc: &Service) -> Result<WrittenManyView, NodeError> {
        if self.edits.is_empty() {
            return Err(NodeError::Invalid("no object to change".into()));
        }
        let s = board_space(svc, &self.space).await?;
        let board = svc.engine.store().board(s.id, None).await?;
        let all = board.all();
        let (front, back) = board.z_extremes();
        // Objects sent forward or back together keep their order: in front, the hindmost
        // first; behind, the foremost first.
        let mut targets: Vec<(&Object, &ObjectEdit)> = Vec::with_capacity(self.edits.len());
        for e in &self.edits {
            targets.push((find_object(&all, &e.object)?, e));
        }
        let mut changes = Vec::with_capacity(targets.len());
        let (mut ahead, mut behind) = (0.0, 0.0);
        let mut by_z = targets.clone();
        by_z.sort_by(|a, b| a.0.z.total_cmp(&b.0.z));
        let mut z_of = std::collections::HashMap::new();
        for (o, e) in &by_z {
            if e.z.as_deref().map(str::trim) == Some("front") {
                z_of.insert(o.id, front + ahead);
                ahead += 1.0;
            }
        }
        for (o, e) in by_z.iter().rev() {
            if e.z.as_deref().map(str::trim) == Some("back") {
                z_of.insert(o.id, back - behind);
                behind += 1.0;
            }
        }
        for (o, e) in targets {
            let z = z_of.get(&o.id).copied().unwrap_or(front);
            changes.push((o.id, props_of(e, o, z, z)?));
        }
        let written = write_changes(svc, &s, changes).await?;
        Ok(WrittenManyView {
            written: written.len(),
        })
    }
}

/// Changes properties of one board object; prints the change's id.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BoardSet {
    pub space: String,
    pub edit: ObjectEdit,
}

impl Op for BoardSet {
    const METHOD: &'static str = "board.set";
    type Output = WrittenView;
    async fn run(self, svc: &Service) -> Result<WrittenView, NodeError> {
        let s = board_space(svc, &self.space).await?;
        let board = svc.engine.store().board(s.id, None).await?;
        let all = board.all();
        let o = find_object(&all, &self.edit.object)?;
        let (front, back) = board.z_extremes();
        let props = props_of(&self.edit, o, front, back)?;
        let id = write_changes(svc, &s, vec![(o.id, props)]).await?.remove(0);
        Ok(WrittenView { id: id.to_string() })
    }
}

/// Deletes board objects (any member may); they stay deleted until restored, whatever moves
/// them meanwhile.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BoardDelete {
    pub space: String,
    pub objects: Vec<String>,
}

impl Op for BoardDelete {
    const METHOD: &'static str = "board.delete";
    type Output = WrittenManyView;
    async fn run(self, svc: &Service) -> Result<WrittenManyView, NodeError> {
        if self.objects.is_empty() {
            return Err(NodeError::Invalid(
                "nothing to delete: name at least one object".into(),
            ));
        }
        let s = board_space(svc, &self.space).await?;
        let all = svc.engine.store().board(s.id, None).await?.all();
        let mut changes = Vec::with_capacity(self.objects.len());
        for want in &self.objects {
            let o = find_object(&all, want)?;
            if o.deleted {
                return Err(NodeError::Invalid(format!(
                    "the {} {} is deleted already",
                    o.content.kind_str(),
                    o.id.short()
                )));
            }
            changes.push((o.id, vec![Prop::Deleted(true)]));
        }
        let written = write_changes(svc, &s, changes).await?;
        Ok(WrittenManyView {
            written: written.len(),
        })
    }
}

/// Brings a deleted object back; with `as_of` (ms), also as it was then (where it was, its
/// size, text, colours and order), which restores an object from the board's history.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BoardRestore {
    pub space: String,
    pub object: String,
    #[serde(default)]
    pub as_of: Option<u64>,
}

impl Op for BoardRestore {
    const METHOD: &'static str = "board.restore";
    type Output = WrittenView;
    async fn run(self, svc: &Service) -> Result<WrittenView, NodeError> {
        let s = board_space(svc, &self.space).await?;
        let store = svc.engine.store();
        let all = store.board(s.id, None).await?.all();
        let now = find_object(&all, &self.object)?;
        let props = match self.as_of {
            None if !now.deleted => {
                return Err(NodeError::Invalid(format!(
                    "the {} {} is not deleted",
                    now.content.kind_str(),
                    now.id.short()
                )))
            }
            None => vec![Prop::Deleted(false)],
            Some(ms) => {
                let then: Board = store.board(s.id, Some(ms)).await?;
                let Some(o) = then.get(&now.id).filter(|o| !o.deleted) else {
                    return Err(NodeError::NotFound(format!(
                        "the {} {} was not on the board at {ms} ms",
                        now.content.kind_str(),
                        now.id.short()
                    )));
                };
                vec![
                    Prop::Pos(o.pos.0, o.pos.1),
                    Prop::Size(o.size.0, o.size.1),
                    Prop::Text(o.text),
                    Prop::Color(o.color),
                    Prop::Fill(o.fill),
                    Prop::Width(o.width),
                    Prop::Font(o.font),
                    Prop::Z(o.z),
                    Prop::Deleted(false),
                ]
            }
        };
        let id = write_changes(svc, &s, vec![(now.id, props)]).await?.remove(0);
        Ok(WrittenView { id: id.to_string() })
    }
}

/// The objects on a board, back to front; with `as_of` (ms) as the board was then; with
/// `deleted`, deleted ones too (marked).
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BoardObjects {
    pub space: String,
    #[serde(default)]
    pub as_of: Option<u64>,
    #[serde(default)]
    pub deleted: bool,
}

impl Op for BoardObjects {
    const METHOD: &'static str = "board.objects";
    type Output = Vec<ObjectView>;
    async fn run(self, svc: &Service) -> Result<Vec<ObjectView>, NodeError> {
        let s = board_space(svc, &self.space).await?;
        let board = svc.engine.store().board(s.id, self.as_of).await?;
        let me = svc.engine.me();
        let objects = if self.deleted {
            board.all()
        } else {
            board.objects()
        };
        let mut names = crate::view::PeerNames::default();
        Ok(objects
            .iter()
            .map(|o| {
                let mut v = ObjectView::with_names(o, &me, &mut names);
                if let Some(f) = v.file.as_mut() {
                    mark_held(svc, std::slice::from_mut(f));
                }
                v
            })
            .collect())
    }
}

/// One object by its full id, deleted or not (the app fetches an object a change named);
/// `None` if its record is not here yet.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct BoardObject {
    pub space: String,
    pub id: String,
}

impl Op for BoardObject {
    const METHOD: &'static str = "board.object";
    type Output = Option<ObjectView>;
    async fn run(self, svc: &Service) -> Result<Option<ObjectView>, NodeError> {
        let s = board_space(svc, &self.space).await?;
        let id = RecordId::from_hex(self.id.trim())
            .ok_or_else(|| NodeError::Invalid(format!("{:?} is not an object id", self.id)))?;
        let me = svc.engine.me();
        Ok(svc.engine.store().board_object(s.id, id).await?.map(|o| {
            let mut v = ObjectView::of(&o, &me);
            if let Some(f) = v.file.as_mut() {
                mark_held(svc, std::slice::from_mut(f));
            }
            v
        }))
    }
}
