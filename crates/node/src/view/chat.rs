//! Views of conversations: messages with their names, quotes and reactions; profiles; where
//! a member stands in a room; search hits.

use std::collections::{BTreeMap, HashMap};

use confab_core::{AuthorKey, Body, ChatBody};
use confab_store::{ChatMessage, Hit, Inserted, Profile, Reading, Removal};
use serde::{Deserialize, Serialize};

use super::Byline;

/// Colours for people who have not chosen one, picked by their key.
const PALETTE: [&str; 8] = [
    "#c0392b", "#2471a3", "#1e8449", "#b9770e", "#7d3c98", "#117a65", "#a04000", "#2e4053",
];

/// Display names as this node knows them, and how to tell apart two people of one name.
#[derive(Clone, Debug, Default)]
pub struct Names {
    by: HashMap<AuthorKey, (String, String)>,
    pictures: HashMap<AuthorKey, [u8; 32]>,
    uses: HashMap<String, usize>,
}

impl Names {
    /// From the store's profiles.
    pub fn new(profiles: Vec<Profile>) -> Self {
        let mut n = Names::default();
        for p in profiles {
            *n.uses.entry(p.name.to_lowercase()).or_default() += 1;
            if let Some(b) = p.picture {
                n.pictures.insert(p.author, b);
            }
            n.by.insert(p.author, (p.name, p.color));
        }
        n
    }

    /// From profiles as the node's API shows them.
    pub fn from_views(views: &[ProfileView]) -> Self {
        Self::new(
            views
                .iter()
                .filter_map(|v| {
                    Some(Profile {
                        author: AuthorKey::from_peer_id(&v.peer_id)?,
                        name: v.name.clone()?,
                        color: v.color.clone(),
                        ts: 0,
                        picture: v
                            .picture
                            .as_deref()
                            .and_then(|b| data_encoding::HEXLOWER.decode(b.as_bytes()).ok()?.try_into().ok()),
                    })
                })
                .collect(),
        )
    }

    /// The name `who` chose, if any.
    pub fn name(&self, who: &AuthorKey) -> Option<&str> {
        self.by.get(who).map(|(n, _)| n.as_str())
    }

    /// Their picture's blob (hex), if they chose one.
    pub fn picture(&self, who: &AuthorKey) -> Option<String> {
        self.pictures.get(who).map(|b| data_encoding::HEXLOWER.encode(b))
    }

    /// Their colour (chosen, or one picked by their key).
    pub fn color(&self, who: &AuthorKey) -> String {
        match self.by.get(who) {
            Some((_, c)) => c.clone(),
            None => PALETTE[who.0[0] as usize % PALETTE.len()].to_string(),
        }
    }

    /// What to show for `who`: the name, with the short id when someone else has it too, or
    /// the short id when they have none.
    pub fn label(&self, who: &AuthorKey) -> String {
        match self.by.get(who) {
            Some((n, _)) if self.uses.get(&n.to_lowercase()).copied().unwrap_or(0) > 1 => {
                format!("{n} ({})", who.short())
            }
            Some((n, _)) => n.clone(),
            None => who.short(),
        }
    }
}

/// A person's name and colour.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileView {
    /// Their peer id.
    pub peer_id: String,
    /// The short form of it.
    pub short: String,
    /// The name they chose, if any.
    pub name: Option<String>,
    /// Their colour, `#rrggbb`.
    pub color: String,
    /// What the app shows for them.
    pub label: String,
    /// Their picture's blob id (`confab-blob://localhost/<id>` in the app), if they chose one.
    #[serde(default)]
    pub picture: Option<String>,
}

impl ProfileView {
    /// `who` as `names` knows them.
    pub fn of(who: &AuthorKey, names: &Names) -> Self {
        Self {
            peer_id: who.peer_id(),
            short: who.short(),
            name: names.name(who).map(str::to_string),
            color: names.color(who),
            label: names.label(who),
            picture: names.picture(who),
        }
    }
}

/// The message a reply quotes.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct QuoteView {
    /// Its id.
    pub id: String,
    /// Its author's peer id, if known.
    pub author: Option<String>,
    /// What to show for its author.
    pub label: Option<String>,
    /// Its latest text, cut to 200 characters; null if deleted or not held.
    pub text: Option<String>,
    /// Deleted for everyone.
    pub deleted: bool,
}

/// Longest quote, in characters.
const QUOTE_CHARS: usize = 200;

