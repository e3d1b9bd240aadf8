//! Sharing: ownCloud's `files_sharing` OCS API (`/apps/files_sharing/api/v1/shares`) for user
//! shares and public links of files and folders, with the checks and messages of ownCloud's
//! `Share20OcsController` and share manager.
//!
//! A share points at its node by file id, so it follows the node across moves and vanishes
//! from listings when the node is deleted. A user share is mounted in the recipient's home
//! root under its target name; a link is served by `/public.php/webdav/` by token.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use http::Method;
use serde_json::{Value, json};

use crate::envelope::OcsResult;
use crate::ocs::Params;
use crate::paths;
use crate::session::random_string;
use crate::state::State;
use crate::store::{UserEntry, lock, read};
use crate::tree::now_secs;

/// ownCloud's permission bits.
pub(crate) const READ: u8 = 1;
/// May change files.
pub(crate) const UPDATE: u8 = 2;
/// May create files and folders.
pub(crate) const CREATE: u8 = 4;
/// May delete.
pub(crate) const DELETE: u8 = 8;
/// May reshare.
pub(crate) const SHARE: u8 = 16;
/// Everything.
pub(crate) const ALL: u8 = 31;

/// `shareType` 0.
pub(crate) const TYPE_USER: u8 = 0;
/// `shareType` 3.
pub(crate) const TYPE_LINK: u8 = 3;

/// Characters of a link token (ownCloud's: 15 of upper, lower and digits).
const TOKEN_CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// One share.
#[derive(Debug, Clone)]
pub(crate) struct Share {
    /// Share id.
    pub(crate) id: u64,
    /// [`TYPE_USER`] or [`TYPE_LINK`].
    pub(crate) share_type: u8,
    /// The sharer, who owns the file (the simulator has no reshares).
    pub(crate) owner: String,
    /// The shared node's file id.
    pub(crate) fileid: u64,
    /// The recipient of a user share.
    pub(crate) share_with: Option<String>,
    /// Permission bits.
    pub(crate) permissions: u8,
    /// A link's token.
    pub(crate) token: Option<String>,
    /// A link's name.
    pub(crate) name: Option<String>,
    /// Seconds since the epoch when shared.
    pub(crate) stime: u64,
    /// Where a user share is mounted in the recipient's root (a single name).
    pub(crate) target: String,
}

/// All shares of a server.
#[derive(Debug, Default)]
pub(crate) struct Shares {
    inner: Mutex<Table>,
}

#[derive(Debug, Default)]
struct Table {
    next: u64,
    by_id: BTreeMap<u64, Share>,
}

impl Shares {
    /// The share with this id.
    pub(crate) fn get(&self, id: u64) -> Option<Share> {
        lock(&self.inner).by_id.get(&id).cloned()
    }

    /// Shares matching `keep`, in id order.
    pub(crate) fn filter(&self, keep: impl Fn(&Share) -> bool) -> Vec<Share> {
        lock(&self.inner)
            .by_id
            .values()
            .filter(|s| keep(s))
            .cloned()
            .collect()
    }

    /// The user share mounted as `name` in `uid`'s root.
    pub(crate) fn mounted(&self, uid: &str, name: &str) -> Option<Share> {
        lock(&self.inner)
            .by_id
            .values()
            .find(|s| s.share_with.as_deref() == Some(uid) && s.target == name)
            .cloned()
    }

    /// The link with this token.
    pub(crate) fn by_token(&self, token: &str) -> Option<Share> {
        lock(&self.inner)
            .by_id
            .values()
            .find(|s| s.token.as_deref() == Some(token))
            .cloned()
    }

    /// Share types present on a node of `owner` (for `oc:share-types`), sorted, unique.
    pub(crate) fn types_on(&self, owner: &str, fileid: u64) -> Vec<u8> {
        let mut t: Vec<u8> = lock(&self.inner)
            .by_id
            .values()
            .filter(|s| s.owner == owner && s.fileid == fileid)
            .map(|s| s.share_type)
            .collect();
        t.sort_unstable();
        t.dedup();
        t
    }

