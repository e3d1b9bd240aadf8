//! OCS provisioning: users and groups, v1 and v2, XML and JSON, each answer turned into a
//! typed result and recorded under a stable name (`POST /ocs/v2.php/cloud/users`,
//! `DELETE /ocs/v2.php/cloud/users/[userid]`, ...).

mod classify;
pub mod envelope;
mod error;
pub mod shares;

pub use envelope::{Envelope, Meta};
pub use error::{OcsError, OrGone};
pub use shares::{NewShare, ShareError, ShareInfo, ShareType, ShareWith, Shares, perm};

use crate::path::encode_segment;
use classify::{Op, classify};
use http::Method;
use serde_json::Value;
use swarm_http::Session;

/// OCS API version: v1 answers HTTP 200 with the code in the meta; v2 uses HTTP statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Version {
    /// `/ocs/v1.php`.
    V1,
    /// `/ocs/v2.php`.
    #[default]
    V2,
}

impl Version {
    fn segment(self) -> &'static str {
        match self {
            Self::V1 => "v1",
            Self::V2 => "v2",
        }
    }
}

/// Answer format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// ownCloud's default.
    #[default]
    Xml,
    /// `?format=json`.
    Json,
}

/// A new account's fields.
#[derive(Debug, Clone, Default)]
pub struct NewUser<'a> {
    /// The login (at least 3 characters on ownCloud).
    pub userid: &'a str,
    /// The password.
    pub password: &'a str,
    /// Optional e-mail.
    pub email: Option<&'a str>,
    /// Optional display name.
    pub display_name: Option<&'a str>,
    /// Groups to join.
    pub groups: &'a [&'a str],
}

/// One account as `GET /cloud/users/{id}` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserInfo {
    /// Login.
    pub id: String,
    /// Whether it may log in.
    pub enabled: bool,
    /// E-mail, if set.
    pub email: Option<String>,
    /// Display name, if set.
    pub display_name: Option<String>,
}

/// Typed OCS provisioning calls through one session. Admin calls want a session of their
/// own: a user's cookies in the jar override the admin's basic auth (BRIEF section 5).
#[derive(Debug, Clone, Copy)]
pub struct Ocs<'s> {
    session: &'s Session,
    version: Version,
    format: Format,
}

fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn truthy(v: &Value) -> bool {
    match v {
        Value::Bool(b) => *b,
        Value::String(s) => matches!(s.as_str(), "true" | "1"),
        Value::Number(n) => n.as_u64() == Some(1),
        _ => false,
    }
}

/// `data.users` / `data.groups`: a list of ids in either format.
fn id_list(data: &Value, key: &str) -> Vec<String> {
    match data.get(key) {
        Some(Value::Array(items)) => items.iter().filter_map(text).collect(),
        Some(single) => text(single).into_iter().collect(),
        None => Vec::new(),
    }
}

impl<'s> Ocs<'s> {
    /// OCS v2, XML, through `session`.
    pub fn new(session: &'s Session) -> Self {
        Self {
            session,
            version: Version::V2,
            format: Format::Xml,
        }
    }

    /// Uses another API version.
    pub fn version(mut self, version: Version) -> Self {
        self.version = version;
        self
    }

    /// Uses another answer format.
    pub fn format(mut self, format: Format) -> Self {
        self.format = format;
        self
    }

    /// Sends one call; `tail` is the path after `/cloud/`, `name_tail` its display form.
    async fn call(
        &self,
        op: Op,
        method: Method,
        tail: &str,
        name_tail: &str,
        form: &[(&str, &str)],
        query: &[(&str, String)],
    ) -> Result<Envelope, OcsError> {
        let v = self.version.segment();
        let path = format!("/ocs/{v}.php/cloud/{tail}");
        let name = format!("/ocs/{v}.php/cloud/{name_tail}");
        let mut outcome: Option<Result<Envelope, OcsError>> = None;
        let version = self.version;
        let mut req = self
            .session
            .request(method, path)
            .name(name)
            .header("OCS-APIRequest", "true")
            // OCS v2 puts its codes in HTTP statuses; the check below decides what failed.
            .expect_status([400, 401, 403, 404, 405, 409])
            .check(|resp| {
                let result = classify(op, version, resp.status().as_u16(), resp.body());
                let verdict = match &result {
                    Ok(_) => Ok(()),
                    Err(OcsError::NotFound) if op == Op::Remove => Ok(()),
                    Err(e) => Err(e.to_string()),
                };
                outcome = Some(result);
                verdict
            });
        if self.format == Format::Json {
            req = req.query([("format", "json")]);
        }
        if !query.is_empty() {
            req = req.query(query.iter().map(|(k, v)| (*k, v.as_str())));
        }
        if !form.is_empty() {
            req = req.form(form.iter().copied());
        }
        let sent = req.send().await;
        match (sent, outcome) {
            (_, Some(result)) => result,
            (Err(e), None) => Err(OcsError::Http(e)),
            (Ok(resp), None) => Err(OcsError::NotOcs {
                status: resp.status().as_u16(),
                reason: "no answer was checked".into(),
            }),
        }
    }

