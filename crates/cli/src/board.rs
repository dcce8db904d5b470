//! `confab board …`: strokes, pictures and shapes on a whiteboard.

use anyhow::Result;
use confab_node::view::{NewShape, ObjectEdit};
use confab_node::Client;

use crate::args::{self, BoardCmd};
use crate::output;

pub(crate) async fn board(c: &Client, cmd: BoardCmd) -> Result<()> {
    match cmd {
        BoardCmd::Stroke {
            space,
            points,
            color,
            width,
            json,
        } => {
            let points = args::parse_points(&points)?;
            let w = c.board_stroke(&space, points, &color, width).await?;
            output::emit(json, &w, |w| w.id.clone());
        }
        BoardCmd::Erase { space, id, json } => {
            let w = c.board_erase(&space, vec![id]).await?;
            output::emit(json, &w, |w| w.id.clone());
        }
        BoardCmd::List { space, json } => {
            let strokes = c.board_list(&space).await?;
            if json {
                output::emit(json, &strokes, |_| String::new());
            } else {
                let pictures = c.board_pictures(&space).await?;
                let text = [output::strokes(&strokes), output::pictures(&pictures)]
                    .into_iter()
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
                    .join("\n");
                output::emit(false, &text, |t| t.clone());
            }
        }
        BoardCmd::Picture {
            space,
            path,
            at,
            json,
        } => {
            let v = args::parse_numbers("--at", &at, &[2, 4])?;
            let size = (v.len() == 4).then(|| (v[2], v[3]));
            let w = c.board_picture(&space, &path, (v[0], v[1]), size).await?;
            output::emit(json, &w, |w| w.id.clone());
        }
        BoardCmd::Move {
            space,
            object,
            to,
            json,
        } => {
            let v = args::parse_numbers("--to", &to, &[2, 4])?;
            let edit = ObjectEdit {
                object,
                pos: Some((v[0], v[1])),
                size: (v.len() == 4).then(|| (v[2], v[3])),
                ..Default::default()
            };
            let w = c.board_set(&space, edit).await?;
            output::emit(json, &w, |w| w.id.clone());
        }
        BoardCmd::Add {
            space,
            kind,
            at,
            size,
            text,
            color,
            fill,
            width,
            font,
            json,
        } => {
            let at = args::parse_numbers("--at", &at, &[2])?;
            let size = match size {
                Some(s) => Some(args::parse_numbers("--size", &s, &[2])?),
                None => None,
            };
            let shape = NewShape {
                kind,
                at: (at[0], at[1]),
                size: size.map(|v| (v[0], v[1])),
                text,
                color,
                fill,
                width,
                font,
            };
            let w = c.board_add(&space, shape).await?;
            output::emit(json, &w, |w| w.id.clone());
        }
        BoardCmd::Set {
            space,
            object,
            text,
            color,
            fill,
            size,
            width,
            font,
            z,
            json,
        } => {
            let size = match size {
                Some(s) => Some(args::parse_numbers("--size", &s, &[2])?),
                None => None,
            };
            let edit = ObjectEdit {
                object,
                size: size.map(|v| (v[0], v[1])),
                text,
                color,
                fill,
                width,
                font,
                z,
                ..Default::default()
            };
            let w = c.board_set(&space, edit).await?;
            output::emit(json, &w, |w| w.id.clone());
        }
        BoardCmd::Delete { space, objects, json } => {
            let w = c.board_delete(&space, objects).await?;
            output::emit(json, &w, |w| format!("{} deleted", w.written));
        }
        BoardCmd::Restore {
            space,
            object,
            as_of,
            json,
        } => {
            let as_of = as_of.map(|t| args::parse_time("--as-of", &t)).transpose()?;
            let w = c.board_restore(&space, &object, as_of).await?;
            output::emit(json, &w, |w| w.id.clone());
        }
        BoardCmd::Objects {
            space,
            as_of,
            deleted,
            json,
        } => {
            let as_of = as_of.map(|t| args::parse_time("--as-of", &t)).transpose()?;
            let objects = c.board_objects(&space, as_of, deleted).await?;
            output::emit(json, &objects, |o| output::objects(o));
        }
        BoardCmd::Pictures { space, json } => {
            output::emit(json, &c.board_pictures(&space).await?, |p| output::pictures(p))
        }
    }
    Ok(())
}