    fn insert(&self, mut share: Share) -> Share {
        let mut t = lock(&self.inner);
        t.next += 1;
        share.id = t.next;
        t.by_id.insert(share.id, share.clone());
        share
    }

    fn set_permissions(&self, id: u64, permissions: u8) -> Option<Share> {
        let mut t = lock(&self.inner);
        let s = t.by_id.get_mut(&id)?;
        s.permissions = permissions;
        Some(s.clone())
    }

    /// Moves a user share's mount point in its recipient's root (a rename by the recipient).
    pub(crate) fn set_target(&self, id: u64, target: &str) -> bool {
        let mut t = lock(&self.inner);
        match t.by_id.get_mut(&id) {
            Some(s) => {
                s.target = target.to_owned();
                true
            }
            None => false,
        }
    }

    /// Deletes a share; false when there was none.
    pub(crate) fn remove(&self, id: u64) -> bool {
        lock(&self.inner).by_id.remove(&id).is_some()
    }

    /// Drops every share a deleted user made or received.
    pub(crate) fn forget_user(&self, uid: &str) {
        lock(&self.inner)
            .by_id
            .retain(|_, s| s.owner != uid && s.share_with.as_deref() != Some(uid));
    }
}

/// `name (2).ext`: ownCloud's way of making a mount name unique.
fn numbered(name: &str, n: u32, folder: bool) -> String {
    match name
        .rsplit_once('.')
        .filter(|(stem, _)| !folder && !stem.is_empty())
    {
        Some((stem, ext)) => format!("{stem} ({n}).{ext}"),
        None => format!("{name} ({n})"),
    }
}

/// The node a share points at: its key in the owner's tree, if it still exists.
pub(crate) fn node_key(owner: &UserEntry, fileid: u64) -> Option<String> {
    read(&owner.tree).key_of(fileid).map(str::to_owned)
}

fn param_u8(params: &Params, name: &str) -> Result<Option<i64>, ()> {
    match params.get(name) {
        None | Some("") => Ok(None),
        Some(v) => v.trim().parse::<i64>().map(Some).map_err(|_| ()),
    }
}

/// Runs one `files_sharing` call; `rest` is the path after `/shares`.
pub(crate) fn handle(
    state: &State,
    method: &Method,
    rest: &[&str],
    params: &Params,
    me: &Arc<UserEntry>,
) -> OcsResult {
    match (method, rest) {
        (&Method::POST, []) => create(state, params, me),
        (&Method::GET, []) => list(state, params, me),
        (m, [id]) => {
            let Some(share) = id.parse().ok().and_then(|id| state.shares.get(id)) else {
                return wrong_id();
            };
            match *m {
                Method::GET => get(state, &share, me),
                Method::PUT => update(state, &share, params, me),
                Method::DELETE => delete(state, &share, me),
                _ => OcsResult::fail(
                    404,
                    Some(
                        "Invalid query, please check the syntax. API specifications are here: http://www.freedesktop.org/wiki/Specifications/open-collaboration-services.",
                    ),
                ),
            }
        }
        _ => OcsResult::fail(
            404,
            Some(
                "Invalid query, please check the syntax. API specifications are here: http://www.freedesktop.org/wiki/Specifications/open-collaboration-services.",
            ),
        ),
    }
}

fn wrong_id() -> OcsResult {
    OcsResult::fail(404, Some("Wrong share ID, share doesn't exist"))
}

