//! Desktop notifications: which stored records deserve one (pure, tested), and showing them
//! with notify-rust on a blocking thread.

use std::collections::{HashMap, HashSet};

use confab_core::{AuthorKey, Body, SpaceId};
use confab_store::Inserted;

use crate::view::short_name;

/// Longest preview of a message or issue in a notification, in characters.
const PREVIEW_CHARS: usize = 120;

/// A notification to show.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Note {
    /// The space's name.
    pub title: String,
    /// Author and a preview of the text.
    pub body: String,
}

fn preview(s: &str) -> String {
    let one_line: String = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() > PREVIEW_CHARS {
        let cut: String = one_line.chars().take(PREVIEW_CHARS - 1).collect();
        format!("{cut}…")
    } else {
        one_line
    }
}

/// The notifications a batch of stored records calls for: new chat messages and newsletter
/// issues from others, in spaces that are not muted; none for one's own records, strokes or
/// erases. A batch with several new items in one space (a catch-up) gives one summary
/// notification for that space rather than one each.
pub fn notification_for(
    records: &[Inserted],
    local: bool,
    me: &AuthorKey,
    names: &HashMap<SpaceId, String>,
    muted: &HashSet<SpaceId>,
) -> Vec<Note> {
    if local {
        return Vec::new();
    }
    let mut per_space: Vec<(SpaceId, Vec<&Inserted>)> = Vec::new();
    for r in records {
        let wanted = matches!(r.body, Body::Chat(_) | Body::News(_));
        if !wanted || r.author == *me || muted.contains(&r.space) {
            continue;
        }
        match per_space.iter_mut().find(|(s, _)| *s == r.space) {
            Some((_, v)) => v.push(r),
            None => per_space.push((r.space, vec![r])),
        }
    }
    per_space
        .into_iter()
        .map(|(space, rs)| {
            let title = names.get(&space).cloned().unwrap_or_else(|| "Confab".into());
            let body = match rs.as_slice() {
                [one] => match &one.body {
                    Body::Chat(c) => format!("{}: {}", short_name(&one.author), preview(&c.text)),
                    Body::News(n) => format!("{}: {}", short_name(&one.author), preview(&n.title)),
                    _ => unreachable!("filtered above"),
                },
                many => {
                    let news = many.iter().filter(|r| matches!(r.body, Body::News(_))).count();
                    match news {
                        0 => format!("{} new messages", many.len()),
                        n if n == many.len() => format!("{n} new issues"),
                        n => format!("{} new messages and {n} new issues", many.len() - n),
                    }
                }
            };
            Note { title, body }
        })
        .collect()
}

/// Shows a notification; `on_click` runs if the person clicks it (where the platform and the
/// notification daemon report that). Blocks while the notification is open: call it off the
/// async runtime.
pub fn show(note: &Note, on_click: impl FnOnce() + Send + 'static) {
    let mut n = notify_rust::Notification::new();
    n.appname("Confab")
        .summary(&note.title)
        .body(&note.body)
        .icon("mail-message-new");
    #[cfg(all(unix, not(target_os = "macos")))]
    {
        n.action("default", "Open");
        match n.show() {
            Ok(handle) => {
                let mut on_click = Some(on_click);
                handle.wait_for_action(|action| {
                    if action == "default" {
                        if let Some(f) = on_click.take() {
                            f();
                        }
                    }
                });
            }
            Err(e) => tracing::warn!("notification: {e}"),
        }
    }
    #[cfg(not(all(unix, not(target_os = "macos"))))]
    {
        let _ = on_click;
        if let Err(e) = n.show() {
            tracing::warn!("notification: {e}");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_core::{ChatBody, Hlc, NewsBody, RecordId, RecordKind, StrokeBody, SyncKey};

    fn rec(space: u8, author: &AuthorKey, body: Body) -> Inserted {
        Inserted {
            id: RecordId([space; 32]),
            space: SpaceId([space; 32]),
            kind: body.kind(),
            author: *author,
            ts: Hlc(1),
            key: SyncKey([0; 32]),
            body,
        }
    }

    fn chat(t: &str) -> Body {
        Body::Chat(ChatBody { text: t.into() })
    }

    #[test]
    fn only_others_unmuted_messages_and_issues() {
        let me = confab_core::Identity::generate().author();
        let them = confab_core::Identity::generate().author();
        let names: HashMap<SpaceId, String> = [(SpaceId([1; 32]), "room".to_string())].into();
        let none = HashSet::new();
        let n = notification_for(&[rec(1, &them, chat("hello\nthere"))], false, &me, &names, &none);
        assert_eq!(n.len(), 1);
        assert_eq!(n[0].title, "room");
        assert!(n[0].body.ends_with(": hello there"), "{:?}", n[0]);
        assert!(n[0].body.starts_with(&short_name(&them)));
        // Own records, local writes, strokes and muted spaces: nothing.
        assert!(notification_for(&[rec(1, &me, chat("mine"))], false, &me, &names, &none).is_empty());
        assert!(notification_for(&[rec(1, &them, chat("x"))], true, &me, &names, &none).is_empty());
        let stroke = Body::Stroke(StrokeBody {
            points: vec![(0.0, 0.0)],
            color: [0, 0, 0],
            width: 1.0,
        });
        assert!(notification_for(&[rec(1, &them, stroke)], false, &me, &names, &none).is_empty());
        let muted: HashSet<SpaceId> = [SpaceId([1; 32])].into();
        assert!(notification_for(&[rec(1, &them, chat("x"))], false, &me, &names, &muted).is_empty());
        // A catch-up batch is summarised per space; issues show their title.
        let batch: Vec<Inserted> = (0..5).map(|i| rec(1, &them, chat(&format!("m{i}")))).collect();
        let n = notification_for(&batch, false, &me, &names, &none);
        assert_eq!(
            n,
            vec![Note {
                title: "room".into(),
                body: "5 new messages".into()
            }]
        );
        let issue = Body::News(NewsBody {
            title: "Issue one".into(),
            body: "long text".into(),
        });
        let n = notification_for(&[rec(2, &them, issue)], false, &me, &names, &none);
        assert_eq!(n[0].title, "Confab");
        assert!(n[0].body.ends_with(": Issue one"));
        assert_eq!(rec(2, &them, chat("")).kind, RecordKind::ChatMessage);
    }

    #[test]
    fn previews_are_cut() {
        let long = "word ".repeat(100);
        let p = preview(&long);
        assert_eq!(p.chars().count(), PREVIEW_CHARS);
        assert!(p.ends_with('…'));
    }
}
