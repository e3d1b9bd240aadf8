//! Conformance: one row per call ownCloud 10.14 was measured answering (brief, section 5),
//! run over OCS v1 and v2 and XML and JSON, plus the WebDAV codes.

#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is the failure report

mod common;

use common::{Conn, Jar, Req, Resp, ocs_list, ocs_meta, propfind_entries, responses, send};
use owncloud_sim::{Sim, SimConfig};

const ADMIN: (&str, &str) = ("admin", "admin");
const ALICE: (&str, &str) = ("alice", "alice-pw");
const CAROL: (&str, &str) = ("carol", "carol-pw");
const NOAUTH: (&str, &str) = ("", "");

/// What the body's data must look like.
#[derive(Debug, Clone, Copy)]
enum Data {
    /// `[]` / `<data/>`.
    Empty,
    /// `data.users` is exactly this list.
    Users(&'static [&'static str]),
    /// `data.groups` is exactly this list.
    Groups(&'static [&'static str]),
    /// A single user's record with this id, `enabled` value and display name.
    User(&'static str, &'static str, &'static str),
    /// Not checked.
    Any,
}

/// One provisioning call and what ownCloud answers on v1 and v2.
struct Row {
    what: &'static str,
    method: &'static str,
    path: &'static str,
    auth: (&'static str, &'static str),
    form: &'static [(&'static str, &'static str)],
    /// (HTTP status, meta statuscode) on v1.
    v1: (u16, u16),
    /// (HTTP status, meta statuscode) on v2.
    v2: (u16, u16),
    /// Expected `meta.message`: `Some(None)` is null, `None` means unchecked.
    message: Option<Option<&'static str>>,
    data: Data,
}

/// A success's message: null on ownCloud 10.14, v1 and v2 alike.
const OK: Option<Option<&str>> = Some(None);
const UNAUTH: Option<Option<&str>> = Some(Some("Unauthorised"));

