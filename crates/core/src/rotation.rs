//! Key rotation: building, opening and applying the owner's rotation record, and the pure
//! decision of what a rotation does to records already stored (the store executes the plan).

use ed25519_dalek::SigningKey;

use crate::body::{Body, RekeyBody, MAX_KEPT};
use crate::identity::Signer;
use crate::ids::{AuthorKey, RecordId};
use crate::key::SpaceKey;
use crate::keybox;
use crate::record::{Record, RecordError, Verified};
use crate::space::{Epoch, Space, MAX_EPOCHS};

/// What a rotation does to records stored before it arrived: the records that its rules no
/// longer accept are deleted, and those of them that are this member's own are sealed again
/// under the new key with their original time, so nothing this member wrote is lost.
#[derive(Debug, Default)]
pub struct RotationPlan {
    /// Records to delete.
    pub delete: Vec<RecordId>,
    /// This member's own deleted records, sealed again under the key of their date.
    pub reseal: Vec<(Verified, Body)>,
}

impl Space {
    /// The context a rotation's key boxes are bound to.
    pub fn rekey_context(&self, epoch: u32) -> Vec<u8> {
        let mut c = b"confab/rekey/v1\n".to_vec();
        c.extend_from_slice(&self.id.0);
        c.extend_from_slice(&epoch.to_be_bytes());
        c
    }

    /// Builds the next rotation: a fresh key sealed to each of `remaining`, removing `removed`,
    /// whose records `kept` (ids the owner holds) stay acceptable; more than
    /// [`MAX_KEPT`] leaves the list out.
    pub fn make_rekey(
        &self,
        removed: &[AuthorKey],
        remaining: &[AuthorKey],
        kept: &[RecordId],
    ) -> Result<(RekeyBody, SpaceKey), String> {
        if self.epochs.len() >= MAX_EPOCHS {
            return Err(format!(
                "space {:?} has had {MAX_EPOCHS} key rotations, the most allowed",
                self.name
            ));
        }
        let key = SpaceKey::random();
        let epoch = self.epoch() + 1;
        let ctx = self.rekey_context(epoch);
        let boxes = remaining
            .iter()
            .filter_map(|m| keybox::seal(m, &key, &ctx))
            .collect();
        let kept = (kept.len() <= MAX_KEPT).then(|| {
            let mut k: Vec<[u8; 16]> = kept
                .iter()
                .map(|id| id.0[..16].try_into().expect("16 of 32 bytes"))
                .collect();
            k.sort_unstable();
            k.dedup();
            k
        });
        let body = RekeyBody {
            epoch,
            removed: removed.iter().map(|a| a.0).collect(),
            boxes,
            kept,
        };
        Ok((body, key))
    }

    /// Opens this member's box in a rotation, if it has one.
    pub fn open_rekey(&self, body: &RekeyBody, me: &SigningKey) -> Option<SpaceKey> {
        let mine = me.verifying_key().to_bytes();
        let b = body.boxes.iter().find(|b| b.member == mine)?;
        keybox::open(me, b, &self.rekey_context(body.epoch))
    }

    /// Takes a rotation record (already authorized) into this member's view. A rotation for the
    /// next epoch is added; one for a known epoch (joined by a ticket that carried its key)
    /// fills in whom it removed. Anything else is refused with the reason.
    pub fn apply_rekey(
        &mut self,
        since: u64,
        body: &RekeyBody,
        key: Option<SpaceKey>,
    ) -> Result<bool, String> {
        let n = body.epoch as usize;
        let removed: Vec<AuthorKey> = body.removed.iter().map(|k| AuthorKey(*k)).collect();
        if n == self.epochs.len() + 1 {
            if n > MAX_EPOCHS {
                return Err(format!("more than {MAX_EPOCHS} key rotations"));
            }
            if self.epochs.last().is_some_and(|e| e.since >= since) {
                return Err(format!(
                    "rotation to epoch {n} is dated before the rotation it follows"
                ));
            }
            self.epochs.push(Epoch {
                n: body.epoch,
                since,
                key,
                removed,
                kept: body.kept.clone(),
            });
            return Ok(true);
        }
        match self.epochs.get_mut(n.wrapping_sub(1)) {
            Some(e) if e.since == since => {
                let changed =
                    e.removed != removed || e.kept != body.kept || (e.key.is_none() && key.is_some());
                e.removed = removed;
                e.kept = body.kept.clone();
                if e.key.is_none() {
                    e.key = key;
                }
                Ok(changed)
            }
            Some(_) => Err(format!("a second, different rotation to epoch {n}")),
            None => Err(format!(
                "rotation to epoch {n} arrived before epoch {}",
                self.epochs.len() + 1
            )),
        }
    }

