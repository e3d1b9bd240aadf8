//! The `/swarm` form (Locust's fields: `user_count`, `spawn_rate`, `host`, `run_time`,
//! `user_classes`; and swarm's `load` = `users` or `arrival` with `arrival_rate`), sent
//! URL-encoded as Locust's clients do, or as a JSON object.

use super::state::{FormLoad, StartRequest};
use serde_json::Value;
use std::time::Duration;

/// Why a `/swarm` request was refused; the text is shown to the user as it is.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub(crate) enum FormError {
    /// `user_count` is absent.
    #[error("user_count is missing: give the number of users, e.g. user_count=10")]
    MissingUsers,
    /// `user_count` is not a whole number in range (the text says which limit).
    #[error("user_count {0}")]
    BadUsers(String),
    /// `spawn_rate` is not a rate in range.
    #[error("spawn_rate {0}")]
    BadRate(String),
    /// `host` is not an http(s) URL.
    #[error("host: {0}")]
    BadHost(String),
    /// `run_time` is not a duration.
    #[error("run_time: {0}")]
    BadRunTime(String),
    /// `load=arrival` without `arrival_rate`.
    #[error("arrival_rate is missing: give iterations per second, e.g. arrival_rate=200")]
    MissingArrivalRate,
    /// `arrival_rate` is not a rate in range.
    #[error("arrival_rate {0}")]
    BadArrivalRate(String),
    /// `load` is neither `users` nor `arrival`.
    #[error("load `{0}` is not a load: give users or arrival")]
    BadLoad(String),
    /// The body is neither a form nor a JSON object.
    #[error("send the fields as application/x-www-form-urlencoded or as a JSON object")]
    BadBody,
}

/// Field name and value pairs from a URL-encoded body.
pub(crate) fn from_urlencoded(body: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(body).into_owned().collect()
}

/// Field name and value pairs from a JSON object (numbers and strings alike).
pub(crate) fn from_json(body: &[u8]) -> Result<Vec<(String, String)>, FormError> {
    let Ok(Value::Object(map)) = serde_json::from_slice::<Value>(body) else {
        return Err(FormError::BadBody);
    };
    Ok(map
        .into_iter()
        .filter_map(|(k, v)| match v {
            Value::String(s) => Some((k, s)),
            Value::Number(n) => Some((k, n.to_string())),
            _ => None,
        })
        .collect())
}

