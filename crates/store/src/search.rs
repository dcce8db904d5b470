//! Local full-text search over what this member can read: chat messages (their latest text)
//! and newsletter issues, by SQLite's FTS5. The index holds only decrypted text of joined
//! spaces, and follows every insert, edit, delete, expiry and rotation.

use confab_core::{AuthorKey, Hlc, RecordId, RecordKind, SpaceId};
use rusqlite::{params, OptionalExtension};

use crate::db::{blob32, Db};
use crate::StoreError;

/// How many of the most recent matches are ranked by relevance: a word found in half a
/// million messages must not cost a sort of all of them.
pub const RANKED: u32 = 2000;
/// Marks the start and end of a match in FTS5's snippets (private-use characters).
const OPEN: char = '\u{E000}';
const CLOSE: char = '\u{E001}';

/// What to look for.
#[derive(Clone, Debug, Default)]
pub struct SearchQuery {
    /// The words (every one must match, each as a word or the start of one).
    pub text: String,
    /// Only in this space.
    pub space: Option<SpaceId>,
    /// Only by this author.
    pub author: Option<AuthorKey>,
    /// At most this many hits.
    pub limit: u32,
}

/// One match.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    /// Its space.
    pub space: SpaceId,
    /// The message or issue.
    pub id: RecordId,
    /// Chat message or newsletter issue.
    pub kind: RecordKind,
    /// Its author.
    pub author: AuthorKey,
    /// Its timestamp.
    pub ts: Hlc,
    /// A piece of its text around the match (plain text).
    pub snippet: String,
    /// Where the matches are in `snippet`, in characters: [start, end).
    pub highlights: Vec<(usize, usize)>,
}

/// Turns what someone typed into an FTS5 query: each word quoted (so that no operator in it
/// has a meaning) and matched as a prefix; all words must match.
pub fn fts_query(text: &str) -> Option<String> {
    let words: Vec<String> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(|w| format!("\"{w}\"*"))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// Takes the markers out of a snippet, noting where they were (in characters).
fn highlights(marked: &str) -> (String, Vec<(usize, usize)>) {
    let mut out = String::with_capacity(marked.len());
    let mut spans = Vec::new();
    let mut n = 0usize;
    let mut start = None;
    for c in marked.chars() {
        match c {
            OPEN => start = Some(n),
            CLOSE => {
                if let Some(s) = start.take() {
                    spans.push((s, n));
                }
            }
            c => {
                out.push(c);
                n += 1;
            }
        }
    }
    (out, spans)
}

impl Db {
    /// Searches; best matches first. `None` if the query has no words. The most recent
    /// [`RANKED`] matches are ranked without their snippets; snippets are made for the hits
    /// returned only.
    pub fn search(&mut self, q: &SearchQuery) -> Result<Option<Vec<Hit>>, StoreError> {
        let Some(fts) = fts_query(&q.text) else { return Ok(None) };
        let ranked: Vec<(i64, f64)> = {
            let sql = format!(
                "SELECT search.rowid, search.rank FROM search JOIN search_docs d ON d.doc = search.rowid \
                 WHERE search MATCH ?1 AND (?2 IS NULL OR d.space = ?2) AND (?3 IS NULL OR d.author = ?3) \
                 ORDER BY search.rowid DESC LIMIT {RANKED}"
            );
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(
                params![fts, q.space.map(|s| s.0.to_vec()), q.author.map(|a| a.0.to_vec())],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)?)),
            )?;
            rows.collect::<Result<_, _>>()?
        };
        // FTS5's rank is bm25 negated: lower is better; ties go to the newer document.
        let mut best = ranked;
        best.sort_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        best.truncate(q.limit as usize);
        let sql = format!(
            "SELECT d.space, d.id, d.kind, d.author, d.ts, snippet(search, -1, '{OPEN}', '{CLOSE}', '…', 16) \
             FROM search JOIN search_docs d ON d.doc = search.rowid WHERE search MATCH ?1 AND search.rowid = ?2"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let mut hits = Vec::with_capacity(best.len());
        for (doc, _) in best {
            let row = stmt
                .query_row(params![fts, doc], |r| {
                    Ok((
                        r.get::<_, Vec<u8>>(0)?,
                        r.get::<_, Vec<u8>>(1)?,
                        r.get::<_, u8>(2)?,
                        r.get::<_, Vec<u8>>(3)?,
                        r.get::<_, i64>(4)?,
                        r.get::<_, String>(5)?,
                    ))
                })
                .optional()?;
            let Some((space, id, kind, author, ts, snippet)) = row else { continue };
            let (snippet, highlights) = highlights(&snippet);
            hits.push(Hit {
                space: SpaceId(blob32(space)?),
                id: RecordId(blob32(id)?),
                kind: RecordKind::from_code(kind)
                    .ok_or_else(|| StoreError::Corrupt(format!("search document of kind {kind}")))?,
                author: AuthorKey(blob32(author)?),
                ts: Hlc(ts as u64),
                snippet,
                highlights,
            });
        }
        Ok(Some(hits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queries_are_words_and_operators_mean_nothing() {
        assert_eq!(fts_query("  ").as_deref(), None);
        assert_eq!(fts_query("hello wor").as_deref(), Some("\"hello\"* \"wor\"*"));
        assert_eq!(
            fts_query("a OR \"b\" NEAR(c)").as_deref(),
            Some("\"a\"* \"OR\"* \"b\"* \"NEAR\"* \"c\"*")
        );
    }

    #[test]
    fn markers_become_character_ranges() {
        let (s, h) = highlights("é \u{E000}café\u{E001} x \u{E000}y\u{E001}");
        assert_eq!(s, "é café x y");
        assert_eq!(h, vec![(2, 6), (9, 10)]);
    }
}
