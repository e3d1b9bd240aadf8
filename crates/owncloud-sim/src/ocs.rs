//! OCS provisioning (users and groups), with ownCloud 10's checks, codes and messages.

use std::sync::Arc;

use http::Method;
use percent_encoding::percent_decode_str;
use serde_json::{Value, json};

use crate::envelope::OcsResult;
use crate::state::State;
use crate::store::{ADMIN_GROUP, CreateError, Profile, UserEntry, lock};

/// Request parameters: query string and body merged, body last (PHP's `$_REQUEST` feel).
#[derive(Debug, Default)]
pub(crate) struct Params(Vec<(String, String)>);

fn decode_form_part(s: &str) -> String {
    let plus = s.replace('+', " ");
    percent_decode_str(&plus).decode_utf8_lossy().into_owned()
}

impl Params {
    /// Reads `application/x-www-form-urlencoded` pairs from `text` into the list.
    pub(crate) fn add_form(&mut self, text: &str) {
        for pair in text.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            self.0.push((decode_form_part(k), decode_form_part(v)));
        }
    }

    /// Reads a JSON object body (strings, numbers and arrays of them).
    pub(crate) fn add_json(&mut self, body: &[u8]) {
        let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
            return;
        };
        for (k, v) in map {
            let text = |v: &Value| match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            match &v {
                Value::Array(items) => {
                    for item in items {
                        self.0.push((format!("{k}[]"), text(item)));
                    }
                }
                other => self.0.push((k.clone(), text(other))),
            }
        }
    }

    /// The last value of `name` (body wins over query).
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// All values of an array parameter (`name[]=a&name[]=b` or `name[0]=a`).
    pub(crate) fn list(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| {
                k.strip_prefix(name)
                    .is_some_and(|r| r.starts_with('[') && r.ends_with(']'))
            })
            .map(|(_, v)| v.clone())
            .collect()
    }
}

const INVALID_QUERY: &str = "Invalid query, please check the syntax. API specifications are here: http://www.freedesktop.org/wiki/Specifications/open-collaboration-services.";

fn segment(s: &str) -> String {
    percent_decode_str(s).decode_utf8_lossy().into_owned()
}

/// Runs one provisioning call as `me` (already authenticated).
pub(crate) fn handle(
    state: &State,
    method: &Method,
    rest: &str,
    params: &Params,
    me: &Arc<UserEntry>,
) -> OcsResult {
    let segs: Vec<&str> = rest.trim_matches('/').split('/').collect();
    let admin = state.store.is_admin(me);
    match (method, segs.as_slice()) {
        (_, ["apps", "files_sharing", "api", "v1", "shares", rest @ ..]) => {
            crate::shares::handle(state, method, rest, params, me)
        }
        (&Method::GET, ["cloud", "user"]) => current_user(me),
        (&Method::GET, ["cloud", "capabilities"]) => capabilities(),
        (&Method::GET, ["cloud", "users"]) if admin => list_users(state, params),
        (&Method::POST, ["cloud", "users"]) if admin => create_user(state, params),
        (&Method::GET, ["cloud", "users", id]) => get_user(state, me, admin, &segment(id)),
        (&Method::DELETE, ["cloud", "users", id]) if admin => delete_user(state, me, &segment(id)),
        (&Method::PUT, ["cloud", "users", id, action @ ("enable" | "disable")]) if admin => {
            set_enabled(state, me, &segment(id), *action == "enable")
        }
        (&Method::GET, ["cloud", "users", id, "groups"]) => {
            user_groups(state, me, admin, &segment(id))
        }
        (&Method::POST, ["cloud", "users", id, "groups"]) => {
            membership(state, me, admin, &segment(id), params, true)
        }
        (&Method::DELETE, ["cloud", "users", id, "groups"]) => {
            membership(state, me, admin, &segment(id), params, false)
        }
        (&Method::GET, ["cloud", "groups"]) if admin => {
            let search = params.get("search").unwrap_or("");
            let groups = page(state.store.group_ids(search), params);
            OcsResult::ok(json!({ "groups": groups }))
        }
        (&Method::POST, ["cloud", "groups"]) if admin => {
            let gid = params.get("groupid").unwrap_or("");
            if gid.is_empty() {
                OcsResult::fail(101, Some("Invalid group name"))
            } else if !state.store.create_group(gid) {
                OcsResult::fail(102, None)
            } else {
                OcsResult::ok_empty()
            }
        }
        (&Method::GET, ["cloud", "groups", gid]) if admin => {
            match state.store.group_members(&segment(gid)) {
                Some(users) => OcsResult::ok(json!({ "users": users })),
                None => OcsResult::fail(998, Some("The requested group could not be found")),
            }
        }
        (&Method::DELETE, ["cloud", "groups", gid]) if admin => {
            let gid = segment(gid);
            if gid == ADMIN_GROUP || !state.store.delete_group(&gid) {
                OcsResult::fail(101, None)
            } else {
                OcsResult::ok_empty()
            }
        }
        (
            &Method::GET | &Method::POST | &Method::DELETE | &Method::PUT,
            ["cloud", "users" | "groups", ..],
        ) => OcsResult::unauthorised(),
        _ => OcsResult::fail(998, Some(INVALID_QUERY)),
    }
}

