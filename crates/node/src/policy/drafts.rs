//! Newsletter drafts and scheduled issues, decided without IO: what each draft is now (its
//! newest save by the record clock), and which scheduled issues are due at a given time.
//! The node feeds it the saves from the person's own space and the wall clock; it publishes
//! what comes back (see `crate::drafts`).

use std::collections::BTreeMap;

use confab_core::draft::{DraftBody, DraftState};
use confab_core::{Hlc, RecordId};

/// A draft as its newest save has it.
#[derive(Clone, Debug, PartialEq)]
pub struct Draft {
    /// The id of its first save: the draft's id.
    pub id: RecordId,
    /// When it was last saved.
    pub saved: Hlc,
    /// Its newest save.
    pub body: DraftBody,
}

/// Every draft of the saves given (each save: its id, time, the draft it saves again and its
/// body), in the order of their first saves. Any order of saves gives the same drafts.
pub fn fold(saves: &[(RecordId, Hlc, Option<RecordId>, DraftBody)]) -> Vec<Draft> {
    let mut first: BTreeMap<RecordId, Hlc> = BTreeMap::new();
    let mut newest: BTreeMap<RecordId, (Hlc, RecordId, &DraftBody)> = BTreeMap::new();
    for (id, ts, of, body) in saves {
        let root = of.unwrap_or(*id);
        if of.is_none() {
            first.insert(root, *ts);
        }
        let e = newest.entry(root).or_insert((*ts, *id, body));
        if (*ts, *id) > (e.0, e.1) {
            *e = (*ts, *id, body);
        }
    }
    let mut out: Vec<Draft> = newest
        .into_iter()
        // A later save whose first save is not here yet waits for it.
        .filter(|(root, _)| first.contains_key(root))
        .map(|(root, (ts, _, body))| Draft {
            id: root,
            saved: ts,
            body: body.clone(),
        })
        .collect();
    out.sort_by_key(|d| (first[&d.id], d.id));
    out
}

/// The scheduled issues due at `now_ms`, earliest first: (draft, time, issue record).
pub fn due(drafts: &[Draft], now_ms: u64) -> Vec<(RecordId, u64, Vec<u8>)> {
    let mut out: Vec<(RecordId, u64, Vec<u8>)> = drafts
        .iter()
        .filter_map(|d| match &d.body.state {
            DraftState::Scheduled { at_ms, issue } if *at_ms <= now_ms => Some((d.id, *at_ms, issue.clone())),
            _ => None,
        })
        .collect();
    out.sort_by_key(|(id, at, _)| (*at, *id));
    out
}

/// When the next scheduled issue is due, if any is waiting.
pub fn next_due(drafts: &[Draft]) -> Option<u64> {
    drafts
        .iter()
        .filter_map(|d| match &d.body.state {
            DraftState::Scheduled { at_ms, .. } => Some(*at_ms),
            _ => None,
        })
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(title: &str, state: DraftState) -> DraftBody {
        DraftBody {
            space: [9; 32],
            title: title.into(),
            body: String::new(),
            files: vec![],
            state,
        }
    }

    fn id(n: u8) -> RecordId {
        RecordId([n; 32])
    }

    #[test]
    fn the_newest_save_wins_in_any_order() {
        let saves = vec![
            (id(1), Hlc::new(100, 0), None, body("first", DraftState::Editing)),
            (
                id(2),
                Hlc::new(200, 0),
                Some(id(1)),
                body("second", DraftState::Editing),
            ),
            (
                id(3),
                Hlc::new(150, 0),
                Some(id(1)),
                body("older", DraftState::Editing),
            ),
            (id(4), Hlc::new(120, 0), None, body("other", DraftState::Editing)),
            // A save of a draft whose first save is not here: not a draft yet.
            (
                id(5),
                Hlc::new(300, 0),
                Some(id(8)),
                body("orphan", DraftState::Editing),
            ),
        ];
        let want = fold(&saves);
        let titles: Vec<&str> = want.iter().map(|d| d.body.title.as_str()).collect();
        assert_eq!(titles, ["second", "other"]);
        let mut reversed = saves.clone();
        reversed.reverse();
        assert_eq!(fold(&reversed), want);
    }

    /// The schedule at simulated time: nothing before its time, due from its time on, not
    /// once published, and a later reschedule or discard wins.
    #[test]
    fn scheduled_issues_come_due_at_their_time_and_not_before() {
        let at = 1_000_000;
        let sched = |ms| DraftState::Scheduled {
            at_ms: ms,
            issue: vec![1, 2, 3],
        };
        let mut saves = vec![
            (id(1), Hlc::new(10, 0), None, body("a", sched(at))),
            (id(2), Hlc::new(11, 0), None, body("b", sched(at + 5_000))),
            (id(3), Hlc::new(12, 0), None, body("c", DraftState::Editing)),
        ];
        let d = fold(&saves);
        assert_eq!(next_due(&d), Some(at));
        assert!(due(&d, at - 1).is_empty());
        assert_eq!(due(&d, at).iter().map(|x| x.0).collect::<Vec<_>>(), [id(1)]);
        assert_eq!(
            due(&d, at + 60_000).iter().map(|x| x.0).collect::<Vec<_>>(),
            [id(1), id(2)]
        );
        // Published: never due again. Rescheduled later: due at the new time only.
        saves.push((
            id(4),
            Hlc::new(20, 0),
            Some(id(1)),
            body("", DraftState::Published { issue: [7; 32] }),
        ));
        saves.push((id(5), Hlc::new(21, 0), Some(id(2)), body("b", sched(at + 10_000))));
        let d = fold(&saves);
        assert!(due(&d, at + 9_999).is_empty());
        assert_eq!(due(&d, at + 10_000)[0].0, id(2));
        saves.push((
            id(6),
            Hlc::new(22, 0),
            Some(id(2)),
            body("", DraftState::Discarded),
        ));
        assert!(due(&fold(&saves), u64::MAX).is_empty());
        assert_eq!(next_due(&fold(&saves)), None);
    }
}