    /// A call on one account: `users/{id}{suffix}`, recorded as `users/[userid]{suffix}`.
    async fn on_user(
        &self,
        op: Op,
        method: Method,
        userid: &str,
        suffix: &str,
        form: &[(&str, &str)],
    ) -> Result<Envelope, OcsError> {
        let tail = format!("users/{}{suffix}", encode_segment(userid));
        let name = format!("users/[userid]{suffix}");
        self.call(op, method, &tail, &name, form, &[]).await
    }

    /// Creates an account (`POST /cloud/users`).
    pub async fn create_user(&self, userid: &str, password: &str) -> Result<(), OcsError> {
        self.create_user_with(&NewUser {
            userid,
            password,
            ..NewUser::default()
        })
        .await
    }

    /// Creates an account with optional e-mail, display name and groups.
    pub async fn create_user_with(&self, user: &NewUser<'_>) -> Result<(), OcsError> {
        let mut form: Vec<(&str, &str)> =
            vec![("userid", user.userid), ("password", user.password)];
        if let Some(email) = user.email {
            form.push(("email", email));
        }
        if let Some(name) = user.display_name {
            form.push(("displayName", name));
        }
        for group in user.groups {
            form.push(("groups[]", group));
        }
        self.call(Op::CreateUser, Method::POST, "users", "users", &form, &[])
            .await
            .map(drop)
    }

    /// Deletes an account (`DELETE /cloud/users/{id}`); a missing one is `Err(NotFound)`,
    /// recorded as a failure.
    pub async fn delete_user(&self, userid: &str) -> Result<(), OcsError> {
        self.on_user(Op::Delete, Method::DELETE, userid, "", &[])
            .await
            .map(drop)
    }

    /// Makes sure an account is gone: deleted now, or already missing (then recorded as a
    /// success too). What a teardown wants.
    pub async fn remove_user(&self, userid: &str) -> Result<(), OcsError> {
        self.on_user(Op::Remove, Method::DELETE, userid, "", &[])
            .await
            .map(drop)
            .or_gone()
    }

    /// One account's details (`GET /cloud/users/{id}`).
    pub async fn get_user(&self, userid: &str) -> Result<UserInfo, OcsError> {
        let env = self.on_user(Op::Get, Method::GET, userid, "", &[]).await?;
        let d = &env.data;
        Ok(UserInfo {
            id: d
                .get("id")
                .and_then(text)
                .unwrap_or_else(|| userid.to_owned()),
            enabled: d.get("enabled").is_some_and(truthy),
            email: d.get("email").and_then(text),
            display_name: d
                .get("displayname")
                .or_else(|| d.get("display-name"))
                .and_then(text),
        })
    }

    /// Account ids, optionally filtered by `search` and paged by `limit`/`offset`.
    pub async fn list_users(
        &self,
        search: Option<&str>,
        limit: Option<u32>,
        offset: Option<u32>,
    ) -> Result<Vec<String>, OcsError> {
        let mut query: Vec<(&str, String)> = Vec::new();
        if let Some(s) = search {
            query.push(("search", s.to_owned()));
        }
        if let Some(l) = limit {
            query.push(("limit", l.to_string()));
        }
        if let Some(o) = offset {
            query.push(("offset", o.to_string()));
        }
        let env = self
            .call(Op::Get, Method::GET, "users", "users", &[], &query)
            .await?;
        Ok(id_list(&env.data, "users"))
    }

    /// Enables an account.
    pub async fn enable_user(&self, userid: &str) -> Result<(), OcsError> {
        self.on_user(Op::Update, Method::PUT, userid, "/enable", &[])
            .await
            .map(drop)
    }

    /// Disables an account.
    pub async fn disable_user(&self, userid: &str) -> Result<(), OcsError> {
        self.on_user(Op::Update, Method::PUT, userid, "/disable", &[])
            .await
            .map(drop)
    }

    /// Creates a group.
    pub async fn create_group(&self, groupid: &str) -> Result<(), OcsError> {
        self.call(
            Op::CreateGroup,
            Method::POST,
            "groups",
            "groups",
            &[("groupid", groupid)],
            &[],
        )
        .await
        .map(drop)
    }

    /// Deletes a group.
    pub async fn delete_group(&self, groupid: &str) -> Result<(), OcsError> {
        let tail = format!("groups/{}", encode_segment(groupid));
        self.call(
            Op::Delete,
            Method::DELETE,
            &tail,
            "groups/[groupid]",
            &[],
            &[],
        )
        .await
        .map(drop)
    }

    /// Group ids, optionally filtered.
    pub async fn list_groups(&self, search: Option<&str>) -> Result<Vec<String>, OcsError> {
        let query: Vec<(&str, String)> = search
            .map(|s| ("search", s.to_owned()))
            .into_iter()
            .collect();
        let env = self
            .call(Op::Get, Method::GET, "groups", "groups", &[], &query)
            .await?;
        Ok(id_list(&env.data, "groups"))
    }

    /// Adds a user to a group.
    pub async fn add_to_group(&self, userid: &str, groupid: &str) -> Result<(), OcsError> {
        self.on_user(
            Op::Update,
            Method::POST,
            userid,
            "/groups",
            &[("groupid", groupid)],
        )
        .await
        .map(drop)
    }

    /// Removes a user from a group.
    pub async fn remove_from_group(&self, userid: &str, groupid: &str) -> Result<(), OcsError> {
        self.on_user(
            Op::Update,
            Method::DELETE,
            userid,
            "/groups",
            &[("groupid", groupid)],
        )
        .await
        .map(drop)
    }
}
