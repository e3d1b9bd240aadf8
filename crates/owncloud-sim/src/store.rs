//! Accounts and groups: who exists, their passwords and profiles, and their homes.

use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use crate::skeleton::HomeState;
use crate::tree::{Tree, TreeError};
use crate::uploads::Uploads;

/// Locks ignoring poison: a panicking request must not take the whole server down with it.
pub(crate) fn read<T>(l: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    l.read().unwrap_or_else(PoisonError::into_inner)
}

/// See [`read`].
pub(crate) fn write<T>(l: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    l.write().unwrap_or_else(PoisonError::into_inner)
}

/// See [`read`].
pub(crate) fn lock<T>(l: &Mutex<T>) -> MutexGuard<'_, T> {
    l.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The editable part of an account.
#[derive(Debug, Clone, Default)]
pub(crate) struct Profile {
    /// E-mail address, if set.
    pub(crate) email: Option<String>,
    /// Display name (defaults to the id).
    pub(crate) display_name: String,
}

/// One account and its home.
#[derive(Debug)]
pub(crate) struct UserEntry {
    /// The user id as created.
    pub(crate) id: String,
    password: String,
    /// Disabled users cannot log in.
    pub(crate) enabled: AtomicBool,
    /// Set on deletion so sessions still pointing here stop working at once.
    pub(crate) deleted: AtomicBool,
    /// E-mail and display name.
    pub(crate) profile: Mutex<Profile>,
    /// The files.
    pub(crate) tree: RwLock<Tree>,
    /// First-login state of the home.
    pub(crate) home: Arc<HomeState>,
    /// Chunked uploads in progress (memory only, like ownCloud's `uploads/` folder).
    pub(crate) uploads: Uploads,
    /// File ids this user marked as favorites (ownCloud keeps favorites per user).
    pub(crate) favorites: Mutex<std::collections::HashSet<u64>>,
}

impl UserEntry {
    /// True when `password` is this user's (constant work, like a hash compare).
    pub(crate) fn password_matches(&self, password: &str) -> bool {
        let (a, b) = (self.password.as_bytes(), password.as_bytes());
        a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
    }

    /// True when the user may act (exists and is enabled).
    pub(crate) fn active(&self) -> bool {
        self.enabled.load(Ordering::Relaxed) && !self.deleted.load(Ordering::Relaxed)
    }
}

/// Why a user could not be created; the message is ownCloud's.
#[derive(Debug)]
pub(crate) enum CreateError {
    /// The id is taken (case-insensitively, as ownCloud compares).
    Exists,
    /// A group in `groups[]` does not exist.
    NoGroup(String),
    /// ownCloud's validation refused id or password.
    Invalid(&'static str),
    /// The data directory could not be prepared.
    Io(std::io::Error),
}

/// Checks a new account the way ownCloud's user manager does, in its order.
pub(crate) fn validate_new_user(id: &str, password: &str) -> Result<(), &'static str> {
    if id
        .chars()
        .any(|c| !(c.is_ascii_alphanumeric() || " _.@-'".contains(c)))
    {
        return Err(
            "Only the following characters are allowed in a username: \"a-z\", \"A-Z\", \"0-9\", and \"_.@-'\"",
        );
    }
    if id.trim().is_empty() {
        return Err("A valid username must be provided");
    }
    if id.trim() != id {
        return Err("Username contains whitespace at the beginning or at the end");
    }
    if id == "." || id == ".." {
        return Err("Username must not consist of dots only");
    }
    if id.len() < 3 {
        return Err("The username must be at least 3 characters long");
    }
    if password.trim().is_empty() {
        return Err("A valid password must be provided");
    }
    Ok(())
}

fn key(id: &str) -> Cow<'_, str> {
    if id.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(id.to_ascii_lowercase())
    } else {
        Cow::Borrowed(id)
    }
}

/// All accounts and groups.
#[derive(Debug)]
pub(crate) struct Store {
    users: RwLock<HashMap<String, Arc<UserEntry>>>,
    groups: RwLock<BTreeMap<String, BTreeSet<String>>>,
    data_dir: Option<PathBuf>,
    /// The skeleton's manual, built once and shared by every home.
    manual: bytes::Bytes,
}

/// The group whose members are admins.
pub(crate) const ADMIN_GROUP: &str = "admin";

impl Store {
    /// An empty store (files in memory, or under `data_dir`) with the `admin` group; new
    /// homes get a manual of `manual_size` bytes.
    pub(crate) fn new(data_dir: Option<PathBuf>, manual_size: usize) -> Self {
        let mut groups = BTreeMap::new();
        groups.insert(ADMIN_GROUP.to_owned(), BTreeSet::new());
        Self {
            users: RwLock::new(HashMap::new()),
            groups: RwLock::new(groups),
            data_dir,
            manual: crate::skeleton::manual_pdf(manual_size),
        }
    }

    /// The skeleton's manual PDF.
    pub(crate) fn manual(&self) -> &bytes::Bytes {
        &self.manual
    }

    /// Looks a user up by id (case-insensitively, as ownCloud logins are).
    pub(crate) fn user(&self, id: &str) -> Option<Arc<UserEntry>> {
        read(&self.users).get(key(id).as_ref()).cloned()
    }