#[rustfmt::skip]
const ROWS: &[Row] = &[
    Row { what: "create user", method: "POST", path: "/cloud/users", auth: ADMIN, form: &[("userid", "alice"), ("password", "alice-pw")], v1: (200, 100), v2: (200, 200), message: OK, data: Data::Empty },
    Row { what: "create existing user", method: "POST", path: "/cloud/users", auth: ADMIN, form: &[("userid", "alice"), ("password", "x")], v1: (200, 102), v2: (400, 400), message: Some(Some("User already exists")), data: Data::Empty },
    Row { what: "create existing user, other case", method: "POST", path: "/cloud/users", auth: ADMIN, form: &[("userid", "ALICE"), ("password", "x")], v1: (200, 102), v2: (400, 400), message: Some(Some("User already exists")), data: Data::Empty },
    Row { what: "userid under 3 chars", method: "POST", path: "/cloud/users", auth: ADMIN, form: &[("userid", "al"), ("password", "x")], v1: (200, 101), v2: (400, 400), message: Some(Some("The username must be at least 3 characters long")), data: Data::Empty },
    Row { what: "empty password", method: "POST", path: "/cloud/users", auth: ADMIN, form: &[("userid", "bobby"), ("password", "")], v1: (200, 101), v2: (400, 400), message: Some(Some("A valid password must be provided")), data: Data::Empty },
    Row { what: "empty userid", method: "POST", path: "/cloud/users", auth: ADMIN, form: &[("userid", ""), ("password", "x")], v1: (200, 101), v2: (400, 400), message: Some(Some("A valid username must be provided")), data: Data::Empty },
    Row { what: "bad characters", method: "POST", path: "/cloud/users", auth: ADMIN, form: &[("userid", "a/b/c"), ("password", "x")], v1: (200, 101), v2: (400, 400), message: None, data: Data::Empty },
    Row { what: "unknown group on create", method: "POST", path: "/cloud/users", auth: ADMIN, form: &[("userid", "dave"), ("password", "x"), ("groups[]", "nogroup")], v1: (200, 104), v2: (400, 400), message: Some(Some("group nogroup does not exist")), data: Data::Empty },
    Row { what: "create as non-admin", method: "POST", path: "/cloud/users", auth: ALICE, form: &[("userid", "eve"), ("password", "x")], v1: (401, 997), v2: (401, 997), message: UNAUTH, data: Data::Empty },
    Row { what: "list users", method: "GET", path: "/cloud/users", auth: ADMIN, form: &[], v1: (200, 100), v2: (200, 200), message: OK, data: Data::Users(&["admin", "alice"]) },
    Row { what: "search users", method: "GET", path: "/cloud/users?search=ALI", auth: ADMIN, form: &[], v1: (200, 100), v2: (200, 200), message: OK, data: Data::Users(&["alice"]) },
    Row { what: "page users", method: "GET", path: "/cloud/users?limit=1&offset=1", auth: ADMIN, form: &[], v1: (200, 100), v2: (200, 200), message: OK, data: Data::Users(&["alice"]) },
    Row { what: "list users as non-admin", method: "GET", path: "/cloud/users", auth: ALICE, form: &[], v1: (401, 997), v2: (401, 997), message: UNAUTH, data: Data::Empty },
    Row { what: "list users, wrong password", method: "GET", path: "/cloud/users", auth: ("admin", "wrong"), form: &[], v1: (401, 997), v2: (401, 997), message: UNAUTH, data: Data::Empty },
    Row { what: "list users, no auth", method: "GET", path: "/cloud/users", auth: NOAUTH, form: &[], v1: (401, 997), v2: (401, 997), message: UNAUTH, data: Data::Empty },
    Row { what: "get user as admin", method: "GET", path: "/cloud/users/alice", auth: ADMIN, form: &[], v1: (200, 100), v2: (200, 200), message: OK, data: Data::User("alice", "true", "alice") },
    Row { what: "get yourself", method: "GET", path: "/cloud/users/alice", auth: ALICE, form: &[], v1: (200, 100), v2: (200, 200), message: OK, data: Data::User("alice", "true", "alice") },
    Row { what: "get another user", method: "GET", path: "/cloud/users/admin", auth: ALICE, form: &[], v1: (401, 997), v2: (401, 997), message: UNAUTH, data: Data::Empty },
    Row { what: "get missing user", method: "GET", path: "/cloud/users/nobody", auth: ADMIN, form: &[], v1: (200, 998), v2: (404, 404), message: Some(Some("The requested user could not be found")), data: Data::Empty },
    Row { what: "create group", method: "POST", path: "/cloud/groups", auth: ADMIN, form: &[("groupid", "staff")], v1: (200, 100), v2: (200, 200), message: OK, data: Data::Empty },
    Row { what: "create existing group", method: "POST", path: "/cloud/groups", auth: ADMIN, form: &[("groupid", "staff")], v1: (200, 102), v2: (400, 400), message: None, data: Data::Empty },
    Row { what: "create group without id", method: "POST", path: "/cloud/groups", auth: ADMIN, form: &[("groupid", "")], v1: (200, 101), v2: (400, 400), message: Some(Some("Invalid group name")), data: Data::Empty },
    Row { what: "create group as non-admin", method: "POST", path: "/cloud/groups", auth: ALICE, form: &[("groupid", "mine")], v1: (401, 997), v2: (401, 997), message: UNAUTH, data: Data::Empty },
    Row { what: "list groups", method: "GET", path: "/cloud/groups", auth: ADMIN, form: &[], v1: (200, 100), v2: (200, 200), message: OK, data: Data::Groups(&["admin", "staff"]) },
    Row { what: "add member", method: "POST", path: "/cloud/users/alice/groups", auth: ADMIN, form: &[("groupid", "staff")], v1: (200, 100), v2: (200, 200), message: OK, data: Data::Empty },
    Row { what: "add member, missing group", method: "POST", path: "/cloud/users/alice/groups", auth: ADMIN, form: &[("groupid", "nogroup")], v1: (200, 102), v2: (400, 400), message: None, data: Data::Empty },
    Row { what: "add member, missing user", method: "POST", path: "/cloud/users/nobody/groups", auth: ADMIN, form: &[("groupid", "staff")], v1: (200, 103), v2: (400, 400), message: None, data: Data::Empty },
    Row { what: "user's groups", method: "GET", path: "/cloud/users/alice/groups", auth: ALICE, form: &[], v1: (200, 100), v2: (200, 200), message: OK, data: Data::Groups(&["staff"]) },
    Row { what: "group members", method: "GET", path: "/cloud/groups/staff", auth: ADMIN, form: &[], v1: (200, 100), v2: (200, 200), message: OK, data: Data::Users(&["alice"]) },
    Row { what: "remove member", method: "DELETE", path: "/cloud/users/alice/groups", auth: ADMIN, form: &[("groupid", "staff")], v1: (200, 100), v2: (200, 200), message: OK, data: Data::Empty },
    Row { what: "remove member again leaves none", method: "GET", path: "/cloud/groups/staff", auth: ADMIN, form: &[], v1: (200, 100), v2: (200, 200), message: OK, data: Data::Users(&[]) },
    Row { what: "delete group", method: "DELETE", path: "/cloud/groups/staff", auth: ADMIN, form: &[], v1: (200, 100), v2: (200, 200), message: OK, data: Data::Empty },
    Row { what: "delete missing group", method: "DELETE", path: "/cloud/groups/staff", auth: ADMIN, form: &[], v1: (200, 101), v2: (400, 400), message: None, data: Data::Empty },
    Row { what: "delete admin group", method: "DELETE", path: "/cloud/groups/admin", auth: ADMIN, form: &[], v1: (200, 101), v2: (400, 400), message: None, data: Data::Empty },
    Row { what: "disable user", method: "PUT", path: "/cloud/users/alice/disable", auth: ADMIN, form: &[], v1: (200, 100), v2: (200, 200), message: OK, data: Data::Empty },
    Row { what: "disabled user cannot log in", method: "GET", path: "/cloud/users/alice", auth: ALICE, form: &[], v1: (401, 997), v2: (401, 997), message: UNAUTH, data: Data::Empty },
    Row { what: "disabled shows", method: "GET", path: "/cloud/users/alice", auth: ADMIN, form: &[], v1: (200, 100), v2: (200, 200), message: OK, data: Data::User("alice", "false", "alice") },
    Row { what: "enable user", method: "PUT", path: "/cloud/users/alice/enable", auth: ADMIN, form: &[], v1: (200, 100), v2: (200, 200), message: OK, data: Data::Empty },
    Row { what: "enabled user logs in", method: "GET", path: "/cloud/users/alice", auth: ALICE, form: &[], v1: (200, 100), v2: (200, 200), message: OK, data: Data::User("alice", "true", "alice") },
    Row { what: "disable missing user", method: "PUT", path: "/cloud/users/nobody/disable", auth: ADMIN, form: &[], v1: (200, 101), v2: (400, 400), message: None, data: Data::Empty },
    Row { what: "create with profile and group", method: "POST", path: "/cloud/users", auth: ADMIN, form: &[("userid", "carol"), ("password", "carol-pw"), ("email", "carol@example.org"), ("displayName", "Carol C"), ("groups[]", "admin")], v1: (200, 100), v2: (200, 200), message: OK, data: Data::Empty },
    Row { what: "profile is kept", method: "GET", path: "/cloud/users/carol", auth: CAROL, form: &[], v1: (200, 100), v2: (200, 200), message: OK, data: Data::User("carol", "true", "Carol C") },
    Row { what: "group member is admin", method: "GET", path: "/cloud/users", auth: CAROL, form: &[], v1: (200, 100), v2: (200, 200), message: OK, data: Data::Users(&["admin", "alice", "carol"]) },
    Row { what: "delete missing user", method: "DELETE", path: "/cloud/users/nobody", auth: ADMIN, form: &[], v1: (200, 101), v2: (400, 400), message: Some(None), data: Data::Empty },
    Row { what: "delete yourself", method: "DELETE", path: "/cloud/users/admin", auth: ADMIN, form: &[], v1: (200, 101), v2: (400, 400), message: Some(None), data: Data::Empty },
    Row { what: "delete as non-admin", method: "DELETE", path: "/cloud/users/carol", auth: ALICE, form: &[], v1: (401, 997), v2: (401, 997), message: UNAUTH, data: Data::Empty },
    Row { what: "delete user", method: "DELETE", path: "/cloud/users/alice", auth: ADMIN, form: &[], v1: (200, 100), v2: (200, 200), message: OK, data: Data::Empty },
    Row { what: "deleted user is gone", method: "GET", path: "/cloud/users", auth: ADMIN, form: &[], v1: (200, 100), v2: (200, 200), message: OK, data: Data::Users(&["admin", "carol"]) },
    Row { what: "deleted user cannot log in", method: "GET", path: "/cloud/users/alice", auth: ALICE, form: &[], v1: (401, 997), v2: (401, 997), message: UNAUTH, data: Data::Empty },
    Row { what: "unknown endpoint", method: "GET", path: "/cloud/nothing", auth: ADMIN, form: &[], v1: (200, 998), v2: (404, 404), message: None, data: Data::Any },
];

