//! Newsletter drafts and scheduled issues. They live in the owner's own space (see
//! `SpaceKind::Personal`), so they never leave the owner's devices and every one of those
//! devices holds them. A draft is the record that first saved it; each later save, schedule,
//! publication or discard is a record naming it, and the newest by the record clock says
//! where it stands.
//!
//! A scheduled issue is signed when it is scheduled, dated at its time: the issue record
//! itself travels in the schedule. Whichever of the owner's devices is running at that time
//! stores and sends it; devices that do so too send the very same record, so the newsletter
//! gets exactly one issue however many of them publish it.

use serde::{Deserialize, Serialize};

use crate::body::{invalid, BodyError, NewsBody, MAX_NEWS_BODY, MAX_NEWS_TITLE};
use crate::files::FileRef;

/// Where a draft stands.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum DraftState {
    /// Being written: its title, body and files are in the record.
    Editing,
    /// To be published at `at_ms`: `issue` is the issue record, signed and sealed already.
    Scheduled {
        /// When (wall-clock ms).
        at_ms: u64,
        /// The issue record's signed encoding.
        issue: Vec<u8>,
    },
    /// Published as the issue with this id.
    Published {
        /// The issue's record id.
        issue: [u8; 32],
    },
    /// Thrown away.
    Discarded,
}

/// One save of a draft (record kind `Draft`, in the owner's own space).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DraftBody {
    /// The newsletter it is for (space id).
    pub space: [u8; 32],
    /// Title (empty unless editing).
    pub title: String,
    /// Markdown (empty unless editing).
    pub body: String,
    /// Pictures and attachments (empty unless editing).
    pub files: Vec<FileRef>,
    /// Where it stands.
    pub state: DraftState,
}

impl DraftBody {
    /// A draft being written.
    pub fn editing(space: [u8; 32], issue: &NewsBody) -> Self {
        DraftBody {
            space,
            title: issue.title.clone(),
            body: issue.body.clone(),
            files: issue.files.clone(),
            state: DraftState::Editing,
        }
    }

    /// Checks the limits an issue has (a scheduled issue's record is checked when it is
    /// published, as any record is).
    pub fn check(&self) -> Result<(), BodyError> {
        if self.title.len() > MAX_NEWS_TITLE || self.body.len() > MAX_NEWS_BODY {
            return Err(invalid(format!(
                "a draft of {} + {} bytes; an issue's title holds {MAX_NEWS_TITLE} and its body {MAX_NEWS_BODY}",
                self.title.len(),
                self.body.len()
            )));
        }
        crate::files::check_files(&self.files)?;
        if let DraftState::Scheduled { issue, .. } = &self.state {
            if issue.len() > crate::record::MAX_RECORD_SIZE {
                return Err(invalid("a scheduled issue larger than a record may be"));
            }
        }
        Ok(())
    }
}
