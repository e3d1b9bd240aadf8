//! Where a WebDAV path lands. A user's view is their own tree plus the shares they received,
//! mounted in their root; a public link's view is the shared node. A [`Spot`] says whose
//! tree holds a path, under which key, and with which ownCloud permissions.

use std::sync::Arc;

use crate::paths;
use crate::shares::{self, ALL, CREATE, DELETE, SHARE, Share, UPDATE};
use crate::state::State;
use crate::store::{UserEntry, read};

/// Whose files a request sees, and how its hrefs are written.
#[derive(Debug, Clone)]
pub(crate) struct View {
    /// The authenticated user (favorites, received shares); `None` through a public link.
    pub(crate) me: Option<Arc<UserEntry>>,
    /// The tree the view's root is in: the user's own, or the link owner's.
    pub(crate) home: Arc<UserEntry>,
    /// `/remote.php/dav/files/alice`, `/remote.php/webdav` or `/public.php/webdav`.
    pub(crate) href_base: String,
    /// Other prefixes a `Destination` or `If` URL of this view may use.
    pub(crate) aliases: Vec<String>,
    /// The link this view serves.
    pub(crate) link: Option<Share>,
}

/// A path resolved in a view.
#[derive(Debug, Clone)]
pub(crate) struct Spot {
    /// Whose tree.
    pub(crate) owner: Arc<UserEntry>,
    /// The key in that tree.
    pub(crate) key: String,
    /// ownCloud permission bits that apply.
    pub(crate) perms: u8,
    /// The share the path goes through, if any.
    pub(crate) share: Option<Share>,
    /// The tree key the view's `view_root` stands for (the shared node; `""` for the own home).
    pub(crate) tree_root: String,
    /// The view key of that root (the mount name; `""` for the home or a link).
    pub(crate) view_root: String,
}

fn join(a: &str, b: &str) -> String {
    match (a.is_empty(), b.is_empty()) {
        (true, _) => b.to_owned(),
        (_, true) => a.to_owned(),
        _ => format!("{a}/{b}"),
    }
}

impl Spot {
    /// The view key of a tree key at or below this spot's root.
    pub(crate) fn view_key(&self, tree_key: &str) -> String {
        let rel = tree_key
            .strip_prefix(self.tree_root.as_str())
            .unwrap_or(tree_key)
            .trim_start_matches('/');
        join(&self.view_root, rel)
    }

    /// True for the root of a received share (its mount point).
    pub(crate) fn is_mount_root(&self) -> bool {
        self.share.is_some() && self.key == self.tree_root && !self.view_root.is_empty()
    }

    /// True for a link's own root.
    pub(crate) fn is_link_root(&self) -> bool {
        self.share.is_some() && self.key == self.tree_root && self.view_root.is_empty()
    }

    /// `oc:permissions` for a node here, as ownCloud's `getDavPermissions` spells them.
    pub(crate) fn dav_permissions(&self, tree_key: &str, dir: bool) -> String {
        if self.share.is_none() {
            return if dir { "RDNVCK" } else { "RDNVW" }.to_owned();
        }
        let mount = !self.view_root.is_empty() && tree_key == self.tree_root;
        let mut p = String::from("S");
        if self.perms & SHARE != 0 {
            p.push('R');
        }
        if mount {
            p.push('M');
        }
        // A mount point can always be unshared (deleted) and renamed by its recipient.
        if mount || self.perms & DELETE != 0 {
            p.push('D');
        }
        if mount || self.perms & UPDATE != 0 {
            p.push_str("NV");
        }
        if dir {
            if self.perms & CREATE != 0 {
                p.push_str("CK");
            }
        } else if self.perms & UPDATE != 0 {
            p.push('W');
        }
        p
    }
}

impl View {
    /// The user's own view.
    pub(crate) fn user(me: Arc<UserEntry>, href_base: String, aliases: Vec<String>) -> Self {
        Self {
            home: me.clone(),
            me: Some(me),
            href_base,
            aliases,
            link: None,
        }
    }

    /// A public link's view.
    pub(crate) fn public(owner: Arc<UserEntry>, link: Share) -> Self {
        Self {
            me: None,
            home: owner,
            href_base: "/public.php/webdav".to_owned(),
            aliases: Vec::new(),
            link: Some(link),
        }
    }

    /// The view key of a URL path (already stripped of scheme and host) if it is in this view;
    /// `Some(Err)` when it is, but tries to climb out.
    pub(crate) fn key_of_url_path(&self, path: &str) -> Option<Result<String, paths::PathError>> {
        let path = path.split(['?', '#']).next().unwrap_or("");
        std::iter::once(&self.href_base)
            .chain(&self.aliases)
            .find_map(|base| {
                let rest = path.strip_prefix(base.as_str())?;
                (rest.is_empty() || rest.starts_with('/')).then_some(rest)
            })
            .map(|rest| paths::normalize(rest).map(std::borrow::Cow::into_owned))
    }

    /// Resolves a view key; `None` when it cannot exist (below a shared file, a gone share).
    pub(crate) fn resolve(&self, state: &State, vk: &str) -> Option<Spot> {
        if let Some(link) = &self.link {
            let root = shares::node_key(&self.home, link.fileid)?;
            let is_dir = read(&self.home.tree).get(&root).is_some_and(|n| n.is_dir());
            if !is_dir && !vk.is_empty() {
                return None;
            }
            return Some(Spot {
                owner: self.home.clone(),
                key: join(&root, vk),
                perms: link.permissions,
                share: Some(link.clone()),
                tree_root: root,
                view_root: String::new(),
            });
        }
        let own = || Spot {
            owner: self.home.clone(),
            key: vk.to_owned(),
            perms: ALL,
            share: None,
            tree_root: String::new(),
            view_root: String::new(),
        };
        let (first, rest) = vk.split_once('/').unwrap_or((vk, ""));
        if first.is_empty() || read(&self.home.tree).get(first).is_some() {
            return Some(own());
        }
        let Some(share) = state.shares.mounted(&self.home.id, first) else {
            return Some(own());
        };
        let owner = state.store.user(&share.owner)?;
        let root = shares::node_key(&owner, share.fileid)?;
        let is_dir = read(&owner.tree).get(&root).is_some_and(|n| n.is_dir());
        if !is_dir && !rest.is_empty() {
            return None;
        }
        Some(Spot {
            key: join(&root, rest),
            perms: share.permissions,
            share: Some(share),
            owner,
            tree_root: root,
            view_root: first.to_owned(),
        })
    }

    /// The shares mounted in this view's root (none for links), with their mount spots.
    pub(crate) fn mounts(&self, state: &State) -> Vec<Spot> {
        if self.link.is_some() {
            return Vec::new();
        }
        let uid = self.home.id.as_str();
        state
            .shares
            .filter(|s| s.share_with.as_deref() == Some(uid))
            .into_iter()
            .filter(|s| read(&self.home.tree).get(&s.target).is_none())
            .filter_map(|s| self.resolve(state, &s.target))
            .collect()
    }
}