fn page(items: Vec<String>, params: &Params) -> Vec<String> {
    let offset: usize = params
        .get("offset")
        .and_then(|o| o.parse().ok())
        .unwrap_or(0);
    let limit: Option<usize> = params
        .get("limit")
        .and_then(|l| l.parse().ok())
        .filter(|l| *l > 0);
    items
        .into_iter()
        .skip(offset)
        .take(limit.unwrap_or(usize::MAX))
        .collect()
}

fn list_users(state: &State, params: &Params) -> OcsResult {
    let needle = params.get("search").unwrap_or("").to_lowercase();
    let mut ids: Vec<String> = state
        .store
        .users()
        .into_iter()
        .filter(|u| {
            needle.is_empty()
                || u.id.to_lowercase().contains(&needle)
                || lock(&u.profile)
                    .display_name
                    .to_lowercase()
                    .contains(&needle)
        })
        .map(|u| u.id.clone())
        .collect();
    ids.sort_by_key(|a| a.to_lowercase());
    OcsResult::ok(json!({ "users": page(ids, params) }))
}

fn create_user(state: &State, params: &Params) -> OcsResult {
    let id = params.get("userid").unwrap_or("");
    let password = params.get("password").unwrap_or("");
    let profile = Profile {
        email: params
            .get("email")
            .filter(|e| !e.is_empty())
            .map(str::to_owned),
        display_name: params.get("displayName").unwrap_or("").to_owned(),
    };
    let groups = params.list("groups");
    match state
        .store
        .create_user(id, password, profile, &groups, false)
    {
        Ok(_) => OcsResult::ok_empty(),
        Err(CreateError::Exists) => OcsResult::fail(102, Some("User already exists")),
        Err(CreateError::NoGroup(g)) => {
            OcsResult::fail(104, Some(&format!("group {g} does not exist")))
        }
        Err(CreateError::Invalid(msg)) => OcsResult::fail(101, Some(msg)),
        Err(CreateError::Io(e)) => {
            tracing::warn!("creating home of {id}: {e}");
            OcsResult::fail(996, Some("Bad request"))
        }
    }
}

fn user_data(state: &State, u: &UserEntry) -> Value {
    let profile = lock(&u.profile).clone();
    let used = crate::store::read(&u.tree).size("");
    json!({
        "id": u.id,
        "enabled": if u.enabled.load(std::sync::atomic::Ordering::Relaxed) { "true" } else { "false" },
        "quota": {
            "free": 10_737_418_240_u64.saturating_sub(used),
            "used": used,
            "total": 10_737_418_240_u64,
            "relative": 0,
            "definition": "default",
        },
        "email": profile.email,
        "displayname": profile.display_name,
        "home": format!("/var/www/owncloud/data/{}", u.id),
        "two_factor_auth_enabled": "false",
        "groups": state.store.groups_of(&u.id),
    })
}

