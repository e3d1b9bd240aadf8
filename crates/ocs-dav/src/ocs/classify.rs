//! From (operation, version, HTTP status, body) to a typed outcome: the table of BRIEF
//! section 5 in code. v2's 400s are told apart by `meta.message` alone.

use super::envelope::{self, Envelope};
use super::{OcsError, Version};

/// What the call tried, which decides what 101/400 means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Op {
    CreateUser,
    CreateGroup,
    Delete,
    /// A delete where "already gone" is the goal reached.
    Remove,
    Get,
    Update,
}

fn is_exists_message(m: &str) -> bool {
    m.to_ascii_lowercase().contains("already exists") || m.eq_ignore_ascii_case("group exists")
}

pub(crate) fn classify(
    op: Op,
    version: Version,
    status: u16,
    body: &[u8],
) -> Result<Envelope, OcsError> {
    let env = envelope::parse(body).map_err(|e| OcsError::NotOcs {
        status,
        reason: e.to_string(),
    })?;
    let code = env.meta.statuscode;
    let message = env.meta.message.clone();
    let missing_or_invalid = |message: Option<String>| match op {
        Op::Delete | Op::Remove | Op::Get | Op::Update => OcsError::NotFound,
        Op::CreateUser | Op::CreateGroup => OcsError::Invalid(message.unwrap_or_default()),
    };
    match code {
        100 | 200 => Ok(env),
        997 => Err(OcsError::Unauthorised),
        998 | 404 => Err(OcsError::NotFound),
        102 if op == Op::CreateUser => Err(OcsError::UserExists),
        102 if op == Op::CreateGroup => Err(OcsError::GroupExists),
        101 if version == Version::V1 => Err(missing_or_invalid(message)),
        400 => match message {
            Some(m) if is_exists_message(&m) && op == Op::CreateUser => Err(OcsError::UserExists),
            Some(m) if is_exists_message(&m) && op == Op::CreateGroup => Err(OcsError::GroupExists),
            // v2 folds v1's 102 "group exists" into a 400 with no message; an invalid group
            // name always comes with one.
            None if op == Op::CreateGroup => Err(OcsError::GroupExists),
            // v2's missing user on delete: HTTP 400, statuscode 400, message null.
            None => Err(missing_or_invalid(None)),
            Some(m) if matches!(op, Op::CreateUser | Op::CreateGroup) => Err(OcsError::Invalid(m)),
            Some(m) => Err(OcsError::Failed {
                statuscode: 400,
                message: m,
            }),
        },
        other => Err(OcsError::Failed {
            statuscode: other,
            message: message.unwrap_or_default(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(code: u32, message: Option<&str>) -> Vec<u8> {
        let m = message.map_or("null".to_owned(), |m| format!("\"{m}\""));
        format!(
            r#"{{"ocs":{{"meta":{{"status":"x","statuscode":{code},"message":{m}}},"data":[]}}}}"#
        )
        .into_bytes()
    }

    /// One row per documented outcome of BRIEF section 5.
    #[test]
    fn documented_outcomes_become_types() {
        use Op::*;
        use Version::*;
        type Row<'a> = (Op, Version, u16, u32, Option<&'a str>, &'a str);
        let rows: &[Row<'_>] = &[
            (CreateUser, V2, 200, 200, None, "ok"),
            (CreateUser, V1, 200, 100, Some("OK"), "ok"),
            (
                CreateUser,
                V2,
                400,
                400,
                Some("User already exists"),
                "user already exists",
            ),
            (
                CreateUser,
                V1,
                200,
                102,
                Some("User already exists"),
                "user already exists",
            ),
            (
                CreateUser,
                V2,
                400,
                400,
                Some("The user ID must be at least 3 characters"),
                "invalid: The user ID must be at least 3 characters",
            ),
            (
                CreateUser,
                V1,
                200,
                101,
                Some("invalid password"),
                "invalid: invalid password",
            ),
            (Delete, V2, 400, 400, None, "not found"),
            (Delete, V1, 200, 101, None, "not found"),
            (Remove, V2, 400, 400, None, "not found"),
            (
                Get,
                V2,
                404,
                404,
                Some("The requested user could not be found"),
                "not found",
            ),
            (Get, V1, 200, 998, None, "not found"),
            (Delete, V2, 401, 997, Some("Unauthorised"), "unauthorised"),
            (CreateGroup, V1, 200, 102, None, "group already exists"),
            (Update, V2, 500, 500, Some("boom"), "OCS 500: boom"),
        ];
        for &(op, version, status, code, message, want) in rows {
            let got = match classify(op, version, status, &json(code, message)) {
                Ok(_) => "ok".to_owned(),
                Err(e) => e.to_string(),
            };
            assert!(
                got.starts_with(want),
                "{op:?} {version:?} {code} {message:?}: {got}"
            );
        }
    }

    #[test]
    fn html_is_not_ocs() {
        let err = classify(
            Op::CreateUser,
            Version::V2,
            404,
            b"<!DOCTYPE html><html><body>Not Found",
        )
        .unwrap_err();
        assert!(
            err.to_string()
                .contains("did not answer like ownCloud (HTTP 404"),
            "{err}"
        );
    }
}