fn check_data(r: &Resp, data: Data, ctx: &str) {
    let text = r.text();
    let json = text.starts_with('{');
    match data {
        Data::Any => {}
        Data::Empty => {
            if json {
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                assert_eq!(v["ocs"]["data"], serde_json::json!([]), "{ctx}: {text}");
            } else {
                assert!(text.contains("\n <data/>\n"), "{ctx}: {text}");
            }
        }
        Data::Users(want) => assert_eq!(ocs_list(r, "users"), want, "{ctx}"),
        Data::Groups(want) => assert_eq!(ocs_list(r, "groups"), want, "{ctx}"),
        Data::User(id, enabled, display) => {
            if json {
                let v: serde_json::Value = serde_json::from_str(&text).unwrap();
                let d = &v["ocs"]["data"];
                assert_eq!(d["id"], id, "{ctx}");
                assert_eq!(d["enabled"], enabled, "{ctx}");
                assert_eq!(d["displayname"], display, "{ctx}");
                assert!(d["quota"].is_object(), "{ctx}");
                assert!(d.get("email").is_some(), "{ctx}");
            } else {
                assert!(text.contains(&format!("<id>{id}</id>")), "{ctx}: {text}");
                assert!(
                    text.contains(&format!("<enabled>{enabled}</enabled>")),
                    "{ctx}: {text}"
                );
                assert!(
                    text.contains(&format!("<displayname>{display}</displayname>")),
                    "{ctx}: {text}"
                );
                assert!(text.contains("<quota>"), "{ctx}: {text}");
            }
        }
    }
}