/// The start (or reshape) the fields ask for; absent optional fields take the flags' values
/// from `defaults`. Unknown fields are ignored, as Locust does.
pub(crate) fn parse(
    fields: &[(String, String)],
    defaults: &StartRequest,
) -> Result<StartRequest, FormError> {
    let get = |name: &str| {
        fields
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
    };
    let load = match get("load") {
        None | Some("") => FormLoad::Flags,
        Some("users") => FormLoad::Users,
        Some("arrival") => match get("arrival_rate") {
            None | Some("") => return Err(FormError::MissingArrivalRate),
            // A bare number is per second, as the form's field says.
            Some(v) if v.ends_with("/s") || v.ends_with("/m") => FormLoad::Arrival(
                crate::values::parse_arrival_rate(v).map_err(FormError::BadArrivalRate)?,
            ),
            Some(v) => FormLoad::Arrival(
                crate::values::parse_arrival_rate(&format!("{v}/s"))
                    .map_err(FormError::BadArrivalRate)?,
            ),
        },
        Some(other) => return Err(FormError::BadLoad(other.to_owned())),
    };
    let users = match get("user_count") {
        // An arrival-rate start needs no user count: its pool follows the arrivals.
        None | Some("") if matches!(load, FormLoad::Arrival(_)) => defaults.users,
        None | Some("") => return Err(FormError::MissingUsers),
        Some(v) => crate::values::parse_users(v).map_err(FormError::BadUsers)?,
    };
    let spawn_rate = match get("spawn_rate") {
        None | Some("") => defaults.spawn_rate,
        Some(v) => crate::values::parse_rate(v).map_err(FormError::BadRate)?,
    };
    // The page shows `--host` with any password as `***`; sent back unchanged, it means
    // `--host` itself.
    let shown_default = defaults.host.as_deref().map(swarm_http::redact_url);
    let host = match get("host") {
        None | Some("") => defaults.host.clone(),
        Some(v)
            if shown_default.as_deref().map(|d| d.trim_end_matches('/'))
                == Some(v.trim_end_matches('/')) =>
        {
            defaults.host.clone()
        }
        Some(v) => Some(crate::cli::parse_host(v).map_err(FormError::BadHost)?),
    };
    let run_time = match get("run_time") {
        None | Some("") => None,
        Some(v) => match crate::values::parse_duration(v) {
            Ok(d) if d > Duration::ZERO => Some(d),
            Ok(_) => {
                return Err(FormError::BadRunTime(
                    "0 would stop at once: give e.g. 30s, 5m, or leave it empty".into(),
                ));
            }
            Err(e) => return Err(FormError::BadRunTime(e)),
        },
    };
    Ok(StartRequest {
        users,
        spawn_rate,
        host,
        run_time,
        load,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn defaults() -> StartRequest {
        StartRequest {
            users: 1,
            spawn_rate: 3.0,
            host: Some("http://127.0.0.1:1".into()),
            run_time: None,
            load: FormLoad::Flags,
        }
    }

    fn fields(body: &str) -> Vec<(String, String)> {
        from_urlencoded(body.as_bytes())
    }

    #[test]
    fn good_forms() {
        let cases: [(&str, StartRequest); 8] = [
            (
                "user_count=5&spawn_rate=2",
                StartRequest {
                    users: 5,
                    spawn_rate: 2.0,
                    ..defaults()
                },
            ),
            (
                "user_count=0",
                StartRequest {
                    users: 0,
                    ..defaults()
                },
            ),
            (
                "user_count=%2010%20&spawn_rate=0.5&host=http%3A%2F%2Fexample.test%3A8080%2F",
                StartRequest {
                    users: 10,
                    spawn_rate: 0.5,
                    host: Some("http://example.test:8080/".into()),
                    run_time: None,
                    load: FormLoad::Flags,
                },
            ),
            (
                "user_count=2&host=&run_time=1m30s&user_classes=Shopper&extra=1",
                StartRequest {
                    users: 2,
                    run_time: Some(Duration::from_secs(90)),
                    ..defaults()
                },
            ),
            (
                "load=arrival&arrival_rate=200",
                StartRequest {
                    load: FormLoad::Arrival(200.0),
                    ..defaults()
                },
            ),
            (
                "load=arrival&arrival_rate=90%2Fm&user_count=",
                StartRequest {
                    load: FormLoad::Arrival(1.5),
                    ..defaults()
                },
            ),
            (
                "load=users&user_count=4",
                StartRequest {
                    users: 4,
                    load: FormLoad::Users,
                    ..defaults()
                },
            ),
            (
                "user_count=2&run_time=20",
                StartRequest {
                    users: 2,
                    run_time: Some(Duration::from_secs(20)),
                    ..defaults()
                },
            ),
        ];
        for (body, want) in cases {
            assert_eq!(parse(&fields(body), &defaults()), Ok(want), "{body}");
        }
    }

    #[test]
    fn bad_forms_name_the_field() {
        let cases = [
            ("", "user_count is missing"),
            ("spawn_rate=1", "user_count is missing"),
            ("user_count=-1", "user_count `-1`"),
            ("user_count=ten", "user_count `ten`"),
            ("user_count=1.5", "user_count `1.5`"),
            ("user_count=1&spawn_rate=0", "spawn_rate `0`"),
            ("user_count=1&spawn_rate=-2", "spawn_rate `-2`"),
            ("user_count=1&spawn_rate=NaN", "spawn_rate `NaN`"),
            ("user_count=1&spawn_rate=inf", "spawn_rate `inf`"),
            (
                "user_count=1&host=ftp%3A%2F%2Fx",
                "host: `ftp://x` is not an http(s) URL",
            ),
            (
                "user_count=1&host=nonsense",
                "host: `nonsense` is not a URL",
            ),
            (
                "user_count=1&run_time=soon",
                "run_time: `soon` is not a duration",
            ),
            ("user_count=1&run_time=0", "run_time: 0 would stop at once"),
            ("load=arrival", "arrival_rate is missing"),
            (
                "load=arrival&arrival_rate=0",
                "arrival_rate `0/s` would start nothing",
            ),
            ("load=open&user_count=1", "load `open` is not a load"),
            ("load=users", "user_count is missing"),
            // Out of range: each names its limit.
            (
                "user_count=1&spawn_rate=1e-300",
                "spawn_rate `1e-300` is too slow: give at least 0.001",
            ),
            (
                "user_count=1&spawn_rate=1e300",
                "spawn_rate `1e300` is too fast: give at most 1000000",
            ),
            (
                "user_count=99999999999",
                "user_count `99999999999` is too many users for one process",
            ),
            (
                "user_count=1&run_time=1e30",
                "run_time: `1e30` is too long: give at most 366d",
            ),
            ("user_count=1&run_time=-5s", "run_time: `-5s` is negative"),
        ];
        for (body, want) in cases {
            let got = parse(&fields(body), &defaults()).map_err(|e| e.to_string());
            assert!(
                got.as_ref().is_err_and(|m| m.starts_with(want)),
                "{body}: {got:?}"
            );
        }
    }

    #[test]
    fn the_redacted_default_host_means_the_default() {
        let defaults = StartRequest {
            host: Some("http://admin:s3cret@127.0.0.1:1".into()),
            ..defaults()
        };
        let got = parse(
            &fields("user_count=1&host=http%3A%2F%2Fadmin%3A***%40127.0.0.1%3A1"),
            &defaults,
        );
        assert_eq!(got.map(|r| r.host), Ok(defaults.host.clone()));
    }

    #[test]
    fn json_bodies() {
        let ok = from_json(br#"{"user_count": 3, "spawn_rate": "1.5", "tags": [1]}"#);
        let req = ok.map(|f| parse(&f, &defaults()));
        assert_eq!(
            req,
            Ok(Ok(StartRequest {
                users: 3,
                spawn_rate: 1.5,
                ..defaults()
            }))
        );
        for bad in [&b"[1]"[..], b"not json", b"\"x\""] {
            assert_eq!(from_json(bad), Err(FormError::BadBody));
        }
    }
}