fn create(state: &State, params: &Params, me: &Arc<UserEntry>) -> OcsResult {
    let Some(raw_path) = params.get("path") else {
        return OcsResult::fail(404, Some("Please specify a file or folder path"));
    };
    let wrong_path = || OcsResult::fail(404, Some("Wrong path, file/folder doesn't exist"));
    let Ok(key) = paths::normalize(raw_path.trim()) else {
        return wrong_path();
    };
    let (fileid, folder) = {
        let tree = read(&me.tree);
        match tree.get(&key) {
            Some(n) => (n.fileid, n.is_dir()),
            None => return wrong_path(),
        }
    };
    let share_type = params
        .get("shareType")
        .and_then(|t| t.trim().parse::<i64>().ok())
        .unwrap_or(-1);
    let Ok(asked) = param_u8(params, "permissions") else {
        return OcsResult::fail(400, Some("invalid permissions"));
    };
    if key.is_empty() {
        return OcsResult::fail(403, Some("You can't share your root folder"));
    }
    let base = Share {
        id: 0,
        share_type: 0,
        owner: me.id.clone(),
        fileid,
        share_with: None,
        permissions: READ,
        token: None,
        name: None,
        stime: now_secs(),
        target: paths::basename(&key).to_owned(),
    };
    let share = match share_type {
        0 => {
            let recipient = params
                .get("shareWith")
                .and_then(|w| state.store.user(w))
                .filter(|u| u.active());
            let Some(recipient) = recipient else {
                return OcsResult::fail(404, Some("Please specify a valid user"));
            };
            if Arc::ptr_eq(&recipient, me) {
                return OcsResult::fail(403, Some("Can't share with yourself"));
            }
            let permissions = match asked {
                // A file can neither hold new files nor lose its children.
                None if !folder => ALL & !(CREATE | DELETE),
                None => ALL,
                Some(p) if !(0..=i64::from(ALL)).contains(&p) => {
                    return OcsResult::fail(400, Some("invalid permissions"));
                }
                Some(p) => p as u8,
            };
            if let Err(e) = check_permissions(permissions, folder) {
                return e;
            }
            let taken = state.shares.filter(|s| {
                s.fileid == fileid && s.share_with.as_deref() == Some(recipient.id.as_str())
            });
            if !taken.is_empty() {
                return OcsResult::fail(403, Some("Path already shared with this user"));
            }
            let target = mount_name(state, &recipient, &base.target, folder);
            Share {
                share_type: TYPE_USER,
                share_with: Some(recipient.id.clone()),
                permissions,
                target,
                ..base
            }
        }
        3 => {
            let public_upload = params.get("publicUpload") == Some("true");
            let wants_upload = public_upload || asked == Some(i64::from(CREATE));
            if wants_upload && !folder {
                return OcsResult::fail(
                    404,
                    Some("Public upload is only possible for publicly shared folders"),
                );
            }
            let permissions = if public_upload {
                READ | CREATE | UPDATE | DELETE
            } else {
                match asked {
                    Some(p) if link_permissions_ok(p) => p as u8,
                    _ => READ,
                }
            };
            Share {
                share_type: TYPE_LINK,
                permissions,
                token: Some(random_string(15, TOKEN_CHARS)),
                name: params.get("name").map(str::to_owned),
                ..base
            }
        }
        1 => {
            let group = params.get("shareWith").unwrap_or("");
            if state.store.group_members(group).is_none() {
                return OcsResult::fail(404, Some("Please specify a valid group"));
            }
            // Not ownCloud's answer: group shares are outside what the simulator models.
            return OcsResult::fail(403, Some("Group shares are not simulated by owncloud-sim"));
        }
        _ => return OcsResult::fail(400, Some("Unknown share type")),
    };
    let share = state.shares.insert(share);
    match format(state, &share, me, false) {
        Some(v) => OcsResult::ok(v),
        None => wrong_path(),
    }
}

fn link_permissions_ok(p: i64) -> bool {
    let (r, c, u, d) = (
        i64::from(READ),
        i64::from(CREATE),
        i64::from(UPDATE),
        i64::from(DELETE),
    );
    [r, c, r | c, r | c | u, r | c | u | d].contains(&p)
}

/// The share manager's general checks, in its order and with its messages.
fn check_permissions(p: u8, folder: bool) -> Result<(), OcsResult> {
    if p & READ == 0 {
        return Err(OcsResult::fail(
            403,
            Some("Shares need at least read permissions"),
        ));
    }
    if !folder && p & DELETE != 0 {
        return Err(OcsResult::fail(
            403,
            Some("Files can't be shared with delete permissions"),
        ));
    }
    if !folder && p & CREATE != 0 {
        return Err(OcsResult::fail(
            403,
            Some("Files can't be shared with create permissions"),
        ));
    }
    Ok(())
}

