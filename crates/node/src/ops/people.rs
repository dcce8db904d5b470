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
        let picture = svc.engine.profile().await?.and_then(|p| p.picture);
        svc.engine
            .set_profile(ProfileBody { name, color, picture })
            .await?;
        Ok(ProfileView::of(&me, &svc.names().await?))
    }
}

/// Sets (from a picture file) or removes this person's picture, in every space they are in.
/// The picture is cut to its middle square and made small ([`crate::media::PICTURE_SIDE`]
/// pixels, JPEG) here, so that what every member fetches is a few tens of KiB.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProfilePicture {
    /// A picture file; `None` removes the picture.
    #[serde(default)]
    pub path: Option<String>,
}

impl Op for ProfilePicture {
    const METHOD: &'static str = "profile.picture";
    type Output = ProfileView;
    async fn run(self, svc: &Service) -> Result<ProfileView, NodeError> {
        let Some(mut profile) = svc.engine.profile().await? else {
            return Err(NodeError::Invalid(
                "choose a display name before a picture (confab profile set --name NAME)".into(),
            ));
        };
        profile.picture = match self.path {
            None => None,
            Some(path) => {
                let limits = svc.engine.file_limits()?;
                let blobs = svc.engine.blobs().clone();
                let file = tokio::task::spawn_blocking(move || -> Result<confab_core::FileRef, NodeError> {
                    let p = std::path::Path::new(&path);
                    let meta = std::fs::metadata(p).map_err(|e| NodeError::io(p, e))?;
                    if meta.len() > limits.max_file {
                        return Err(NodeError::Invalid(format!(
                            "{} is {} bytes; pictures of at most {} are read",
                            p.display(),
                            meta.len(),
                            limits.max_file
                        )));
                    }
                    let bytes = std::fs::read(p).map_err(|e| NodeError::io(p, e))?;
                    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("picture");
                    let (jpeg, thumb) = crate::media::profile_picture(&bytes, name)?;
                    let b = blobs
                        .import_bytes(&jpeg)
                        .map_err(|e| NodeError::Invalid(format!("storing the picture: {e}")))?;
                    Ok(confab_core::FileRef {
                        blob: b.id.0,
                        key: b.key.0,
                        size: b.size,
                        name: "picture.jpg".into(),
                        mime: "image/jpeg".into(),
                        thumb: Some(thumb),
                    })
                })
                .await
                .map_err(|e| NodeError::Invalid(format!("making the picture: {e}")))??;
                Some(file)
            }
        };
        svc.engine.set_profile(profile).await?;
        Ok(ProfileView::of(&svc.engine.me(), &svc.names().await?))
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
                    picture: p.picture.map(|f| f.blob),
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