    /// Decides what a rotation that starts at `since` does to stored records. `self` is the
    /// space with the rotation applied, `before` the space as it was; `candidates` are the
    /// stored records dated after `since` and every stored record of the members the rotation
    /// removed (only those can change standing). Records whose signature does not verify are
    /// left alone: they were never accepted here by this rule, and deleting what cannot be
    /// attributed is not this function's business.
    pub fn plan_rotation(
        &self,
        before: &Space,
        me: Option<Signer<'_>>,
        candidates: Vec<Record>,
    ) -> Result<RotationPlan, RecordError> {
        let mut plan = RotationPlan::default();
        for rec in candidates {
            let Ok(v) = rec.clone().verify() else { continue };
            if self.authorize(&v).is_ok() {
                continue;
            }
            plan.delete.push(rec.id);
            let mine = me.filter(|me| me.key.verifying_key().to_bytes() == rec.author.0);
            if let (Some(me), Ok(body)) = (mine, before.decrypt(&rec)) {
                if self.is_current_member() {
                    let again = self.seal_verified(me, &body, rec.ts, rec.expires, rec.refs.clone())?;
                    plan.reseal.push((again, body));
                }
            }
        }
        Ok(plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::body::ChatBody;
    use crate::hlc::Hlc;
    use crate::identity::Identity;
    use crate::space::SpaceKind;

    fn chat(t: &str) -> Body {
        Body::Chat(ChatBody {
            files: Vec::new(),
            mentions: vec![],
            text: t.into(),
        })
    }

    /// The owner removes `gone` at t0+1 (keeping its record `kept`), and b and the owner each
    /// see what the rotation does to what they hold.
    #[test]
    fn a_rotation_deletes_what_its_rules_refuse_and_reseals_ones_own() {
        let (owner, b, gone) = (Identity::generate(), Identity::generate(), Identity::generate());
        let before = Space::create(SpaceKind::Chat, "room", owner.author()).unwrap();
        let t0 = 1_000_000_000;
        let seal = |who: &Identity, s: &Space, text: &str, ms: u64| {
            s.seal(who.signing_key(), &chat(text), Hlc::new(ms, 0), None, vec![])
                .unwrap()
        };
        let kept = seal(&gone, &before, "gone, kept", t0 - 10);
        let backdated = seal(&gone, &before, "gone, backdated", t0 - 20);
        let late = seal(&gone, &before, "gone, late", t0 + 3);
        let unaware = seal(&b, &before, "b, unaware", t0 + 2);
        let (body, key) = before
            .make_rekey(&[gone.author()], &[owner.author(), b.author()], &[kept.id])
            .unwrap();
        let mut after = before.clone();
        assert!(after
            .apply_rekey(Hlc::new(t0 + 1, 0).0, &body, Some(key))
            .unwrap());
        let fine = seal(&owner, &after, "owner, new key", t0 + 4);
        let candidates = vec![
            kept.clone(),
            backdated.clone(),
            late.clone(),
            unaware.clone(),
            fine.clone(),
        ];

        // For b: the removed member's late and backdated records go, and b's own unaware one,
        // which comes back sealed with the new key at its original time.
        let plan = after
            .plan_rotation(&before, Some(b.signing_key().into()), candidates.clone())
            .unwrap();
        let mut deleted = plan.delete.clone();
        deleted.sort();
        let mut want = vec![backdated.id, late.id, unaware.id];
        want.sort();
        assert_eq!(deleted, want);
        assert_eq!(plan.reseal.len(), 1);
        let (again, body) = &plan.reseal[0];
        assert_eq!(again.ts, unaware.ts);
        assert_eq!(body, &chat("b, unaware"));
        assert!(
            after.authorize(again).is_ok(),
            "sealed again under the key of its date"
        );

        // For the owner the same records go, and nothing of b's is the owner's to reseal.
        let plan = after
            .plan_rotation(&before, Some(owner.signing_key().into()), candidates.clone())
            .unwrap();
        assert_eq!(plan.delete.len(), 3);
        assert!(plan.reseal.is_empty());

        // The removed member itself reseals nothing: it holds no key for the new epoch.
        let mut theirs = before.clone();
        theirs
            .apply_rekey(Hlc::new(t0 + 1, 0).0, &body_of(&before, &owner, &gone), None)
            .unwrap();
        let plan = theirs
            .plan_rotation(&before, Some(gone.signing_key().into()), vec![late])
            .unwrap();
        assert_eq!(plan.delete.len(), 1);
        assert!(plan.reseal.is_empty());
    }

    fn body_of(s: &Space, owner: &Identity, gone: &Identity) -> RekeyBody {
        s.make_rekey(&[gone.author()], &[owner.author()], &[]).unwrap().0
    }
}
