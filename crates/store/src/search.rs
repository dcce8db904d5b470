//! Local full-text search over what this member can read: chat messages (their latest text)
//! and newsletter issues, by SQLite's FTS5. The index holds only decrypted text of joined
//! spaces, and follows every insert, edit, delete, expiry and rotation.

use confab_core::{AuthorKey, Body, Hlc, Record, RecordId, RecordKind, SpaceId};
use rusqlite::{params, OptionalExtension};

use crate::db::Db;
use crate::StoreError;

/// How many of the most recent matches are ranked by relevance: a word found in half a
/// million messages must not cost a sort of all of them.
pub const RANKED: u32 = 1000;
/// Words either side of the first match in a snippet.
const CONTEXT_WORDS: usize = 6;
/// Words in a snippet at most.
const SNIPPET_WORDS: usize = 18;

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

/// A word as the index compares it: lower case, accents removed (as FTS5's
/// `remove_diacritics`, approximately: canonical decomposition without its combining marks).
fn fold(word: &str) -> String {
    use unicode_normalization::char::is_combining_mark;
    use unicode_normalization::UnicodeNormalization;
    word.nfd()
        .filter(|c| !is_combining_mark(*c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// The words of a query, folded.
fn query_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .take(16)
        .map(fold)
        .collect()
}

/// A piece of `text` around its first word that starts with one of `words`, and where the
/// matching words are in it (in characters). `None` if no word matches.
fn snippet(text: &str, words: &[String]) -> Option<(String, Vec<(usize, usize)>)> {
    // Each token: its byte range, and whether it matches.
    let mut tokens: Vec<(usize, usize, bool)> = Vec::new();
    let mut start = None;
    for (i, c) in text.char_indices().chain(std::iter::once((text.len(), ' '))) {
        match (c.is_alphanumeric() && i < text.len(), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                let w = fold(&text[s..i]);
                tokens.push((s, i, words.iter().any(|q| w.starts_with(q.as_str()))));
                start = None;
            }
            _ => {}
        }
    }
    let first = tokens.iter().position(|t| t.2)?;
    let from = first.saturating_sub(CONTEXT_WORDS);
    let to = (from + SNIPPET_WORDS).min(tokens.len());
    let (begin, end) = (tokens[from].0, tokens[to - 1].1);
    let mut out = String::new();
    let mut at = 0usize;
    if from > 0 {
        out.push('…');
        at = 1;
    }
    let mut spans = Vec::new();
    let mut cursor = begin;
    for t in &tokens[from..to] {
        let gap = &text[cursor..t.0];
        at += gap.chars().count();
        out.push_str(gap);
        let word = &text[t.0..t.1];
        let n = word.chars().count();
        if t.2 {
            spans.push((at, at + n));
        }
        out.push_str(word);
        at += n;
        cursor = t.1;
    }
    debug_assert_eq!(cursor, end);
    if to < tokens.len() {
        out.push('…');
    }
    // Line breaks and tabs become spaces: a snippet is one line.
    let out = out
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .collect();
    Some((out, spans))
}

/// The same words matched whole: a word found in most messages has a doclist of a million
/// entries, and a prefix query merges the doclists of every term it covers before the first
/// row comes out, while a whole word is read newest first and stops at the limit.
fn fts_exact(text: &str) -> Option<String> {
    fts_query(text).map(|q| q.replace("\"*", "\""))
}

impl Db {
    /// The most recent [`RANKED`] matches of an FTS5 query, with their ranks.
    fn ranked(&mut self, fts: &str, q: &SearchQuery) -> Result<Vec<(i64, f64)>, StoreError> {
        if q.space.is_none() && q.author.is_none() {
            let sql = format!(
                "SELECT rowid, rank FROM search WHERE search MATCH ?1 ORDER BY rowid DESC LIMIT {RANKED}"
            );
            let mut stmt = self.conn.prepare_cached(&sql)?;
            let rows = stmt.query_map(params![fts], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)?)))?;
            return Ok(rows.collect::<Result<_, _>>()?);
        }
        let sql = format!(
            "SELECT search.rowid, search.rank FROM search JOIN records r ON r.doc = search.rowid \
             WHERE search MATCH ?1 AND (?2 IS NULL OR r.space = ?2) AND (?3 IS NULL OR r.author = ?3) \
             ORDER BY search.rowid DESC LIMIT {RANKED}"
        );
        let mut stmt = self.conn.prepare_cached(&sql)?;
        let rows = stmt.query_map(
            params![fts, q.space.map(|s| s.0.to_vec()), q.author.map(|a| a.0.to_vec())],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, f64>(1)?)),
        )?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Searches; best matches first. `None` if the query has no words. The most recent
    /// [`RANKED`] matches are ranked; snippets are made for the hits returned only, from the
    /// records themselves (the index keeps no text).
    pub fn search(&mut self, q: &SearchQuery) -> Result<Option<Vec<Hit>>, StoreError> {
        let Some(fts) = fts_query(&q.text) else {
            return Ok(None);
        };
        // Whole words first: when they already fill the ranking, the prefixes would only add
        // older matches that could not be ranked anyway.
        let mut ranked = match fts_exact(&q.text) {
            Some(exact) => self.ranked(&exact, q)?,
            None => Vec::new(),
        };
        if ranked.len() < RANKED as usize {
            ranked = self.ranked(&fts, q)?;
        }
        // FTS5's rank is bm25 negated: lower is better; ties go to the newer document.
        let mut best = ranked;
        best.sort_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)));
        best.truncate(q.limit as usize);
        let words = query_words(&q.text);
        let mut hits = Vec::with_capacity(best.len());
        for (doc, _) in best {
            let raw: Option<Vec<u8>> = self
                .conn
                .prepare_cached("SELECT raw FROM records WHERE doc = ?1")?
                .query_row([doc], |r| r.get(0))
                .optional()?;
            let Some(raw) = raw else { continue };
            let rec = Record::decode(&raw).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let Some(space) = self.spaces.get(&rec.space) else {
                continue;
            };
            let (title, body) = match space.decrypt(&rec) {
                Ok(Body::Chat(c)) => {
                    let text = crate::conversation::latest_edit(&self.conn, space, &rec.id, &rec.person())?;
                    (String::new(), text.unwrap_or(c.text))
                }
                Ok(Body::News(n)) => (n.title, n.body),
                _ => continue,
            };
            let (snippet, highlights) = snippet(&body, &words)
                .or_else(|| snippet(&title, &words))
                .unwrap_or_else(|| {
                    // Matched in a way this cannot point at (a rare folding): the start.
                    let text = if body.is_empty() { &title } else { &body };
                    (text.chars().take(120).collect(), Vec::new())
                });
            hits.push(Hit {
                space: rec.space,
                id: rec.id,
                kind: rec.kind,
                author: rec.person(),
                ts: rec.ts,
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
        assert_eq!(fts_exact("hello wor").as_deref(), Some("\"hello\" \"wor\""));
        assert_eq!(
            fts_query("a OR \"b\" NEAR(c)").as_deref(),
            Some("\"a\"* \"OR\"* \"b\"* \"NEAR\"* \"c\"*")
        );
    }

    #[test]
    fn snippets_point_at_the_matches_in_characters() {
        let words = query_words("CAFE y");
        let (s, h) = snippet("é Café\nx yes", &words).unwrap();
        assert_eq!(s, "é Café x yes");
        assert_eq!(h, vec![(2, 6), (9, 12)]);
        assert!(snippet("nothing here", &words).is_none());
        let long: String = (0..40).map(|i| format!("w{i} ")).collect();
        let (s, h) = snippet(&long, &query_words("w20")).unwrap();
        assert!(s.starts_with('…') && s.ends_with('…'), "{s}");
        let chars: Vec<char> = s.chars().collect();
        assert_eq!(chars[h[0].0..h[0].1].iter().collect::<String>(), "w20");
    }
}
