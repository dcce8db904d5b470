//! Notifications: which stored records deserve one (pure, tested), and showing them on a
//! blocking thread, with notify-rust on a desktop and Tauri's notification plugin on a phone
//! (the choice is `platform.rs`'s).

use std::path::Path;

use confab_node::view::RecordView;
use tauri::{AppHandle, Runtime};

use crate::platform::{self, NotifyBackend};

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

/// Shows a notification the way this platform does; on a desktop a click brings the window to
/// the front, on a phone the system opens the app. Blocks (on a desktop while the notification
/// is open, on a phone while the person is asked whether the app may notify): call it off the
/// async runtime. `data_dir` keeps the person's answer on a phone.
pub fn show<R: Runtime>(app: &AppHandle<R>, data_dir: &Path, note: &Note) {
    match platform::CURRENT.notifications() {
        NotifyBackend::NotifyRust => show_notify_rust(app, note),
        NotifyBackend::Plugin => show_plugin(app, data_dir, note),
    }
}

#[cfg(desktop)]
fn show_notify_rust<R: Runtime>(app: &AppHandle<R>, note: &Note) {
    let app = app.clone();
    show_desktop(note, move || crate::app::focus_main(&app));
}

#[cfg(mobile)]
fn show_notify_rust<R: Runtime>(_: &AppHandle<R>, note: &Note) {
    tracing::warn!(
        "notification {:?} not shown: a phone build has no notify-rust",
        note.title
    );
}

/// Shows a notification with notify-rust; `on_click` runs if the person clicks it (where the
/// platform and the notification daemon report that). Blocks while the notification is open.
#[cfg(desktop)]
fn show_desktop(note: &Note, on_click: impl FnOnce() + Send + 'static) {
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

/// Shows a notification through Tauri's plugin, asking the person first if the system has
/// no answer yet and they have not said no here (`platform::NotifyPermission`).
#[cfg(mobile)]
fn show_plugin<R: Runtime>(app: &AppHandle<R>, data_dir: &Path, note: &Note) {
    use tauri_plugin_notification::{NotificationExt, PermissionState};

    use crate::platform::{NotifyPermission, NotifyStep};

    // One question at a time: a burst of messages asks once.
    static ASKING: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _one = ASKING.lock().unwrap_or_else(|e| e.into_inner());
    let plugin = app.notification();
    let permission = NotifyPermission::new(data_dir);
    let system = plugin.permission_state().unwrap_or_else(|e| {
        tracing::warn!("notification permission: {e}");
        PermissionState::Prompt
    });
    match permission.step(system) {
        NotifyStep::Show => {}
        NotifyStep::Drop => return,
        NotifyStep::Ask => match plugin.request_permission() {
            Ok(answer) if permission.answered(answer) => {}
            Ok(_) => return,
            Err(e) => {
                tracing::warn!("asking for notifications: {e}");
                return;
            }
        },
    }
    if let Err(e) = plugin.builder().title(&note.title).body(&note.body).show() {
        tracing::warn!("notification: {e}");
    }
}

#[cfg(desktop)]
fn show_plugin<R: Runtime>(_: &AppHandle<R>, _: &Path, note: &Note) {
    tracing::warn!(
        "notification {:?} not shown: a desktop build has no notification plugin",
        note.title
    );
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
