//! Checking a newsletter's Atom feed on its own, as a feed reader holding it would: every
//! `<confab:signed>` entry's record decodes and its signatures verify, its written-out fields
//! are the record's, every record is an issue or a correction of one of the feed's issues, all
//! of one newsletter and one publisher (the one named, when the reader knows the key).

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::verify::{entry_fields, open};
use super::{feed_entries, ArchiveError, FEED};
use crate::ids::AuthorKey;
use crate::record::RecordKind;

/// What a feed's check found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct FeedReport {
    /// The newsletter (space id).
    pub space: String,
    /// The publisher: the person who signed every record (peer id).
    pub publisher: String,
    /// Issues whose signed records verify.
    pub issues: usize,
    /// Corrections whose signed records verify.
    pub corrections: usize,
}

/// Checks a feed's signed entries (see the module's text); with `publisher`, that they are
/// that person's. Every problem is named.
pub fn verify_feed(xml: &str, publisher: Option<&AuthorKey>) -> Result<FeedReport, Vec<ArchiveError>> {
    let content = |reason: String| ArchiveError::Content { file: FEED, reason };
    let entries = feed_entries(xml).map_err(|r| vec![content(r)])?;
    if entries.is_empty() {
        return Err(vec![content("it carries no signed entries".into())]);
    }
    let mut problems = Vec::new();
    let mut records = Vec::new();
    for e in &entries {
        match open(e, FEED) {
            Ok(r) => {
                if let Err(err) = entry_fields(FEED, e, &r) {
                    problems.push(err);
                }
                records.push(r);
            }
            Err(err) => problems.push(err),
        }
    }
    let Some(first) = records.first() else {
        return Err(problems);
    };
    let (space, person) = (first.space, first.person());
    let issues: HashSet<_> = records
        .iter()
        .filter(|r| r.kind == RecordKind::NewsIssue)
        .map(|r| r.id)
        .collect();
    let mut seen = HashSet::new();
    let mut report = FeedReport {
        space: space.to_string(),
        publisher: person.peer_id(),
        issues: 0,
        corrections: 0,
    };
    for r in &records {
        if !seen.insert(r.id) {
            problems.push(ArchiveError::Duplicate {
                file: FEED,
                id: r.id.to_string(),
            });
            continue;
        }
        if r.space != space {
            problems.push(content(format!(
                "record {} is of another space, {}",
                r.id, r.space
            )));
        }
        if r.person() != person {
            problems.push(content(format!(
                "record {} is signed by {}, not by {} who signed the others",
                r.id,
                r.person().peer_id(),
                person.peer_id()
            )));
        }
        match r.kind {
            RecordKind::NewsIssue => report.issues += 1,
            RecordKind::Correction if r.refs.first().is_some_and(|t| issues.contains(t)) => {
                report.corrections += 1
            }
            RecordKind::Correction => problems.push(content(format!(
                "correction {} corrects no issue of the feed",
                r.id
            ))),
            other => problems.push(content(format!(
                "record {} is a {}, not an issue or a correction",
                r.id,
                super::kind_name(other)
            ))),
        }
    }
    if let Some(want) = publisher {
        if *want != person {
            problems.push(content(format!(
                "the feed is signed by {}, not by the publisher {}",
                person.peer_id(),
                want.peer_id()
            )));
        }
    }
    if problems.is_empty() {
        Ok(report)
    } else {
        Err(problems)
    }
}
