//! Sharing through ownCloud's `files_sharing` OCS API: user shares and public links of files
//! and folders (create, list, list received, get, change permissions, delete), each answer
//! typed by ownCloud's own messages and recorded under one name per call
//! (`POST /ocs/v2.php/apps/files_sharing/api/v1/shares`, `DELETE .../shares/[id]`, ...).

use http::Method;
use serde_json::Value;
use swarm_http::Session;

use super::envelope::{self, Envelope};
use super::{Format, Version};
use swarm_core::TaskError;

/// ownCloud's permission bits for shares.
pub mod perm {
    /// Read (always needed by user shares).
    pub const READ: u8 = 1;
    /// Change files.
    pub const UPDATE: u8 = 2;
    /// Create files and folders (folders only).
    pub const CREATE: u8 = 4;
    /// Delete (folders only).
    pub const DELETE: u8 = 8;
    /// Reshare.
    pub const SHARE: u8 = 16;
    /// Everything.
    pub const ALL: u8 = 31;
}

/// Who a new share is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareWith<'a> {
    /// Another user (`shareType` 0).
    User(&'a str),
    /// A public link (`shareType` 3), optionally named.
    Link(Option<&'a str>),
}

/// A new share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewShare<'a> {
    /// The file or folder, relative to the sharer's home (`/Documents`, `report.txt`).
    pub path: &'a str,
    /// User or link.
    pub with: ShareWith<'a>,
    /// Permission bits ([`perm`]); `None` lets the server choose (all a file can have for
    /// users, read-only for links).
    pub permissions: Option<u8>,
}

/// Kind of share.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShareType {
    /// 0.
    User,
    /// 1.
    Group,
    /// 3.
    Link,
    /// Any other code.
    Other(u8),
}

impl From<u64> for ShareType {
    fn from(v: u64) -> Self {
        match v {
            0 => Self::User,
            1 => Self::Group,
            3 => Self::Link,
            n => Self::Other(u8::try_from(n).unwrap_or(u8::MAX)),
        }
    }
}

/// One share as the API describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShareInfo {
    /// Share id (what delete and update take).
    pub id: String,
    /// User, link, ...
    pub share_type: ShareType,
    /// Who shared it.
    pub owner: String,
    /// The recipient of a user share.
    pub share_with: Option<String>,
    /// The path as the asking user sees it (the recipient sees the mount point).
    pub path: String,
    /// Where the share is mounted for its recipient (`/name`).
    pub file_target: String,
    /// `file` or `folder`.
    pub item_type: String,
    /// Permission bits.
    pub permissions: u8,
    /// A link's token (the public WebDAV user name).
    pub token: Option<String>,
    /// The file id shared.
    pub file_id: Option<u64>,
}

impl ShareInfo {
    /// True for folders.
    pub fn is_folder(&self) -> bool {
        self.item_type == "folder"
    }
}

