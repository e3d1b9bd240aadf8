//! The `owncloud-share` scenario, modelled on ownCloud's own performance test "share with a
//! new user" (cdperf): every virtual user gets an account of its own, uploads a file, shares
//! it by public link and with the next user's account, and then, in a loop, lists the shares
//! it received, downloads through one of them and through another user's link. On stop it
//! removes its shares, its file and its account (fresh admin session, as in `owncloud`).
//!
//! "The next user" is the ready account with the next higher user index (wrapping around),
//! taken from a registry the users share; a user shares as soon as there is one.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, PoisonError};

use ocs_dav::dav::{Dav, Depth};
use ocs_dav::ocs::{Ocs, ShareError, ShareType, Shares};
use swarm::BoxError;
use swarm::prelude::*;
use swarm::rand::Rng as _;
use uuid::Uuid;

use crate::AdminArgs;

/// The scenario, ready to register with an [`App`](swarm::App).
pub fn scenario() -> Scenario {
    Scenario::new("owncloud-share")
        .about("ownCloud sharing: an account each, a file shared by link and with the next user, shares listed and downloaded; all removed on stop")
        .options::<ShareOptions>()
        .setup(settle)
        .on_test_start(check_server)
        .user::<Sharer>()
}

/// The scenario's own flags.
#[derive(Debug, Clone, clap::Args)]
pub struct ShareOptions {
    #[command(flatten)]
    admin: AdminArgs,
    /// Account-name prefix; the run id is appended so runs never collide.
    #[arg(long, env = "SWARM_USER_PREFIX", default_value = "swarm-share")]
    user_prefix: String,
    /// Bytes of the file each user shares.
    #[arg(long, env = "SWARM_SHARE_SIZE", default_value_t = 1024)]
    share_size: usize,
    /// Wait between a user's tasks.
    #[arg(long, env = "SWARM_WAIT", default_value = "1s", value_parser = swarm::parse_duration)]
    wait: Duration,
}

/// One user's account and link, as the others see it.
#[derive(Debug, Clone)]
struct Peer {
    account: String,
    token: String,
}

/// What every user reads: the settings and the registry of ready users.
#[derive(Debug)]
struct Settings {
    admin: crate::Admin,
    prefix_base: String,
    content: bytes::Bytes,
    wait: Wait,
    /// Ready users by index.
    peers: Mutex<BTreeMap<u64, Peer>>,
}

impl Settings {
    fn peers(&self) -> std::sync::MutexGuard<'_, BTreeMap<u64, Peer>> {
        self.peers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The ready account after `me` in index order, wrapping around; never `me`.
    fn next_after(&self, me: u64) -> Option<String> {
        let peers = self.peers();
        peers
            .range(me + 1..)
            .chain(peers.range(..me))
            .next()
            .map(|(_, p)| p.account.clone())
    }

    /// Another ready user's link token, picked with `pick` from those there are.
    fn other_link(&self, me: u64, pick: impl FnOnce(usize) -> usize) -> Option<String> {
        let peers = self.peers();
        let others: Vec<&Peer> = peers
            .iter()
            .filter(|(i, _)| **i != me)
            .map(|(_, p)| p)
            .collect();
        if others.is_empty() {
            return None;
        }
        others.get(pick(others.len())).map(|p| p.token.clone())
    }
}

fn settle(setup: &mut Setup<'_>) -> Result<(), BoxError> {
    if setup.headless() && setup.host().is_none() {
        return Err("the owncloud-share scenario needs --host URL of an ownCloud server (`cargo xtask run owncloud` starts a local simulator)".into());
    }
    let o = setup.options::<ShareOptions>()?;
    let settings = Settings {
        admin: crate::Admin::from_args(&o.admin)?,
        prefix_base: o.user_prefix.clone(),
        content: bytes::Bytes::from(vec![b's'; o.share_size]),
        wait: Wait::constant(o.wait),
        peers: Mutex::default(),
    };
    setup.share(Arc::new(settings));
    Ok(())
}

/// Before any user spawns: the host answers OCS and the admin credentials work.
async fn check_server(ctx: TestCtx) -> TaskResult {
    let s = ctx.shared::<Arc<Settings>>()?;
    s.admin.check(&ctx, &s.prefix_base).await
}

/// One virtual user: its account, its shared file, and the shares it made.
struct Sharer {
    index: u64,
    name: String,
    file: String,
    dav: Dav,
    link_id: String,
    /// The user share made with the next account, once made.
    user_share: Option<String>,
    settings: Arc<Settings>,
}

