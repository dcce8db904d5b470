//! The whiteboard's commands.

use clap::Subcommand;

#[derive(Subcommand, Debug)]
pub enum BoardCmd {
    /// Draw a stroke.
    Stroke {
        /// Space id or unique prefix.
        space: String,
        /// Points as "x,y x,y …".
        #[arg(long)]
        points: String,
        /// Colour as #rrggbb.
        #[arg(long, default_value = "#000000")]
        color: String,
        /// Line width.
        #[arg(long, default_value_t = 2.0)]
        width: f32,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Erase a stroke, picture or shape (as the eraser does; `board delete` is the same but
    /// restorable by `board restore` on every version).
    Erase {
        /// Space id or unique prefix.
        space: String,
        /// Stroke or picture id, or a unique prefix.
        id: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List what is on the board: strokes, then pictures (with --json, the strokes; the
    /// pictures are `board pictures`).
    List {
        /// Space id or unique prefix.
        space: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Place a picture (PNG, JPEG, GIF or WebP) on the board; prints its id.
    Picture {
        /// Space id or unique prefix.
        space: String,
        /// The picture file.
        path: std::path::PathBuf,
        /// Its top-left corner, and optionally its width and height in board units (without
        /// them, its own size, scaled to at most 480 on its longer side).
        #[arg(long, value_name = "X,Y[,W,H]", allow_hyphen_values = true)]
        at: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Move an object (a shape, stroke or picture), and resize it with W,H.
    Move {
        /// Space id or unique prefix.
        space: String,
        /// Object id or unique prefix.
        object: String,
        /// Its new top-left corner (a line's start), and optionally its width and height.
        #[arg(long, value_name = "X,Y[,W,H]", allow_hyphen_values = true)]
        to: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the pictures on the board, each where it sits now.
    Pictures {
        /// Space id or unique prefix.
        space: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Place a shape: a rectangle, ellipse, line, arrow, text or sticky note; prints its id.
    Add {
        /// Space id or unique prefix.
        space: String,
        /// rect, ellipse, line, arrow, text or note.
        #[arg(long)]
        kind: String,
        /// Its top-left corner (a line's start).
        #[arg(long, value_name = "X,Y", allow_hyphen_values = true)]
        at: String,
        /// Its width and height (a line's end minus its start); a default for the kind
        /// without it.
        #[arg(long, value_name = "W,H", allow_hyphen_values = true)]
        size: Option<String>,
        /// Its text.
        #[arg(long, value_name = "T")]
        text: Option<String>,
        /// Outline, line or text colour, #rrggbb.
        #[arg(long)]
        color: Option<String>,
        /// Fill colour, #rrggbb or none (a note is yellow without it).
        #[arg(long)]
        fill: Option<String>,
        /// Line width.
        #[arg(long)]
        width: Option<f32>,
        /// Font size.
        #[arg(long)]
        font: Option<f32>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Change an object's text, colours, size, line width, font size or stacking order.
    Set {
        /// Space id or unique prefix.
        space: String,
        /// Object id or unique prefix.
        object: String,
        /// New text.
        #[arg(long, value_name = "T")]
        text: Option<String>,
        /// New colour, #rrggbb.
        #[arg(long)]
        color: Option<String>,
        /// New fill, #rrggbb or none.
        #[arg(long)]
        fill: Option<String>,
        /// New width and height.
        #[arg(long, value_name = "W,H", allow_hyphen_values = true)]
        size: Option<String>,
        /// New line width.
        #[arg(long)]
        width: Option<f32>,
        /// New font size.
        #[arg(long)]
        font: Option<f32>,
        /// In front of or behind everything.
        #[arg(long, value_name = "front|back")]
        z: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Delete objects; they stay deleted (whoever moves them) until restored.
    Delete {
        /// Space id or unique prefix.
        space: String,
        /// Object ids or unique prefixes.
        #[arg(required = true)]
        objects: Vec<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Bring a deleted object back; with --as-of, as it was at that moment.
    Restore {
        /// Space id or unique prefix.
        space: String,
        /// Object id or unique prefix.
        object: String,
        /// RFC 3339 or milliseconds since the epoch.
        #[arg(long, value_name = "TIME")]
        as_of: Option<String>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the objects on the board, back to front; --as-of shows the board as it was then.
    Objects {
        /// Space id or unique prefix.
        space: String,
        /// RFC 3339 or milliseconds since the epoch.
        #[arg(long, value_name = "TIME")]
        as_of: Option<String>,
        /// Deleted objects too.
        #[arg(long)]
        deleted: bool,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}