/// Why a sharing call did not succeed: ownCloud's answers, typed.
#[derive(Debug, thiserror::Error)]
pub enum ShareError {
    /// 404 "Wrong path, file/folder doesn't exist" (or no path given).
    #[error("wrong path: the file or folder does not exist")]
    WrongPath,
    /// 404 "Please specify a valid user".
    #[error("no such user to share with")]
    UnknownUser,
    /// 403 "Can't share with yourself".
    #[error("cannot share with yourself")]
    SelfShare,
    /// 404 "Wrong share ID, share doesn't exist".
    #[error("no such share")]
    NoSuchShare,
    /// 997: wrong credentials.
    #[error("unauthorised (OCS 997)")]
    Unauthorised,
    /// Another refusal, with ownCloud's status code and message.
    #[error("OCS {statuscode}: {message}")]
    Refused {
        /// The meta statuscode (403, 404, 400, ...).
        statuscode: u32,
        /// The meta message.
        message: String,
    },
    /// Not an OCS answer.
    #[error("the server did not answer like ownCloud (HTTP {status}, {reason})")]
    NotOcs {
        /// HTTP status.
        status: u16,
        /// What was wrong.
        reason: String,
    },
    /// Transport, timeout, 5xx.
    #[error(transparent)]
    Http(#[from] swarm_http::Error),
}

impl From<ShareError> for TaskError {
    fn from(e: ShareError) -> Self {
        match e {
            ShareError::Http(e) => e.into(),
            other => TaskError::Failed(other.to_string()),
        }
    }
}

fn classify(status: u16, body: &[u8]) -> Result<Envelope, ShareError> {
    let env = envelope::parse(body).map_err(|e| ShareError::NotOcs {
        status,
        reason: e.to_string(),
    })?;
    let message = env.meta.message.clone().unwrap_or_default();
    match env.meta.statuscode {
        100 | 200 => Ok(env),
        997 => Err(ShareError::Unauthorised),
        code => Err(match message.as_str() {
            "Wrong path, file/folder doesn't exist" | "Please specify a file or folder path" => {
                ShareError::WrongPath
            }
            "Please specify a valid user" => ShareError::UnknownUser,
            "Can't share with yourself" | "Can’t share with yourself" => ShareError::SelfShare,
            "Wrong share ID, share doesn't exist" => ShareError::NoSuchShare,
            _ => ShareError::Refused {
                statuscode: code,
                message,
            },
        }),
    }
}

fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

fn number(v: Option<&Value>) -> Option<u64> {
    match v? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn share_info(v: &Value) -> Option<ShareInfo> {
    Some(ShareInfo {
        id: text(v.get("id"))?,
        share_type: ShareType::from(number(v.get("share_type"))?),
        owner: text(v.get("uid_owner")).unwrap_or_default(),
        share_with: text(v.get("share_with")),
        path: text(v.get("path")).unwrap_or_default(),
        file_target: text(v.get("file_target")).unwrap_or_default(),
        item_type: text(v.get("item_type")).unwrap_or_default(),
        permissions: number(v.get("permissions"))
            .and_then(|p| u8::try_from(p).ok())
            .unwrap_or(0),
        token: text(v.get("token")),
        file_id: number(v.get("item_source")),
    })
}

/// The shares in a `data` that is one share, a list, or empty.
fn share_list(data: &Value) -> Vec<ShareInfo> {
    match data {
        Value::Array(items) => items.iter().filter_map(share_info).collect(),
        Value::Object(m) if m.contains_key("id") => share_info(data).into_iter().collect(),
        // XML puts a list's items under <element>.
        Value::Object(m) => match m.get("element") {
            Some(Value::Array(items)) => items.iter().filter_map(share_info).collect(),
            Some(one) => share_info(one).into_iter().collect(),
            None => Vec::new(),
        },
        _ => Vec::new(),
    }
}

/// Typed sharing calls through one user's session (shares are made as that user).
#[derive(Debug, Clone, Copy)]
pub struct Shares<'s> {
    session: &'s Session,
    version: Version,
    format: Format,
}

const BASE: &str = "apps/files_sharing/api/v1/shares";

impl<'s> Shares<'s> {
    /// OCS v2, JSON, through `session`.
    pub fn new(session: &'s Session) -> Self {
        Self {
            session,
            version: Version::V2,
            format: Format::Json,
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

    async fn call(
        &self,
        method: Method,
        id: Option<&str>,
        form: &[(&str, String)],
        query: &[(&str, &str)],
        gone_is_fine: bool,
    ) -> Result<Envelope, ShareError> {
        let v = match self.version {
            Version::V1 => "v1",
            Version::V2 => "v2",
        };
        let (path, mut name) = match id {
            Some(id) => (
                format!("/ocs/{v}.php/{BASE}/{}", crate::path::encode_segment(id)),
                format!("/ocs/{v}.php/{BASE}/[id]"),
            ),
            None => (
                format!("/ocs/{v}.php/{BASE}"),
                format!("/ocs/{v}.php/{BASE}"),
            ),
        };
        if query.iter().any(|(k, _)| *k == "shared_with_me") {
            name.push_str("?shared_with_me=true");
        }
        let mut outcome: Option<Result<Envelope, ShareError>> = None;
        let mut req = self
            .session
            .request(method, path)
            .name(name)
            .header("OCS-APIRequest", "true")
            .expect_status([400, 401, 403, 404])
            .check(|resp| {
                let result = classify(resp.status().as_u16(), resp.body());
                let verdict = match &result {
                    Ok(_) => Ok(()),
                    Err(ShareError::NoSuchShare) if gone_is_fine => Ok(()),
                    Err(e) => Err(e.to_string()),
                };
                outcome = Some(result);
                verdict
            });
        if self.format == Format::Json {
            req = req.query([("format", "json")]);
        }
        if !query.is_empty() {
            req = req.query(query.iter().copied());
        }
        if !form.is_empty() {
            req = req.form(form.iter().map(|(k, v)| (*k, v.as_str())));
        }
        let sent = req.send().await;
        match (sent, outcome) {
            (_, Some(result)) => result,
            (Err(e), None) => Err(ShareError::Http(e)),
            (Ok(resp), None) => Err(ShareError::NotOcs {
                status: resp.status().as_u16(),
                reason: "no answer was checked".into(),
            }),
        }
    }

    /// Creates a share and returns it as the server describes it.
    pub async fn create(&self, share: &NewShare<'_>) -> Result<ShareInfo, ShareError> {
        let mut form: Vec<(&str, String)> = vec![("path", share.path.to_owned())];
        match share.with {
            ShareWith::User(u) => {
                form.push(("shareType", "0".into()));
                form.push(("shareWith", u.to_owned()));
            }
            ShareWith::Link(name) => {
                form.push(("shareType", "3".into()));
                if let Some(n) = name {
                    form.push(("name", n.to_owned()));
                }
            }
        }
        if let Some(p) = share.permissions {
            form.push(("permissions", p.to_string()));
        }
        let env = self.call(Method::POST, None, &form, &[], false).await?;
        share_list(&env.data)
            .into_iter()
            .next()
            .ok_or_else(|| ShareError::NotOcs {
                status: 200,
                reason: "no share in the answer".into(),
            })
    }

    /// Shares `path` with `user` (the server's default permissions).
    pub async fn with_user(&self, path: &str, user: &str) -> Result<ShareInfo, ShareError> {
        self.create(&NewShare {
            path,
            with: ShareWith::User(user),
            permissions: None,
        })
        .await
    }

    /// Creates a read-only public link to `path`.
    pub async fn link(&self, path: &str) -> Result<ShareInfo, ShareError> {
        self.create(&NewShare {
            path,
            with: ShareWith::Link(None),
            permissions: None,
        })
        .await
    }

    /// The shares this user made.
    pub async fn list(&self) -> Result<Vec<ShareInfo>, ShareError> {
        let env = self.call(Method::GET, None, &[], &[], false).await?;
        Ok(share_list(&env.data))
    }

    /// The shares others made with this user (`?shared_with_me=true`).
    pub async fn received(&self) -> Result<Vec<ShareInfo>, ShareError> {
        let q = [("shared_with_me", "true")];
        let env = self.call(Method::GET, None, &[], &q, false).await?;
        Ok(share_list(&env.data))
    }

    /// One share by id.
    pub async fn get(&self, id: &str) -> Result<ShareInfo, ShareError> {
        let env = self.call(Method::GET, Some(id), &[], &[], false).await?;
        share_list(&env.data)
            .into_iter()
            .next()
            .ok_or(ShareError::NoSuchShare)
    }

    /// Changes a share's permissions.
    pub async fn set_permissions(
        &self,
        id: &str,
        permissions: u8,
    ) -> Result<ShareInfo, ShareError> {
        let form = [("permissions", permissions.to_string())];
        let env = self.call(Method::PUT, Some(id), &form, &[], false).await?;
        share_list(&env.data)
            .into_iter()
            .next()
            .ok_or(ShareError::NoSuchShare)
    }

    /// Deletes a share; a missing one is `Err(NoSuchShare)`, recorded as a failure.
    pub async fn delete(&self, id: &str) -> Result<(), ShareError> {
        self.call(Method::DELETE, Some(id), &[], &[], false)
            .await
            .map(drop)
    }

    /// Makes sure a share is gone: deleted now or already missing (both recorded as
    /// successes). What a teardown wants.
    pub async fn remove(&self, id: &str) -> Result<(), ShareError> {
        match self.call(Method::DELETE, Some(id), &[], &[], true).await {
            Ok(_) | Err(ShareError::NoSuchShare) => Ok(()),
            Err(e) => Err(e),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_become_types() {
        let body = |code: u32, msg: &str| {
            format!(
                r#"{{"ocs":{{"meta":{{"status":"failure","statuscode":{code},"message":"{msg}"}},"data":[]}}}}"#
            )
        };
        let rows: &[(u32, &str, &str)] = &[
            (
                404,
                "Wrong path, file/folder doesn't exist",
                "wrong path: the file or folder does not exist",
            ),
            (
                404,
                "Please specify a valid user",
                "no such user to share with",
            ),
            (
                403,
                "Can't share with yourself",
                "cannot share with yourself",
            ),
            (404, "Wrong share ID, share doesn't exist", "no such share"),
            (997, "Unauthorised", "unauthorised (OCS 997)"),
            (
                403,
                "Path already shared with this user",
                "OCS 403: Path already shared with this user",
            ),
        ];
        for (code, msg, want) in rows {
            let got = classify(404, body(*code, msg).as_bytes())
                .unwrap_err()
                .to_string();
            assert_eq!(&got, want, "{code} {msg}");
        }
    }

    #[test]
    fn shares_read_from_json_and_xml_shapes() {
        let json: Value = serde_json::json!([{"id": "7", "share_type": 3, "uid_owner": "a", "path": "/f.txt", "item_type": "file", "permissions": 1, "token": "tok", "item_source": 12}]);
        let xml_one: Value = serde_json::json!({"element": {"id": "8", "share_type": "0", "share_with": "b", "permissions": "19", "item_type": "folder"}});
        let got = share_list(&json);
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].share_type, got[0].token.as_deref(), got[0].file_id),
            (ShareType::Link, Some("tok"), Some(12))
        );
        let got = share_list(&xml_one);
        assert_eq!(
            (got[0].id.as_str(), got[0].permissions, got[0].is_folder()),
            ("8", 19, true)
        );
        assert!(share_list(&Value::Null).is_empty());
    }
}
