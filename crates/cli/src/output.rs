//! Printing: one JSON value with `--json`, readable lines without; both from the view types
//! the app's UI receives too.

use confab_node::view::{
    ArchiveReport, BlobView, DraftView, HitView, IssueView, MemberView, MessageView, ObjectView, PeerView,
    PictureView, ProfileView, ReplyView, SpaceView, StatusView, StrokeView,
};
use serde::Serialize;

/// Prints `value` as JSON, or the text `human` builds.
pub fn emit<T: Serialize>(json: bool, value: &T, human: impl FnOnce(&T) -> String) {
    if json {
        println!("{}", serde_json::to_string(value).expect("views serialise"));
    } else {
        let text = human(value);
        if !text.is_empty() {
            println!("{text}");
        }
    }
}

fn lines<T>(items: &[T], f: impl Fn(&T) -> String) -> String {
    items.iter().map(f).collect::<Vec<_>>().join("\n")
}

pub fn short(id: &str) -> &str {
    &id[..id.len().min(confab_core::ids::SHORT_ID)]
}

pub fn spaces(v: &[SpaceView]) -> String {
    lines(v, |s| format!("{}  {:<5}  {}", short(&s.space), s.kind, s.name))
}

pub fn members(v: &[MemberView]) -> String {
    lines(v, |m| {
        let you = if m.me { "  (you)" } else { "" };
        let mut line = format!("{:<7}  {}  {} records{you}", m.role, m.peer, m.records);
        for d in &m.devices {
            line.push_str(&format!("\n         device {d}"));
        }
        line
    })
}

pub fn chat(v: &[MessageView]) -> String {
    lines(v, |m| {
        let text = match (&m.text, m.removed_by_owner) {
            (Some(t), _) => t.clone(),
            (None, true) => "(removed by the owner)".into(),
            (None, false) => "(message deleted)".into(),
        };
        let mut line = format!("{} {} {}: {text}", short(&m.id), m.by.ts, m.label);
        if m.edited {
            line.push_str(" (edited)");
        }
        if let Some(r) = &m.reply_to {
            line.push_str(&format!(" [reply to {}]", short(r)));
        }
        for (e, who) in &m.reactions {
            line.push_str(&format!(" {e}{}", who.len()));
        }
        for f in &m.files {
            line.push_str(&format!(" [file {} {} bytes {}]", f.name, f.size, &f.blob[..12]));
        }
        line
    })
}

pub fn blobs(v: &[BlobView]) -> String {
    lines(v, |b| {
        format!(
            "{}  {:>10}  {}  {}{}",
            &b.blob[..16],
            b.size,
            if b.held { "here   " } else { "missing" },
            b.name,
            if b.holders.is_empty() {
                String::new()
            } else {
                format!("  (held by {})", b.holders.len())
            }
        )
    })
}

pub fn profile(p: &ProfileView) -> String {
    match &p.picture {
        Some(b) => format!("{}  {}  {}  picture {}", p.peer_id, p.label, p.color, short(b)),
        None => format!("{}  {}  {}", p.peer_id, p.label, p.color),
    }
}

pub fn hits(v: &[HitView]) -> String {
    lines(v, |h| {
        format!(
            "{} {} {} {}: {}",
            h.space_name,
            short(&h.id),
            h.ts,
            h.label,
            h.snippet
        )
    })
}

pub fn strokes(v: &[StrokeView]) -> String {
    lines(v, |s| {
        format!(
            "{} {} {} points, {} width {}",
            short(&s.id),
            s.by.author_short,
            s.points.len(),
            s.color,
            s.width
        )
    })
}

pub fn pictures(v: &[PictureView]) -> String {
    lines(v, |p| {
        let r = &p.rect;
        format!(
            "{} {} picture {} at {},{} size {}x{}{}{}",
            short(&p.id),
            p.by.author_short,
            p.file.name,
            r.x,
            r.y,
            r.w,
            r.h,
            if p.file.held { "" } else { " (not here yet)" },
            if p.moved_by.is_some() { " (moved)" } else { "" }
        )
    })
}

pub fn objects(v: &[ObjectView]) -> String {
    lines(v, |o| {
        let text = if o.text.is_empty() {
            String::new()
        } else {
            format!(" {:?}", o.text)
        };
        format!(
            "{} {} {} at {},{} size {}x{} {}{}{}{}",
            short(&o.id),
            o.by.author_short,
            o.kind,
            o.x,
            o.y,
            o.w,
            o.h,
            o.color,
            o.fill
                .as_deref()
                .map(|f| format!(" fill {f}"))
                .unwrap_or_default(),
            text,
            if o.deleted { " (deleted)" } else { "" }
        )
    })
}

pub fn news(v: &[IssueView]) -> String {
    lines(v, |n| {
        let updated = if n.versions > 1 {
            format!("(updated; {} versions)\n", n.versions)
        } else {
            String::new()
        };
        format!("# {}\n{updated}{}\n", n.title, n.body)
    })
}