async fn run_ocs(version: u8, json: bool) {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    for row in ROWS {
        let sep = if row.path.contains('?') { '&' } else { '?' };
        let path = if json {
            format!("/ocs/v{version}.php{}{sep}format=json", row.path)
        } else {
            format!("/ocs/v{version}.php{}", row.path)
        };
        let mut req = Req::new(row.method, &path);
        if !row.auth.0.is_empty() {
            req = req.basic(row.auth.0, row.auth.1);
        }
        if !row.form.is_empty() {
            req = req.form(row.form);
        }
        // A fresh connection and no jar per row: the cookie rule has its own test.
        let r = send(sim.addr(), &req).await;
        let ctx = format!("v{version} json={json} {}: {} {path}", row.what, row.method);
        let (http, code) = if version == 1 { row.v1 } else { row.v2 };
        assert_eq!(r.status, http, "{ctx}: {}", r.text());
        let ctype = r.header("content-type").unwrap_or_default();
        if json {
            assert_eq!(ctype, "application/json; charset=utf-8", "{ctx}");
        } else {
            assert_eq!(ctype, "text/xml; charset=UTF-8", "{ctx}");
            assert!(
                r.text()
                    .starts_with("<?xml version=\"1.0\"?>\n<ocs>\n <meta>\n"),
                "{ctx}"
            );
        }
        let (status, statuscode, message) = ocs_meta(&r);
        assert_eq!(statuscode, code, "{ctx}: {}", r.text());
        let ok = code == 100 || code == 200;
        assert_eq!(status, if ok { "ok" } else { "failure" }, "{ctx}");
        if let Some(m) = row.message {
            assert_eq!(message.as_deref(), m, "{ctx}: {}", r.text());
        }
        if code == 997 {
            assert!(r.header("www-authenticate").is_some(), "{ctx}");
        }
        check_data(&r, row.data, &ctx);
    }
    sim.shutdown().await;
}

