//! Who people are: this person's name and colour, and everyone's as profiles say.

use confab_core::{normalize_name, AuthorKey, ProfileBody};
use serde::{Deserialize, Serialize};

use super::{Op, Service};
use crate::view::{Names, ProfileView};
use crate::NodeError;

impl Service {
    /// Names as the store knows them now.
    pub async fn names(&self) -> Result<Names, NodeError> {
        Ok(Names::new(self.engine.store().profiles().await?))
    }
}

/// A peer id given on the command line or by the UI, as a key.
pub(crate) fn person(peer: &str) -> Result<AuthorKey, NodeError> {
    AuthorKey::from_peer_id(peer.trim())
        .ok_or_else(|| NodeError::Invalid(format!("{peer:?} is not a Confab peer id")))
}

/// Sets this person's display name (and colour) in every space they are in.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfileSet {
    pub name: String,
    #[serde(default)]
    pub color: Option<String>,
}

impl Op for ProfileSet {
    const METHOD: &'static str = "profile.set";
    type Output = ProfileView;
    async fn run(self, svc: &Service) -> Result<ProfileView, NodeError> {
        let name = normalize_name(&self.name).map_err(|e| NodeError::Invalid(e.to_string()))?;
        let me = svc.engine.me();
        let color = match (&self.color, svc.engine.profile().await?) {
            (Some(c), _) => c
                .parse()
                .map_err(|e: confab_core::color::ColorError| NodeError::Invalid(e.to_string()))?,
            (None, Some(p)) => p.color,
            (None, None) => Names::default()
                .color(&me)
                .parse()
                .expect("the palette's colours parse"),
        };
        svc.engine.set_profile(ProfileBody { name, color }).await?;
        Ok(ProfileView::of(&me, &svc.names().await?))
    }
}

/// A person's profile: this person's, or a peer's.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfileShow {
    #[serde(default)]
    pub peer: Option<String>,
}

impl Op for ProfileShow {
    const METHOD: &'static str = "profile.show";
    type Output = ProfileView;
    async fn run(self, svc: &Service) -> Result<ProfileView, NodeError> {
        let who = match &self.peer {
            Some(p) => person(p)?,
            None => svc.engine.me(),
        };
        let mut names = svc.names().await?;
        if who == svc.engine.me() && names.name(&who).is_none() {
            // Set here but not yet written to any space (no space joined yet).
            if let Some(p) = svc.engine.profile().await? {
                names = Names::new(vec![confab_store::Profile {
                    author: who,
                    name: p.name,
                    color: p.color.to_string(),
                    ts: 0,
                }]);
            }
        }
        Ok(ProfileView::of(&who, &names))
    }
}

/// Everyone this node has a profile of.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfileList {}

impl Op for ProfileList {
    const METHOD: &'static str = "profile.list";
    type Output = Vec<ProfileView>;
    async fn run(self, svc: &Service) -> Result<Vec<ProfileView>, NodeError> {
        let profiles = svc.engine.store().profiles().await?;
        let who: Vec<AuthorKey> = profiles.iter().map(|p| p.author).collect();
        let names = Names::new(profiles);
        Ok(who.iter().map(|a| ProfileView::of(a, &names)).collect())
    }
}