    /// All user ids, sorted.
    pub(crate) fn user_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = read(&self.users).values().map(|u| u.id.clone()).collect();
        ids.sort_by_key(|a| a.to_lowercase());
        ids
    }

    /// All users, for searching.
    pub(crate) fn users(&self) -> Vec<Arc<UserEntry>> {
        read(&self.users).values().cloned().collect()
    }

    /// Creates an account; `ready_home` skips the first-login copy (fills the skeleton now).
    pub(crate) fn create_user(
        &self,
        id: &str,
        password: &str,
        profile: Profile,
        groups: &[String],
        ready_home: bool,
    ) -> Result<Arc<UserEntry>, CreateError> {
        if self.user(id).is_some() {
            return Err(CreateError::Exists);
        }
        {
            let g = read(&self.groups);
            if let Some(missing) = groups.iter().find(|gid| !g.contains_key(gid.as_str())) {
                return Err(CreateError::NoGroup(missing.clone()));
            }
        }
        validate_new_user(id, password).map_err(CreateError::Invalid)?;
        let disk = match &self.data_dir {
            Some(d) => {
                let home = d.join(id);
                match std::fs::remove_dir_all(&home) {
                    Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                        return Err(CreateError::Io(e));
                    }
                    _ => {}
                }
                Some(home.join("files"))
            }
            None => None,
        };
        let mut tree = Tree::new(disk).map_err(CreateError::Io)?;
        let home = if ready_home {
            crate::skeleton::fill(&mut tree, &self.manual).map_err(|e| match e {
                TreeError::Io(e) => CreateError::Io(e),
                other => CreateError::Io(std::io::Error::other(format!("{other:?}"))),
            })?;
            HomeState::ready()
        } else {
            HomeState::default()
        };
        let mut profile = profile;
        if profile.display_name.is_empty() {
            profile.display_name = id.to_owned();
        }
        let entry = Arc::new(UserEntry {
            id: id.to_owned(),
            password: password.to_owned(),
            enabled: AtomicBool::new(true),
            deleted: AtomicBool::new(false),
            profile: Mutex::new(profile),
            tree: RwLock::new(tree),
            home: Arc::new(home),
            uploads: Uploads::new(),
            favorites: Mutex::default(),
        });
        {
            let mut users = write(&self.users);
            let k = key(id).into_owned();
            if users.contains_key(&k) {
                return Err(CreateError::Exists);
            }
            users.insert(k, entry.clone());
        }
        let mut g = write(&self.groups);
        for gid in groups {
            if let Some(members) = g.get_mut(gid) {
                members.insert(id.to_owned());
            }
        }
        Ok(entry)
    }

    /// Deletes an account, its memberships and its home; false if there was none.
    pub(crate) fn delete_user(&self, id: &str) -> bool {
        let Some(entry) = write(&self.users).remove(key(id).as_ref()) else {
            return false;
        };
        entry.deleted.store(true, Ordering::Relaxed);
        for members in write(&self.groups).values_mut() {
            members.remove(&entry.id);
        }
        if let Some(d) = &self.data_dir {
            let _ = std::fs::remove_dir_all(d.join(&entry.id));
        }
        true
    }

    /// True when the user is in the `admin` group.
    pub(crate) fn is_admin(&self, user: &UserEntry) -> bool {
        read(&self.groups)
            .get(ADMIN_GROUP)
            .is_some_and(|m| m.contains(&user.id))
    }

    /// Group ids, sorted, optionally filtered by a case-insensitive substring.
    pub(crate) fn group_ids(&self, search: &str) -> Vec<String> {
        let needle = search.to_lowercase();
        read(&self.groups)
            .keys()
            .filter(|g| g.to_lowercase().contains(&needle))
            .cloned()
            .collect()
    }

    /// Members of a group, or `None` if it does not exist.
    pub(crate) fn group_members(&self, gid: &str) -> Option<Vec<String>> {
        read(&self.groups)
            .get(gid)
            .map(|m| m.iter().cloned().collect())
    }

    /// Groups a user belongs to.
    pub(crate) fn groups_of(&self, uid: &str) -> Vec<String> {
        read(&self.groups)
            .iter()
            .filter(|(_, m)| m.contains(uid))
            .map(|(g, _)| g.clone())
            .collect()
    }

    /// Creates a group; false if it exists.
    pub(crate) fn create_group(&self, gid: &str) -> bool {
        let mut g = write(&self.groups);
        if g.contains_key(gid) {
            return false;
        }
        g.insert(gid.to_owned(), BTreeSet::new());
        true
    }

    /// Deletes a group; false if it does not exist.
    pub(crate) fn delete_group(&self, gid: &str) -> bool {
        write(&self.groups).remove(gid).is_some()
    }

    /// Adds or removes a member; false if the group does not exist.
    pub(crate) fn set_member(&self, gid: &str, uid: &str, member: bool) -> bool {
        let mut g = write(&self.groups);
        let Some(m) = g.get_mut(gid) else {
            return false;
        };
        if member {
            m.insert(uid.to_owned());
        } else {
            m.remove(uid);
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validation_messages() {
        assert!(validate_new_user("alice", "pw").is_ok());
        assert_eq!(
            validate_new_user("ab", "pw"),
            Err("The username must be at least 3 characters long")
        );
        assert_eq!(
            validate_new_user("alice", " "),
            Err("A valid password must be provided")
        );
        assert!(validate_new_user("a/b/c", "pw").is_err());
        assert!(validate_new_user("..", "pw").is_err());
    }

    #[test]
    fn users_and_groups() {
        let s = Store::new(None, 0);
        let a = s
            .create_user("Alice", "pw", Profile::default(), &[], false)
            .unwrap();
        assert!(matches!(
            s.create_user("alice", "pw", Profile::default(), &[], false),
            Err(CreateError::Exists)
        ));
        assert!(s.user("ALICE").is_some());
        assert!(!s.is_admin(&a));
        assert!(s.set_member(ADMIN_GROUP, "Alice", true));
        assert!(s.is_admin(&a));
        assert!(s.delete_user("alice"));
        assert!(a.deleted.load(Ordering::Relaxed));
        assert!(s.group_members(ADMIN_GROUP).unwrap().is_empty());
    }
}