#[tokio::test]
async fn ocs_v1_xml() {
    run_ocs(1, false).await;
}

#[tokio::test]
async fn ocs_v1_json() {
    run_ocs(1, true).await;
}

#[tokio::test]
async fn ocs_v2_xml() {
    run_ocs(2, false).await;
}

#[tokio::test]
async fn ocs_v2_json() {
    run_ocs(2, true).await;
}

#[tokio::test]
async fn ocs_xml_envelope_is_byte_exact() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    let r = send(
        sim.addr(),
        &Req::new("POST", "/ocs/v2.php/cloud/users")
            .basic("admin", "admin")
            .form(&[("userid", "locust0"), ("password", "locust0")]),
    )
    .await;
    assert_eq!(
        r.text(),
        "<?xml version=\"1.0\"?>\n<ocs>\n <meta>\n  <status>ok</status>\n  <statuscode>200</statuscode>\n  <message/>\n  <totalitems></totalitems>\n  <itemsperpage></itemsperpage>\n </meta>\n <data/>\n</ocs>\n"
    );
    let r = send(
        sim.addr(),
        &Req::new("DELETE", "/ocs/v2.php/cloud/users/nobody?format=json").basic("admin", "admin"),
    )
    .await;
    assert_eq!(
        r.text(),
        r#"{"ocs":{"meta":{"status":"failure","statuscode":400,"message":null,"totalitems":"","itemsperpage":""},"data":[]}}"#
    );
    let r = send(
        sim.addr(),
        &Req::new("DELETE", "/ocs/v1.php/cloud/users/nobody").basic("admin", "admin"),
    )
    .await;
    assert!(r.text().contains("  <message/>\n"), "{}", r.text());
    sim.shutdown().await;
}

/// One WebDAV step: request and expected status, with an optional body check.
struct DavRow {
    what: &'static str,
    req: Req,
    status: u16,
    check: fn(&Resp),
}

fn nothing(_: &Resp) {}

fn dav(method: &str, path: &str) -> Req {
    Req::new(method, &format!("/remote.php/dav/files/alice{path}")).basic("alice", "pw")
}