/// A name in the recipient's root that neither a file of theirs nor another mount uses.
fn mount_name(state: &State, recipient: &UserEntry, name: &str, folder: bool) -> String {
    let taken = |candidate: &str| {
        read(&recipient.tree).get(candidate).is_some()
            || state.shares.mounted(&recipient.id, candidate).is_some()
    };
    if !taken(name) {
        return name.to_owned();
    }
    (2..)
        .map(|n| numbered(name, n, folder))
        .find(|c| !taken(c))
        .unwrap_or_else(|| name.to_owned())
}

fn list(state: &State, params: &Params, me: &Arc<UserEntry>) -> OcsResult {
    let received = params.get("shared_with_me") == Some("true");
    let node = match params.get("path") {
        Some(p) => {
            let key = paths::normalize(p.trim()).unwrap_or_default();
            match read(&me.tree).get(&key) {
                Some(n) => Some(n.fileid),
                None => {
                    return OcsResult::fail(404, Some("Wrong path, file/folder doesn't exist"));
                }
            }
        }
        None => None,
    };
    let types: Option<Vec<u8>> = params
        .get("share_types")
        .filter(|t| !t.is_empty())
        .map(|t| t.split(',').filter_map(|x| x.trim().parse().ok()).collect());
    let shares = state.shares.filter(|s| {
        let mine = if received {
            s.share_with.as_deref() == Some(me.id.as_str())
        } else {
            s.owner == me.id && node.is_none_or(|f| s.fileid == f)
        };
        mine && types.as_ref().is_none_or(|t| t.contains(&s.share_type))
    });
    let items: Vec<Value> = shares
        .iter()
        .filter_map(|s| format(state, s, me, received))
        .collect();
    OcsResult::ok(Value::Array(items))
}

fn can_access(share: &Share, me: &UserEntry) -> bool {
    share.owner == me.id || share.share_with.as_deref() == Some(me.id.as_str())
}

fn get(state: &State, share: &Share, me: &Arc<UserEntry>) -> OcsResult {
    if !can_access(share, me) {
        return wrong_id();
    }
    let received = share.owner != me.id;
    match format(state, share, me, received) {
        Some(v) => OcsResult::ok(Value::Array(vec![v])),
        None => wrong_id(),
    }
}

fn update(state: &State, share: &Share, params: &Params, me: &Arc<UserEntry>) -> OcsResult {
    if share.owner != me.id {
        return OcsResult::fail(404, Some("Could not update share"));
    }
    let Ok(asked) = param_u8(params, "permissions") else {
        return OcsResult::fail(400, Some("invalid permissions"));
    };
    let folder = state
        .store
        .user(&share.owner)
        .and_then(|o| node_key(&o, share.fileid).map(|k| (o, k)))
        .is_some_and(|(o, k)| read(&o.tree).get(&k).is_some_and(|n| n.is_dir()));
    let updated = if share.share_type == TYPE_LINK {
        let public_upload = params.get("publicUpload");
        if asked.is_none() && public_upload.is_none() && params.get("name").is_none() {
            return OcsResult::fail(400, Some("Wrong or no update parameter given"));
        }
        let wanted = match (asked, public_upload) {
            (Some(p), _) => Some(p),
            (None, Some("true")) => Some(i64::from(READ | CREATE | UPDATE | DELETE)),
            (None, Some("false")) => Some(i64::from(READ)),
            _ => None,
        };
        match wanted {
            Some(p) if !link_permissions_ok(p) => {
                return OcsResult::fail(
                    400,
                    Some("Can't change permissions for public share links"),
                );
            }
            Some(p) if p != i64::from(READ) && !folder => {
                return OcsResult::fail(
                    400,
                    Some("Public upload is only possible for publicly shared folders"),
                );
            }
            Some(p) => state.shares.set_permissions(share.id, p as u8),
            None => Some(share.clone()),
        }
    } else {
        match asked {
            Some(p) if !(0..=i64::from(ALL)).contains(&p) => {
                return OcsResult::fail(400, Some("invalid permissions"));
            }
            Some(p) => {
                if let Err(mut e) = check_permissions(p as u8, folder) {
                    // updateShare answers the manager's refusals with 400.
                    e.code = 400;
                    return e;
                }
                state.shares.set_permissions(share.id, p as u8)
            }
            None => Some(share.clone()),
        }
    };
    match updated.and_then(|s| format(state, &s, me, false)) {
        Some(v) => OcsResult::ok(v),
        None => wrong_id(),
    }
}

