//! Desktop notifications: which stored records deserve one (pure, tested), and showing them
//! with notify-rust on a blocking thread.

use confab_node::view::RecordView;

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

/// What a message says in a notification: its text, or what it carries when it has none.
fn message_preview(m: &confab_node::view::MessageView) -> String {
    let text = preview(m.text.as_deref().unwrap_or_default());
    if !text.is_empty() {
        return text;
    }
    let pictures = m.files.iter().filter(|f| f.dims.is_some()).count();
    match (m.files.len(), pictures) {
        (0, _) => text,
        (1, 1) => "sent a picture".into(),
        (1, _) => format!("sent {}", preview(&m.files[0].name)),
        (n, p) if p == n => format!("sent {n} pictures"),
        (n, _) => format!("sent {n} files"),
    }
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

/// The notification a batch of records stored in one space calls for (the records of a
/// `records` event, written elsewhere): new chat messages and newsletter issues from others,
/// unless the space is muted, where only a message that mentions this member still notifies;
/// none for one's own records, strokes, erases, reactions or edits. A batch with several new
/// items (a catch-up) gives one summary; `count` is the batch's size when the event carried
/// only its newest records.
pub fn notification_for(space_name: &str, muted: bool, records: &[RecordView], count: usize) -> Option<Note> {
    let wanted: Vec<&RecordView> = records
        .iter()
        .filter(|r| match r {
            RecordView::Chat(m) => !m.by.me && (!muted || m.mentions_me),
            RecordView::News(n) => !n.by.me && !muted,
            _ => false,
        })
        .collect();
    let title = space_name.to_string();
    let body = match wanted.as_slice() {
        [] => return None,
        [RecordView::Chat(m)] if m.mentions_me && (count <= 1 || muted) => {
            format!("{} mentioned you: {}", m.label, message_preview(m))
        }
        [RecordView::Chat(m)] if count <= 1 => format!("{}: {}", m.label, message_preview(m)),
        [RecordView::News(n)] if count <= 1 => format!("{}: {}", n.by.author_short, preview(&n.title)),
        many if muted => format!("{} messages mention you", many.len()),
        many => {
            let news = many.iter().filter(|r| matches!(r, RecordView::News(_))).count();
            // A batch larger than the event carried: say how many in all.
            let total = if count > records.len() { count } else { many.len() };
            match news {
                0 => format!("{total} new messages"),
                n if n == many.len() => format!("{total} new issues"),
                n => format!("{} new messages and {n} new issues", many.len() - n),
            }
        }
    };
    Some(Note { title, body })
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
    use confab_node::view::{Byline, IssueView, MessageView, StrokeView};

    fn by(short: &str, me: bool) -> Byline {
        Byline {
            author: format!("12D3KooW{short}"),
            account: format!("12D3KooW{short}"),
            author_short: short.into(),
            me,
            ts: 1,
            hlc: 1 << 16,
            tick: 0,
        }
    }

    fn chat(text: &str, me: bool) -> RecordView {
        RecordView::Chat(MessageView {
            id: "1".into(),
            by: by("Wpeer1", me),
            text: Some(text.into()),
            name: Some("Ann".into()),
            color: "#c0392b".into(),
            label: "Ann".into(),
            picture: None,
            reply_to: None,
            quote: None,
            reactions: Default::default(),
            edited: false,
            deleted: false,
            removed_by_owner: false,
            mentions: vec![],
            mentions_me: false,
            files: vec![],
        })
    }

    fn mention(text: &str) -> RecordView {
        let mut r = chat(text, false);
        if let RecordView::Chat(m) = &mut r {
            m.mentions_me = true;
        }
        r
    }

    fn issue(title: &str) -> RecordView {
        RecordView::News(IssueView {
            id: "2".into(),
            by: by("Wowner", false),
            title: title.into(),
            body: "long text".into(),
            files: vec![],
            html: String::new(),
            held_by: None,
            updated_ms: 0,
            versions: 1,
        })
    }

    #[test]
    fn only_others_unmuted_messages_and_issues() {
        let n = notification_for("room", false, &[chat("hello\nthere", false)], 1).unwrap();
        assert_eq!(n.title, "room");
        assert_eq!(n.body, "Ann: hello there");
        // Own records, strokes and muted spaces: nothing.
        assert!(notification_for("room", false, &[chat("mine", true)], 1).is_none());
        let stroke = RecordView::Stroke(StrokeView {
            id: "3".into(),
            by: by("p", false),
            points: vec![(0.0, 0.0)],
            color: "#000000".into(),
            width: 1.0,
        });
        assert!(notification_for("room", false, &[stroke], 1).is_none());
        assert!(notification_for("room", true, &[chat("x", false)], 1).is_none());
        // A mention notifies even in a muted room.
        let n = notification_for("room", true, &[chat("x", false), mention("hi @Me")], 2).unwrap();
        assert_eq!(n.body, "Ann mentioned you: hi @Me");
        // A catch-up batch is summarised; a batch larger than the event says its full size.
        let batch: Vec<RecordView> = (0..5).map(|i| chat(&format!("m{i}"), false)).collect();
        assert_eq!(
            notification_for("room", false, &batch, 5).unwrap().body,
            "5 new messages"
        );
        assert_eq!(
            notification_for("room", false, &batch, 9000).unwrap().body,
            "9000 new messages"
        );
        let n = notification_for("Letters", false, &[issue("Issue one")], 1).unwrap();
        assert_eq!(n.body, "Wowner: Issue one");
    }

    #[test]
    fn messages_of_files_alone_say_what_they_carry() {
        let file = |name: &str, picture: bool| confab_node::view::FileView {
            blob: "0".repeat(64),
            name: name.into(),
            size: 10,
            mime: if picture { "image/png" } else { "application/pdf" }.into(),
            held: false,
            dims: picture.then_some((4, 3)),
        };
        let with = |files: Vec<confab_node::view::FileView>| {
            let mut r = chat("", false);
            if let RecordView::Chat(m) = &mut r {
                m.files = files;
            }
            notification_for("room", false, &[r], 1).unwrap().body
        };
        assert_eq!(with(vec![file("a.png", true)]), "Ann: sent a picture");
        assert_eq!(with(vec![file("tides.pdf", false)]), "Ann: sent tides.pdf");
        assert_eq!(
            with(vec![file("a.png", true), file("b.png", true)]),
            "Ann: sent 2 pictures"
        );
        assert_eq!(
            with(vec![file("a.png", true), file("t.pdf", false)]),
            "Ann: sent 2 files"
        );
        // A message with text says its text.
        let mut r = chat("look", false);
        if let RecordView::Chat(m) = &mut r {
            m.files = vec![file("a.png", true)];
        }
        assert_eq!(
            notification_for("room", false, &[r], 1).unwrap().body,
            "Ann: look"
        );
    }

    #[test]
    fn previews_are_cut() {
        let long = "word ".repeat(100);
        let p = preview(&long);
        assert_eq!(p.chars().count(), PREVIEW_CHARS);
        assert!(p.ends_with('…'));
    }
}