/// A chat message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct MessageView {
    /// Record id.
    pub id: String,
    /// Who and when.
    #[serde(flatten)]
    pub by: Byline,
    /// Its latest text (plain text); null once deleted.
    pub text: Option<String>,
    /// The author's display name, if they set one.
    pub name: Option<String>,
    /// The author's colour.
    pub color: String,
    /// What to show for the author (see [`Names::label`]).
    pub label: String,
    /// The author's picture's blob id, if they chose one.
    #[serde(default)]
    pub picture: Option<String>,
    /// The message it replies to.
    pub reply_to: Option<String>,
    /// That message, quoted.
    pub quote: Option<QuoteView>,
    /// Each emoji with the peer ids of those who reacted with it.
    pub reactions: BTreeMap<String, Vec<String>>,
    /// Its author changed the text.
    pub edited: bool,
    /// Deleted for everyone.
    pub deleted: bool,
    /// Deleted by the space's owner rather than its author.
    pub removed_by_owner: bool,
    /// Peer ids of those it mentions.
    pub mentions: Vec<String>,
    /// It mentions this member.
    pub mentions_me: bool,
    /// Attached files.
    #[serde(default)]
    pub files: Vec<super::FileView>,
}

impl MessageView {
    /// Describes a stored message as `me` sees it.
    pub fn of(m: &ChatMessage, me: &AuthorKey, names: &Names) -> Self {
        let quote = m.quote.as_ref().map(|q| QuoteView {
            id: q.id.to_string(),
            author: q.author.map(|a| a.peer_id()),
            label: q.author.map(|a| names.label(&a)),
            text: q.text.as_ref().map(|t| t.chars().take(QUOTE_CHARS).collect()),
            deleted: q.deleted,
        });
        Self {
            id: m.id.to_string(),
            by: Byline::of(&m.author, &m.device, m.ts, me),
            text: m.text.clone(),
            name: names.name(&m.author).map(str::to_string),
            color: names.color(&m.author),
            label: names.label(&m.author),
            picture: names.picture(&m.author),
            reply_to: m.reply_to.map(|r| r.to_string()),
            quote,
            reactions: m
                .reactions
                .iter()
                .map(|(e, who)| (e.clone(), who.iter().map(|a| a.peer_id()).collect()))
                .collect(),
            edited: m.edited,
            deleted: m.deleted.is_some(),
            removed_by_owner: m.deleted == Some(Removal::ByOwner),
            mentions: m.mentions.iter().map(|a| a.peer_id()).collect(),
            mentions_me: m.mentions.contains(me),
            files: m.files.iter().map(super::FileView::of).collect(),
        }
    }

    /// A message just stored, before anything refers to it.
    pub fn fresh(i: &Inserted, c: &ChatBody, me: &AuthorKey, names: &Names) -> Self {
        let mentions: Vec<AuthorKey> = c.mentions.iter().map(|k| AuthorKey(*k)).collect();
        let m = ChatMessage {
            id: i.id,
            author: i.person,
            device: i.author,
            ts: i.ts,
            text: Some(c.text.clone()),
            reply_to: None,
            quote: None,
            mentions,
            edited: false,
            deleted: None,
            reactions: Vec::new(),
            files: c.files.clone(),
        };
        let mut v = Self::of(&m, me, names);
        v.reply_to = match &i.body {
            Body::Chat(_) => i.refs.first().map(|r| r.to_string()),
            _ => None,
        };
        v
    }
}

/// A reaction toggled.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReactedView {
    /// The reaction record's id.
    pub id: String,
    /// The reaction is on now (false: taken back).
    pub on: bool,
}

/// Where this member stands in a room.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ReadingView {
    /// The room.
    pub space: String,
    /// The first message by someone else since this member was last here.
    pub first_unread: Option<String>,
    /// Messages by others since then (at most 1000).
    pub unread: u32,
    /// Of those, how many mention this member.
    pub mentions: u32,
}

impl ReadingView {
    /// From the store's reading.
    pub fn of(space: &confab_core::SpaceId, r: &Reading) -> Self {
        Self {
            space: space.to_string(),
            first_unread: r.first_unread.map(|i| i.to_string()),
            unread: r.unread,
            mentions: r.mentions,
        }
    }
}

/// One search result.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct HitView {
    /// Its space's id.
    pub space: String,
    /// Its space's name.
    pub space_name: String,
    /// `chat` or `news`.
    pub space_kind: String,
    /// The message or issue id.
    pub id: String,
    /// `chat` or `news`.
    pub kind: String,
    /// The author's peer id.
    pub author: String,
    /// What to show for the author.
    pub label: String,
    /// Milliseconds since the Unix epoch.
    pub ts: u64,
    /// Text around the match (plain text, never markup).
    pub snippet: String,
    /// The matches in `snippet`: [start, end) in characters (Unicode scalar values).
    pub highlights: Vec<(usize, usize)>,
}

impl HitView {
    /// Describes a hit in `space`.
    pub fn of(h: &Hit, space: &confab_core::Space, names: &Names) -> Self {
        let kind = match h.kind {
            confab_core::RecordKind::NewsIssue => "news",
            _ => "chat",
        };
        Self {
            space: h.space.to_string(),
            space_name: space.name.clone(),
            space_kind: space.kind.as_str().to_string(),
            id: h.id.to_string(),
            kind: kind.to_string(),
            author: h.author.peer_id(),
            label: names.label(&h.author),
            ts: h.ts.ms(),
            snippet: h.snippet.clone(),
            highlights: h.highlights.clone(),
        }
    }
}