#[tokio::test]
async fn webdav_codes() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    sim.create_user("alice", "pw").unwrap();
    sim.create_user("bob", "pw").unwrap();
    let warm = send(sim.addr(), &dav("PROPFIND", "/").header("Depth", "0")).await;
    assert_eq!(warm.status, 207);
    let bob = send(
        sim.addr(),
        &Req::new("PROPFIND", "/remote.php/dav/files/bob/")
            .basic("bob", "pw")
            .header("Depth", "0"),
    )
    .await;
    assert_eq!(bob.status, 207);
    let url = sim.url();
    let rows = vec![
        DavRow { what: "propfind depth 0", req: dav("PROPFIND", "/").header("Depth", "0"), status: 207, check: |r| {
            let t = r.text();
            assert_eq!(responses(&t), 1, "{t}");
            assert!(t.contains("<d:href>/remote.php/dav/files/alice/</d:href>"), "{t}");
            assert!(t.contains("<d:resourcetype><d:collection/></d:resourcetype>"), "{t}");
            assert!(t.contains("xmlns:d=\"DAV:\"") && t.contains("xmlns:oc=\"http://owncloud.org/ns\""), "{t}");
            assert!(r.header("content-type").unwrap().starts_with("application/xml"));
        }},
        DavRow { what: "propfind depth 1 shows the skeleton", req: dav("PROPFIND", "/").header("Depth", "1"), status: 207, check: |r| {
            let t = r.text();
            assert_eq!(responses(&t), 5, "{t}");
            for href in ["ownCloud%20Manual.pdf", "welcome.txt", "Documents/", "Photos/"] {
                assert!(t.contains(&format!("<d:href>/remote.php/dav/files/alice/{href}</d:href>")), "{href}: {t}");
            }
            assert!(t.contains("<d:getcontentlength>"), "{t}");
            assert!(t.contains("<d:getcontenttype>application/pdf</d:getcontenttype>"), "{t}");
            assert!(t.contains("GMT</d:getlastmodified>"), "{t}");
            assert!(t.contains("<d:getetag>&quot;"), "{t}");
        }},
        DavRow { what: "get skeleton file", req: dav("GET", "/ownCloud%20Manual.pdf"), status: 200, check: |r| {
            assert!(r.body.starts_with(b"%PDF-"));
            assert_eq!(r.header("content-type"), Some("application/pdf"));
            let etag = r.header("etag").unwrap();
            assert!(etag.starts_with('"') && etag.ends_with('"'));
            assert_eq!(r.header("oc-etag"), Some(etag));
            assert!(r.header("x-request-id").is_some());
        }},
        DavRow { what: "head", req: dav("HEAD", "/welcome.txt"), status: 200, check: |r| {
            assert!(r.header("content-length").unwrap().parse::<u64>().unwrap() > 0);
            assert!(r.header("etag").is_some());
        }},
        DavRow { what: "put new", req: dav("PUT", "/new.txt").body("hello world"), status: 201, check: |r| assert!(r.header("etag").is_some()) },
        DavRow { what: "put overwrite", req: dav("PUT", "/new.txt").body("hello again"), status: 204, check: nothing },
        DavRow { what: "get written", req: dav("GET", "/new.txt"), status: 200, check: |r| assert_eq!(r.body, b"hello again") },
        DavRow { what: "range", req: dav("GET", "/new.txt").header("Range", "bytes=0-4"), status: 206, check: |r| {
            assert_eq!(r.body, b"hello");
            assert_eq!(r.header("content-range"), Some("bytes 0-4/11"));
        }},
        DavRow { what: "suffix range", req: dav("GET", "/new.txt").header("Range", "bytes=-5"), status: 206, check: |r| assert_eq!(r.body, b"again") },
        DavRow { what: "unsatisfiable range", req: dav("GET", "/new.txt").header("Range", "bytes=100-200"), status: 416, check: |r| assert_eq!(r.header("content-range"), Some("bytes */11")) },
        DavRow { what: "put under missing folder", req: dav("PUT", "/missing/x.txt").body("x"), status: 409, check: |r| assert!(r.text().contains("Sabre\\DAV\\Exception\\Conflict")) },
        DavRow { what: "put onto folder", req: dav("PUT", "/Documents").body("x"), status: 409, check: nothing },
        DavRow { what: "mkcol", req: dav("MKCOL", "/folder"), status: 201, check: nothing },
        DavRow { what: "mkcol existing", req: dav("MKCOL", "/folder"), status: 405, check: nothing },
        DavRow { what: "mkcol missing parent", req: dav("MKCOL", "/a/b/c"), status: 409, check: nothing },
        DavRow { what: "copy", req: dav("COPY", "/new.txt").header("Destination", "/remote.php/dav/files/alice/folder/copy.txt"), status: 201, check: nothing },
        DavRow { what: "copy onto existing", req: dav("COPY", "/new.txt").header("Destination", "/remote.php/dav/files/alice/folder/copy.txt"), status: 204, check: nothing },
        DavRow { what: "copy overwrite F", req: dav("COPY", "/new.txt").header("Destination", "/remote.php/dav/files/alice/folder/copy.txt").header("Overwrite", "F"), status: 412, check: nothing },
        DavRow { what: "move absolute destination", req: dav("MOVE", "/folder/copy.txt").header("Destination", &format!("{url}/remote.php/dav/files/alice/moved%20file.txt")), status: 201, check: nothing },
        DavRow { what: "moved is there", req: dav("GET", "/moved%20file.txt"), status: 200, check: |r| assert_eq!(r.body, b"hello again") },
        DavRow { what: "moved source is gone", req: dav("GET", "/folder/copy.txt"), status: 404, check: |r| assert!(r.text().contains("Sabre\\DAV\\Exception\\NotFound")) },
        DavRow { what: "move overwrite F", req: dav("MOVE", "/new.txt").header("Destination", "/remote.php/dav/files/alice/moved%20file.txt").header("Overwrite", "F"), status: 412, check: nothing },
        DavRow { what: "move onto existing", req: dav("MOVE", "/new.txt").header("Destination", "/remote.php/dav/files/alice/moved%20file.txt"), status: 204, check: nothing },
        DavRow { what: "move folder", req: dav("MOVE", "/folder").header("Destination", "/remote.php/dav/files/alice/Documents/folder2"), status: 201, check: nothing },
        DavRow { what: "move to missing parent", req: dav("MOVE", "/moved%20file.txt").header("Destination", "/remote.php/dav/files/alice/nope/x"), status: 409, check: nothing },
        DavRow { what: "move without destination", req: dav("MOVE", "/moved%20file.txt"), status: 400, check: nothing },
        DavRow { what: "move out of base", req: dav("MOVE", "/moved%20file.txt").header("Destination", "/elsewhere/x"), status: 403, check: nothing },
        DavRow { what: "move into another home", req: dav("MOVE", "/moved%20file.txt").header("Destination", "/remote.php/dav/files/bob/x"), status: 403, check: nothing },
        DavRow { what: "delete", req: dav("DELETE", "/moved%20file.txt"), status: 204, check: nothing },
        DavRow { what: "delete missing", req: dav("DELETE", "/moved%20file.txt"), status: 404, check: nothing },
        DavRow { what: "get missing", req: dav("GET", "/nothing.txt"), status: 404, check: nothing },
        DavRow { what: "propfind missing", req: dav("PROPFIND", "/nothing.txt").header("Depth", "0"), status: 404, check: nothing },
        DavRow { what: "propfind named props", req: dav("PROPFIND", "/welcome.txt").header("Depth", "0").body(
            r#"<?xml version="1.0"?><d:propfind xmlns:d="DAV:" xmlns:oc="http://owncloud.org/ns"><d:prop><d:getetag/><oc:fileid/><oc:permissions/><d:quota-used-bytes/><x:custom xmlns:x="urn:example"/></d:prop></d:propfind>"#),
            status: 207, check: |r| {
            let t = r.text();
            let ok = t.split("<d:status>HTTP/1.1 200 OK</d:status>").next().unwrap();
            assert!(ok.contains("<d:getetag>") && ok.contains("<oc:fileid>") && ok.contains("<oc:permissions>"), "{t}");
            let missing = t.split("HTTP/1.1 200 OK").nth(1).unwrap();
            assert!(missing.contains("<d:quota-used-bytes/>") && missing.contains(":custom xmlns:"), "{t}");
            assert!(missing.contains("<d:status>HTTP/1.1 404 Not Found</d:status>"), "{t}");
        }},
        DavRow { what: "propfind malformed", req: dav("PROPFIND", "/").body("<d:propfind xmlns:d=\"DAV:\"><d:prop>"), status: 400, check: nothing },
        DavRow { what: "wrong password", req: Req::new("GET", "/remote.php/dav/files/alice/welcome.txt").basic("alice", "nope"), status: 401, check: |r| {
            assert_eq!(r.header("www-authenticate"), Some("Basic realm=\"ownCloud\", charset=\"UTF-8\""));
            assert!(r.text().contains("NotAuthenticated"));
        }},
        DavRow { what: "no auth", req: Req::new("PROPFIND", "/remote.php/dav/files/alice/"), status: 401, check: |r| assert!(r.header("www-authenticate").is_some()) },
        DavRow { what: "other home: bare collection", req: dav("PROPFIND", "/").header("Depth", "1").tap_path("/remote.php/dav/files/bob/"), status: 207, check: |r| {
            let t = r.text();
            assert_eq!(responses(&t), 1, "{t}");
            assert!(t.contains("<d:href>/remote.php/dav/files/bob/</d:href>"), "{t}");
        }},
        DavRow { what: "other home: get", req: dav("GET", "").tap_path("/remote.php/dav/files/bob/welcome.txt"), status: 404, check: nothing },
        DavRow { what: "other home: put", req: dav("PUT", "").tap_path("/remote.php/dav/files/bob/evil.txt").body("x"), status: 403, check: nothing },
        DavRow { what: "legacy alias get", req: Req::new("GET", "/remote.php/webdav/welcome.txt").basic("alice", "pw"), status: 200, check: |r| assert!(r.text().starts_with("Welcome")) },
        DavRow { what: "legacy alias propfind", req: Req::new("PROPFIND", "/remote.php/webdav/").basic("alice", "pw").header("Depth", "1"), status: 207, check: |r| {
            assert!(r.text().contains("<d:href>/remote.php/webdav/welcome.txt</d:href>"), "{}", r.text());
        }},
        DavRow { what: "legacy move", req: Req::new("MOVE", "/remote.php/webdav/Documents/folder2").basic("alice", "pw").header("Destination", "/remote.php/webdav/back"), status: 201, check: nothing },
        DavRow { what: "get on folder", req: dav("GET", "/Photos"), status: 501, check: nothing },
        DavRow { what: "unknown method", req: dav("FROBNICATE", "/welcome.txt"), status: 501, check: nothing },
    ];
    for row in rows {
        let r = send(sim.addr(), &row.req).await;
        assert_eq!(r.status, row.status, "{}: {}", row.what, r.text());
        (row.check)(&r);
    }
    assert!(
        sim.file("alice", "back").is_none(),
        "a folder is not a file"
    );
    sim.shutdown().await;
}