impl User for Sharer {
    async fn on_start(ctx: &mut Ctx) -> Result<Self, TaskError> {
        let settings = Arc::clone(ctx.shared::<Arc<Settings>>()?);
        let index = ctx.user_index();
        let name = format!("{}-{}-{index}", settings.prefix_base, ctx.run_id());
        let password = Uuid::new_v4().simple().to_string();
        let client = ctx.http_client()?;
        let host = ctx.host().ok_or("no --host")?.to_owned();
        Ocs::new(&settings.admin.session(&client, &host)?)
            .create_user(&name, &password)
            .await?;
        let dav = Dav::new(ctx.session()?.with_basic_auth(&name, &password), &name);
        let file = format!("share-{}.txt", Uuid::new_v4().simple());
        let made = async {
            // The first request copies the skeleton; warm it alone, then upload and link.
            dav.propfind("", Depth::Zero).await?;
            dav.named("[file]")
                .put(&file, settings.content.clone())
                .await?;
            let link = Shares::new(dav.session()).link(&file).await?;
            Ok::<_, TaskError>(link)
        }
        .await;
        let link = match made {
            Ok(l) => l,
            Err(e) => {
                // on_stop runs only after a successful start: remove the account here.
                let _ = Ocs::new(&settings.admin.session(&client, &host)?)
                    .remove_user(&name)
                    .await;
                return Err(e);
            }
        };
        let token = link.token.clone().ok_or("the link came without a token")?;
        settings.peers().insert(
            index,
            Peer {
                account: name.clone(),
                token,
            },
        );
        Ok(Self {
            index,
            name,
            file,
            dav,
            link_id: link.id,
            user_share: None,
            settings,
        })
    }

    fn tasks(&self) -> Tasks<Self> {
        tasks![
            1 => Self::share_with_next,
            3 => Self::open_received,
            2 => Self::open_link,
        ]
    }

    fn wait_time(&self) -> Wait {
        self.settings.wait
    }

    async fn on_stop(&mut self, ctx: &mut Ctx) -> TaskResult {
        // Out of the registry first, so nobody picks this account or link again.
        self.settings.peers().remove(&self.index);
        let shares = Shares::new(self.dav.session());
        for id in self.user_share.iter().chain(std::iter::once(&self.link_id)) {
            shares.remove(id).await?;
        }
        self.dav.named("[file]").delete(&self.file).await?;
        let host = ctx.host().ok_or("no --host")?;
        let admin = self.settings.admin.session(&ctx.http_client()?, host)?;
        Ocs::new(&admin).remove_user(&self.name).await?;
        Ok(())
    }
}

impl Sharer {
    /// Shares the file with the next user once there is one; after that, lists own shares.
    async fn share_with_next(&mut self) -> TaskResult {
        let shares = Shares::new(self.dav.session());
        if self.user_share.is_some() {
            shares.list().await?;
            return Ok(());
        }
        let Some(next) = self.settings.next_after(self.index) else {
            return Ok(());
        };
        match shares.with_user(&self.file, &next).await {
            Ok(s) => self.user_share = Some(s.id),
            // The next user stopped between the pick and the share: try again later.
            Err(ShareError::UnknownUser) => {}
            Err(e) => return Err(e.into()),
        }
        Ok(())
    }

    /// Lists the shares received and downloads one of them through its mount point.
    async fn open_received(&mut self, ctx: &mut Ctx) -> TaskResult {
        let received = Shares::new(self.dav.session()).received().await?;
        let files: Vec<_> = received
            .iter()
            .filter(|s| s.share_type == ShareType::User && !s.is_folder())
            .collect();
        if files.is_empty() {
            return Ok(());
        }
        let pick = files[ctx.rng().random_range(0..files.len())];
        self.dav
            .named("[shared file]")
            .get(pick.path.trim_start_matches('/'))
            .await?;
        Ok(())
    }

    /// Downloads another user's file through its public link.
    async fn open_link(&mut self, ctx: &mut Ctx) -> TaskResult {
        let rng = ctx.rng();
        let Some(token) = self
            .settings
            .other_link(self.index, |n| rng.random_range(0..n))
        else {
            return Ok(());
        };
        let link = Dav::public_link(self.dav.session().fresh(), &token);
        link.named("[link]").get("").await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_user_wraps_around_and_is_never_yourself() {
        let s = Settings {
            admin: crate::Admin {
                user: "admin".into(),
                password: Secret::new("x"),
            },
            prefix_base: "p".into(),
            content: bytes::Bytes::new(),
            wait: Wait::constant(Duration::ZERO),
            peers: Mutex::default(),
        };
        assert_eq!(s.next_after(0), None);
        for i in [0, 2, 5] {
            s.peers().insert(
                i,
                Peer {
                    account: format!("u{i}"),
                    token: format!("t{i}"),
                },
            );
        }
        let cases = [(0, "u2"), (2, "u5"), (5, "u0"), (3, "u5"), (9, "u0")];
        for (me, want) in cases {
            assert_eq!(s.next_after(me).as_deref(), Some(want), "{me}");
        }
        assert_eq!(s.other_link(0, |n| n - 1).as_deref(), Some("t5"));
        s.peers().retain(|i, _| *i == 2);
        assert_eq!(s.next_after(2), None);
        assert_eq!(s.other_link(2, |_| 0), None);
    }
}