pub fn drafts(v: &[DraftView]) -> String {
    lines(v, |d| {
        let when = if d.scheduled {
            format!("scheduled for {} ms", d.at)
        } else {
            format!("saved {} ms", d.saved_ms)
        };
        format!("{} {} # {}", short(&d.id), when, d.title)
    })
}

pub fn replies(v: &[ReplyView]) -> String {
    lines(v, |r| {
        let text = match (&r.text, r.sealed) {
            (Some(t), _) => t.clone(),
            (None, _) => "(sealed to the owner)".into(),
        };
        format!("{} {}: {text}", short(&r.id), r.by.author_short)
    })
}

pub fn versions(v: &[IssueView]) -> String {
    lines(v, |n| format!("{} {} # {}", short(&n.id), n.by.ts, n.title))
}

pub fn peers(v: &[PeerView]) -> String {
    lines(v, |p| format!("{}  {:<6} {}", p.peer_id, p.how, p.addr))
}

pub fn status(s: &StatusView) -> String {
    if !s.running {
        return format!("{}\nno node is running", s.peer_id);
    }
    let mut out = format!("{}\nrunning, {} peers", s.peer_id, s.peers);
    for a in &s.listening {
        out.push_str(&format!("\nlistening {a}"));
    }
    out.push_str(&format!(
        "\nreachability {}; DHT {} ({} peers)",
        s.reachability, s.dht.mode, s.dht.peers
    ));
    for a in &s.external {
        out.push_str(&format!("\nothers reach it at {a}"));
    }
    for r in &s.reservations {
        out.push_str(&format!("\nrelay reservation {r}"));
    }
    for r in &s.rendezvous {
        let announced = if r.last_announce_ms.is_some() {
            "announced"
        } else {
            "not announced"
        };
        out.push_str(&format!(
            "\nrendezvous {} {announced}, {} found",
            short(&r.space),
            r.found
        ));
    }
    for p in &s.progress {
        out.push_str(&format!(
            "\ncatching up {} {}/{}",
            short(&p.space),
            p.fetched,
            p.total
        ));
    }
    out
}

pub fn verified(r: &ArchiveReport) -> String {
    let kinds: Vec<String> = r.by_kind.iter().map(|(k, n)| format!("{n} {k}")).collect();
    let authors = lines(&r.authors, |a| {
        let name = a.name.as_deref().map(|n| format!(" ({n})")).unwrap_or_default();
        format!("  {}{name}: {} records", a.peer, a.records)
    });
    format!(
        "archive of {} space {:?} ({}), owner {}\n\
         exported by {} at {}; its signature of the manifest holds, and {} files are as it signed them\n\
         {} records, every signature good and every rule of the space kept: {}\n\
         key rotations: {}\nauthors:\n{authors}\n{}",
        r.kind,
        r.name,
        short(&r.space),
        r.owner,
        r.exporter,
        confab_core::archive::rfc3339(r.exported_ms),
        r.files,
        r.records,
        if kinds.is_empty() {
            "none".into()
        } else {
            kinds.join(", ")
        },
        r.epochs,
        if r.bodies {
            "with the space's key: the space is the one named, and every readable entry says what its record's body says"
        } else {
            "not proven: that each body says what the readable files say, nor that the space id belongs \
             to this kind and owner (both need the space key, which an archive never holds; give a \
             member's --ticket to check them)"
        }
    )
}

pub fn backed_up(b: &confab_node::view::BackupView) -> String {
    format!(
        "backup of {} written to {} ({} bytes, {} spaces, {} records)",
        short(&b.account),
        b.path,
        b.bytes,
        b.spaces,
        b.records
    )
}

pub fn restored(r: &confab_node::view::RestoreView) -> String {
    let mut s = format!(
        "account {} restored as the new device {} ({} spaces, {} records; the rest comes from peers)",
        r.account, r.device, r.spaces, r.records
    );
    if let Some(old) = &r.previous_device {
        s.push_str(&format!(
            "\nthe backup was made on {old}: revoke it if that device is lost"
        ));
    }
    s
}

pub fn devices(v: &[confab_node::view::DeviceView]) -> String {
    lines(v, |d| {
        let what = if d.account { "account" } else { "device " };
        let state = match d.revoked {
            Some(_) => "  revoked",
            None => "",
        };
        let you = if d.me { "  (this device)" } else { "" };
        format!("{what}  {}{state}{you}", d.device)
    })
}

pub fn device_revoked(r: &confab_node::view::DeviceRevokedView) -> String {
    format!(
        "revoked {}: told in {} spaces, {} of yours rotated their keys without it",
        r.device, r.spaces, r.rotated
    )
}

pub fn linked(v: &confab_node::view::LinkedView) -> String {
    format!(
        "this device {} is now linked to the account {} ({} spaces; their history comes from peers)",
        v.device, v.account, v.spaces
    )
}