fn get_user(state: &State, me: &Arc<UserEntry>, admin: bool, id: &str) -> OcsResult {
    let target = state.store.user(id);
    let is_me = target.as_ref().is_some_and(|t| Arc::ptr_eq(t, me));
    if !admin && !is_me {
        return OcsResult::unauthorised();
    }
    match target {
        Some(t) => OcsResult::ok(user_data(state, &t)),
        None => OcsResult::fail(998, Some("The requested user could not be found")),
    }
}

fn current_user(me: &UserEntry) -> OcsResult {
    let profile = lock(&me.profile).clone();
    OcsResult::ok(json!({
        "id": me.id,
        "display-name": profile.display_name,
        "email": profile.email,
    }))
}

fn capabilities() -> OcsResult {
    OcsResult::ok(json!({
        "version": {
            "major": 10, "minor": 14, "micro": 0,
            "string": "10.14.0", "edition": "Community", "product": "ownCloud",
        },
        "capabilities": {
            "core": { "pollinterval": 60, "webdav-root": "remote.php/webdav", "status": { "installed": "true", "version": "10.14.0.3", "versionstring": "10.14.0", "edition": "Community", "productname": "ownCloud" } },
            "dav": { "chunking": "1.0" },
        },
    }))
}

fn delete_user(state: &State, me: &Arc<UserEntry>, id: &str) -> OcsResult {
    match state.store.user(id) {
        Some(t) if !Arc::ptr_eq(&t, me) => {
            // Its sessions die with it (they check the user's `deleted` flag); the table's
            // own pruning frees them, so a mass teardown stays O(1) per delete.
            state.delete_user(&t.id);
            OcsResult::ok_empty()
        }
        _ => OcsResult::fail(101, None),
    }
}

fn set_enabled(state: &State, me: &Arc<UserEntry>, id: &str, enable: bool) -> OcsResult {
    match state.store.user(id) {
        Some(t) if !Arc::ptr_eq(&t, me) => {
            t.enabled
                .store(enable, std::sync::atomic::Ordering::Relaxed);
            OcsResult::ok_empty()
        }
        _ => OcsResult::fail(101, None),
    }
}

fn user_groups(state: &State, me: &Arc<UserEntry>, admin: bool, id: &str) -> OcsResult {
    let target = state.store.user(id);
    let is_me = target.as_ref().is_some_and(|t| Arc::ptr_eq(t, me));
    if !admin && !is_me {
        return OcsResult::unauthorised();
    }
    match target {
        Some(t) => OcsResult::ok(json!({ "groups": state.store.groups_of(&t.id) })),
        None => OcsResult::fail(998, Some("The requested user could not be found")),
    }
}

fn membership(
    state: &State,
    me: &Arc<UserEntry>,
    admin: bool,
    id: &str,
    params: &Params,
    add: bool,
) -> OcsResult {
    let gid = params.get("groupid").unwrap_or("");
    if gid.is_empty() {
        return OcsResult::fail(101, None);
    }
    if state.store.group_members(gid).is_none() {
        return OcsResult::fail(102, None);
    }
    let Some(target) = state.store.user(id) else {
        return OcsResult::fail(103, None);
    };
    if !admin {
        return OcsResult::fail(104, None);
    }
    if !add && Arc::ptr_eq(&target, me) && gid == ADMIN_GROUP {
        return OcsResult::fail(105, Some("Cannot remove yourself from the admin group"));
    }
    state.store.set_member(gid, &target.id, add);
    OcsResult::ok_empty()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_merge_and_lists() {
        let mut p = Params::default();
        p.add_form("userid=q&limit=2");
        p.add_form("userid=al+ice%40x&groups%5B%5D=g1&groups[]=g2&password=");
        assert_eq!(p.get("userid"), Some("al ice@x"));
        assert_eq!(p.get("password"), Some(""));
        assert_eq!(p.get("limit"), Some("2"));
        assert_eq!(p.list("groups"), ["g1", "g2"]);
        let mut j = Params::default();
        j.add_json(br#"{"userid":"bob","groups":["a"]}"#);
        assert_eq!(j.get("userid"), Some("bob"));
        assert_eq!(j.list("groups"), ["a"]);
    }
}