fn delete(state: &State, share: &Share, me: &Arc<UserEntry>) -> OcsResult {
    if share.owner != me.id {
        return OcsResult::fail(404, Some("Could not delete share"));
    }
    state.shares.remove(share.id);
    OcsResult::ok_empty()
}

/// A share as `formatShare` writes it, seen by `me` (its owner, or its recipient when
/// `received`); `None` once its node is gone.
pub(crate) fn format(state: &State, s: &Share, me: &UserEntry, received: bool) -> Option<Value> {
    let owner = state.store.user(&s.owner)?;
    let key = node_key(&owner, s.fileid)?;
    let (mime, folder, parent_id) = {
        let tree = read(&owner.tree);
        let node = tree.get(&key)?;
        let parent = paths::parent(&key)
            .and_then(|p| tree.get(p))
            .map_or(0, |n| n.fileid);
        (node.mime, node.is_dir(), parent)
    };
    let display = |u: &UserEntry| lock(&u.profile).display_name.clone();
    let owner_name = display(&owner);
    let path = if received && s.owner != me.id {
        format!("/{}", s.target)
    } else {
        format!("/{key}")
    };
    let mut v = json!({
        "id": s.id.to_string(),
        "share_type": s.share_type,
        "uid_owner": s.owner,
        "displayname_owner": owner_name,
        "permissions": s.permissions,
        "stime": s.stime,
        "parent": null,
        "expiration": null,
        "token": s.token,
        "uid_file_owner": s.owner,
        "displayname_file_owner": owner_name,
        "additional_info_owner": null,
        "additional_info_file_owner": null,
        "path": path,
        "item_type": if folder { "folder" } else { "file" },
        "mimetype": mime,
        "storage_id": format!("home::{}", s.owner),
        "storage": 1,
        "item_source": s.fileid,
        "file_source": s.fileid,
        "file_parent": parent_id,
        "file_target": format!("/{}", s.target),
    });
    if let Some(map) = v.as_object_mut() {
        if received {
            map.insert("state".into(), json!(0));
        }
        match s.share_type {
            TYPE_USER => {
                let with = s.share_with.clone().unwrap_or_default();
                let with_name = state
                    .store
                    .user(&with)
                    .map_or(with.clone(), |u| display(&u));
                map.insert("share_with".into(), json!(with));
                map.insert("share_with_displayname".into(), json!(with_name));
                map.insert("share_with_additional_info".into(), Value::Null);
            }
            _ => {
                map.insert("name".into(), json!(s.name.clone().unwrap_or_default()));
                if let Some(t) = &s.token {
                    map.insert(
                        "url".into(),
                        json!(format!("{}/index.php/s/{t}", state.base_url)),
                    );
                }
            }
        }
        map.insert("mail_send".into(), json!(0));
        map.insert("attributes".into(), Value::Null);
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mount_names_number_like_owncloud() {
        let cases = [
            ("a.txt", 2, false, "a (2).txt"),
            ("archive.tar.gz", 3, false, "archive.tar (3).gz"),
            ("Photos", 2, true, "Photos (2)"),
            ("v1.0", 2, true, "v1.0 (2)"),
            (".hidden", 2, false, ".hidden (2)"),
        ];
        for (name, n, folder, want) in cases {
            assert_eq!(numbered(name, n, folder), want, "{name}");
        }
    }

    #[test]
    fn link_permissions() {
        for (p, ok) in [
            (1, true),
            (4, true),
            (5, true),
            (7, true),
            (15, true),
            (3, false),
            (31, false),
        ] {
            assert_eq!(link_permissions_ok(p), ok, "{p}");
        }
    }
}