trait TapPath {
    fn tap_path(self, path: &str) -> Self;
}

impl TapPath for Req {
    fn tap_path(mut self, path: &str) -> Self {
        self.path = path.to_owned();
        self
    }
}

#[tokio::test]
async fn etags_change_with_content_and_match_propfind() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    sim.create_user("alice", "pw").unwrap();
    let mut c = Conn::open(sim.addr()).await;
    let put1 = c.send(&dav("PUT", "/e.txt").body("one")).await.unwrap();
    let put2 = c.send(&dav("PUT", "/e.txt").body("two")).await.unwrap();
    assert_eq!((put1.status, put2.status), (201, 204));
    assert_ne!(put1.header("etag"), put2.header("etag"));
    let get = c.send(&dav("GET", "/e.txt")).await.unwrap();
    assert_eq!(get.header("etag"), put2.header("etag"));
    let pf = c
        .send(&dav("PROPFIND", "/e.txt").header("Depth", "0"))
        .await
        .unwrap();
    let entries = propfind_entries(&pf.text());
    assert_eq!(entries[0].1.as_deref(), get.header("etag"));
    assert_eq!(entries[0].2, Some(3));
    // Folder etags propagate: the home's etag moves when a file inside changes.
    let before = home_etag(&mut c).await;
    c.send(&dav("PUT", "/e.txt").body("three")).await.unwrap();
    assert_ne!(home_etag(&mut c).await, before);
    let mut jar = Jar::default();
    jar.absorb(&put1);
    assert!(jar.0.contains_key("oc_sessionPassphrase"));
    sim.shutdown().await;
}

async fn home_etag(c: &mut Conn) -> Option<String> {
    let req = dav("PROPFIND", "/").header("Depth", "0");
    propfind_entries(&c.send(&req).await.unwrap().text())[0]
        .1
        .clone()
}
