//! The facts measured on ownCloud 10.14 for sharing and the rest of its WebDAV, one table
//! row each, run through ocs-dav against owncloud-sim on 127.0.0.1.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ocs_dav::dav::{
    Dav, DavEntry, DavError, Depth, LockRequest, LockScope, PropUpdate, PutOptions, Written,
};
use ocs_dav::ocs::{
    Format, NewShare, Ocs, ShareError, ShareType, ShareWith, Shares, Version, perm,
};
use owncloud_sim::{Sim, SimConfig};
use swarm_core::metrics::Metrics;
use swarm_http::{Client, ClientOptions, Session};

struct Env {
    sim: Sim,
    client: Client,
    _metrics: Metrics,
}

impl Env {
    /// A simulator with alice and bob, both logged in once (homes copied).
    async fn start() -> Self {
        let sim = Sim::start(SimConfig::default()).await.unwrap();
        let metrics = Metrics::default();
        let client = Client::new(metrics.recorder(), ClientOptions::default());
        let env = Self {
            sim,
            client,
            _metrics: metrics,
        };
        let admin = env.session("admin", "admin");
        for user in ["alice", "bob"] {
            Ocs::new(&admin).create_user(user, "pw").await.unwrap();
            env.dav(user).propfind("", Depth::Zero).await.unwrap();
        }
        env
    }
    fn session(&self, user: &str, password: &str) -> Session {
        Session::new(&self.client, &self.sim.url())
            .unwrap()
            .with_basic_auth(user, password)
    }
    fn dav(&self, user: &str) -> Dav {
        Dav::new(self.session(user, "pw"), user)
    }
    fn link(&self, token: &str) -> Dav {
        Dav::public_link(Session::new(&self.client, &self.sim.url()).unwrap(), token)
    }
}

fn share_outcome(r: &Result<ocs_dav::ocs::ShareInfo, ShareError>) -> String {
    match r {
        Ok(s) => format!(
            "ok {:?} {} {} {}",
            s.share_type, s.path, s.item_type, s.permissions
        ),
        Err(e) => e.to_string(),
    }
}

fn dav_outcome<T: std::fmt::Debug>(r: &Result<T, DavError>) -> String {
    match r {
        Ok(v) => format!("ok {v:?}"),
        Err(DavError::Http(e)) => e
            .status()
            .map_or_else(|| e.to_string(), |s| format!("http {}", s.as_u16())),
        Err(e) => e.to_string(),
    }
}

fn entry<'a>(list: &'a [DavEntry], name: &str) -> &'a DavEntry {
    list.iter()
        .find(|e| e.name() == name)
        .unwrap_or_else(|| panic!("{name} not listed: {list:?}"))
}

/// Creating shares: the answers ownCloud gives, in every version and format.
#[tokio::test]
async fn creating_shares_answers_like_owncloud() {
    let env = Env::start().await;
    let alice = env.session("alice", "pw");
    env.dav("alice").mkcol("Shared").await.unwrap();
    env.dav("alice").put("report.txt", "numbers").await.unwrap();
    let user = |path: &'static str, to: &'static str| NewShare {
        path,
        with: ShareWith::User(to),
        permissions: None,
    };
    #[rustfmt::skip]
    let rows: &[(&str, NewShare<'_>, &str)] = &[
        ("file with a user", user("/report.txt", "bob"), "ok User /report.txt file 19"),
        ("folder with a user", user("Shared", "bob"), "ok User /Shared folder 31"),
        ("file by link", NewShare { path: "report.txt", with: ShareWith::Link(None), permissions: None }, "ok Link /report.txt file 1"),
        ("folder by link, read-only", NewShare { path: "/Shared", with: ShareWith::Link(Some("l")), permissions: Some(perm::READ) }, "ok Link /Shared folder 1"),
        ("missing path", user("/nope.txt", "bob"), "wrong path: the file or folder does not exist"),
        ("unknown user", user("/report.txt", "nobody"), "no such user to share with"),
        ("yourself", user("/report.txt", "alice"), "cannot share with yourself"),
        ("file with delete permission", NewShare { path: "welcome.txt", with: ShareWith::User("bob"), permissions: Some(perm::ALL) }, "OCS 403: Files can't be shared with delete permissions"),
    ];
    for (version, format) in [
        (Version::V2, Format::Json),
        (Version::V2, Format::Xml),
        (Version::V1, Format::Json),
    ] {
        let shares = Shares::new(&alice).version(version).format(format);
        for (what, share, want) in rows {
            let got = share_outcome(&shares.create(share).await);
            // A second user share of the same path is refused; drop the first ones after
            // each pass so every version sees the same rows.
            assert_eq!(&got, want, "{version:?}/{format:?} {what}");
        }
        for s in shares.list().await.unwrap() {
            shares.delete(&s.id).await.unwrap();
        }
    }
}

/// Listing, receiving, mounting, permissions on the recipient's side, links, deleting.
#[tokio::test]
async fn shares_are_listed_mounted_enforced_and_deleted() {
    let env = Env::start().await;
    let (alice_s, bob_s) = (env.session("alice", "pw"), env.session("bob", "pw"));
    let (alice, bob) = (env.dav("alice"), env.dav("bob"));
    alice.mkcol("Team").await.unwrap();
    alice.put("Team/plan.txt", "plan").await.unwrap();
    alice.put("notes.txt", "notes").await.unwrap();
    let shares = Shares::new(&alice_s);
    let file = shares.with_user("notes.txt", "bob").await.unwrap();
    let folder = shares
        .create(&NewShare {
            path: "Team",
            with: ShareWith::User("bob"),
            permissions: Some(perm::READ),
        })
        .await
        .unwrap();
    let link = shares.link("notes.txt").await.unwrap();
    let token = link.token.clone().unwrap();
    let mine: Vec<String> = shares
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(mine, [file.id.clone(), folder.id.clone(), link.id.clone()]);
    let received = Shares::new(&bob_s).received().await.unwrap();
    let got: Vec<(&str, ShareType, Option<&str>)> = received
        .iter()
        .map(|s| (s.path.as_str(), s.share_type, s.share_with.as_deref()))
        .collect();
    assert_eq!(
        got,
        [
            ("/notes.txt", ShareType::User, Some("bob")),
            ("/Team", ShareType::User, Some("bob"))
        ]
    );
    // The received shares sit in bob's root beside his skeleton.
    let root = bob.propfind_details("", Depth::One).await.unwrap();
    for name in ["welcome.txt", "Documents", "notes.txt", "Team"] {
        entry(&root, name);
    }
    assert_eq!(entry(&root, "notes.txt").owner_id.as_deref(), Some("alice"));
    assert!(
        entry(&root, "Team")
            .permissions
            .as_deref()
            .unwrap()
            .starts_with('S')
    );
    // What bob may do through them.
    #[rustfmt::skip]
    let rows: Vec<(&str, String, &str)> = vec![
        ("download a shared file", dav_outcome(&bob.get_bytes("notes.txt").await.map(|b| b.len())), "ok 5"),
        ("download inside a shared folder", dav_outcome(&bob.get_bytes("Team/plan.txt").await.map(|b| b.len())), "ok 4"),
        ("overwrite a shared file (19 has update)", dav_outcome(&bob.put("notes.txt", "bob's").await), "ok Overwritten"),
        ("create in a read-only folder", dav_outcome(&bob.put("Team/new.txt", "x").await), "forbidden"),
        ("delete in a read-only folder", dav_outcome(&bob.delete("Team/plan.txt").await), "forbidden"),
        ("below a shared file", dav_outcome(&bob.get("notes.txt/x").await), "not found"),
    ];
    for (what, got, want) in &rows {
        assert_eq!(got, want, "{what}");
    }
    assert_eq!(env.sim.file("alice", "notes.txt").unwrap(), "bob's");
    // More permissions, then bob can write into the folder: the file lands in alice's tree.
    let updated = shares.set_permissions(&folder.id, perm::ALL).await.unwrap();
    assert_eq!(updated.permissions, perm::ALL);
    assert_eq!(
        bob.put("Team/new.txt", "x").await.unwrap(),
        Written::Created
    );
    assert_eq!(env.sim.file("alice", "Team/new.txt").unwrap(), "x");
    // The link serves the file by token with an empty password; a wrong token is refused.
    assert_eq!(env.link(&token).get_bytes("").await.unwrap(), "bob's");
    assert!(matches!(
        env.link("not-a-token").get("").await,
        Err(DavError::Unauthorised)
    ));
    // alice sees her shares on her files.
    let hers = alice.propfind_details("", Depth::One).await.unwrap();
    assert_eq!(entry(&hers, "notes.txt").share_types, [0, 3]);
    assert_eq!(entry(&hers, "Team").share_types, [0]);
    assert!(entry(&hers, "welcome.txt").share_types.is_empty());
    // Deleting: 200, then 404 "Wrong share ID"; remove() of a gone share is fine.
    #[rustfmt::skip]
    let rows: Vec<(&str, String, &str)> = vec![
        ("bob may not delete alice's share", format!("{:?}", Shares::new(&bob_s).delete(&file.id).await.map_err(|e| e.to_string())), "Err(\"OCS 404: Could not delete share\")"),
        ("delete", format!("{:?}", shares.delete(&file.id).await.map_err(|e| e.to_string())), "Ok(())"),
        ("delete again", format!("{:?}", shares.delete(&file.id).await.map_err(|e| e.to_string())), "Err(\"no such share\")"),
        ("remove a gone share", format!("{:?}", shares.remove(&file.id).await.map_err(|e| e.to_string())), "Ok(())"),
        ("get a gone share", format!("{:?}", shares.get(&file.id).await.map(|s| s.id).map_err(|e| e.to_string())), "Err(\"no such share\")"),
        ("delete the link", format!("{:?}", shares.delete(&link.id).await.map_err(|e| e.to_string())), "Ok(())"),
    ];
    for (what, got, want) in &rows {
        assert_eq!(got, want, "{what}");
    }
    assert!(matches!(
        env.link(&token).get("").await,
        Err(DavError::Unauthorised)
    ));
    let root = bob.propfind("", Depth::One).await.unwrap();
    assert!(!root.iter().any(|e| e.name() == "notes.txt"), "{root:?}");
    // A folder link lists and serves what is inside.
    let flink = shares.link("Team").await.unwrap();
    let pub_dav = env.link(flink.token.as_deref().unwrap());
    assert_eq!(pub_dav.get_bytes("plan.txt").await.unwrap(), "plan");
    assert!(matches!(
        pub_dav.put("evil.txt", "x").await,
        Err(DavError::Forbidden)
    ));
    // Deleting bob removes what was shared with him.
    Ocs::new(&env.session("admin", "admin"))
        .delete_user("bob")
        .await
        .unwrap();
    assert!(
        shares
            .list()
            .await
            .unwrap()
            .iter()
            .all(|s| s.share_with.is_none())
    );
}

/// PROPPATCH, ownCloud's properties, X-OC-Mtime, MKCOL bodies, conditional requests, locks.
#[tokio::test]
async fn webdav_facts_hold() {
    let env = Env::start().await;
    let dav = env.dav("alice");
    dav.put("f.txt", "one").await.unwrap();
    // Favorites: 207 and a later PROPFIND returns them.
    dav.set_favorite("f.txt", true).await.unwrap();
    let d = dav.propfind_details("f.txt", Depth::Zero).await.unwrap();
    assert_eq!(
        (
            d[0].favorite,
            d[0].permissions.as_deref(),
            d[0].size,
            d[0].owner_id.as_deref()
        ),
        (Some(true), Some("RDNVW"), Some(3), Some("alice"))
    );
    assert!(d[0].file_id.is_some());
    dav.set_favorite("f.txt", false).await.unwrap();
    let d = dav.propfind_details("f.txt", Depth::Zero).await.unwrap();
    assert_eq!(d[0].favorite, Some(false));
    // Favorites are the user's: bob's view of a shared file does not see alice's.
    dav.set_favorite("f.txt", true).await.unwrap();
    Shares::new(&env.session("alice", "pw"))
        .with_user("f.txt", "bob")
        .await
        .unwrap();
    let bob = env
        .dav("bob")
        .propfind_details("f.txt", Depth::Zero)
        .await
        .unwrap();
    assert_eq!(bob[0].favorite, Some(false));
    // Dead properties are kept; live ones are refused.
    let ns = "urn:swarm:test";
    dav.proppatch(
        "f.txt",
        &[PropUpdate::Set {
            ns,
            name: "colour",
            value: "blue & green",
        }],
    )
    .await
    .unwrap();
    assert!(matches!(
        dav.proppatch("f.txt", &[PropUpdate::Set { ns: "DAV:", name: "getetag", value: "x" }]).await,
        Err(DavError::Refused(s)) if s == "403"
    ));
    // X-OC-Mtime is kept as getlastmodified.
    let opts = PutOptions {
        mtime: Some(1_500_000_000),
        ..PutOptions::default()
    };
    dav.put_with("old.txt", "old", &opts).await.unwrap();
    let d = dav.propfind("old.txt", Depth::Zero).await.unwrap();
    assert_eq!(
        d[0].last_modified.as_deref(),
        Some("Fri, 14 Jul 2017 02:40:00 GMT")
    );
    // Conditional requests and locks, one row each.
    let etag = dav.propfind("f.txt", Depth::Zero).await.unwrap()[0]
        .etag
        .clone()
        .unwrap();
    let lock = LockRequest {
        scope: LockScope::Exclusive,
        infinite: false,
        owner: "swarm",
        timeout_secs: 60,
    };
    #[rustfmt::skip]
    let mut rows: Vec<(&str, String, &str)> = vec![
        ("If-Match a stale ETag", dav_outcome(&dav.put_with("f.txt", "two", &PutOptions { if_match: Some("\"stale\""), ..PutOptions::default() }).await), "precondition failed"),
        ("If-Match the current ETag", dav_outcome(&dav.put_with("f.txt", "two", &PutOptions { if_match: Some(&etag), ..PutOptions::default() }).await), "ok Overwritten"),
        ("If-None-Match * on an existing file", dav_outcome(&dav.put_with("f.txt", "three", &PutOptions { create_only: true, ..PutOptions::default() }).await), "precondition failed"),
        ("If-None-Match * on a new file", dav_outcome(&dav.put_with("g.txt", "g", &PutOptions { create_only: true, ..PutOptions::default() }).await), "ok Created"),
        ("MKCOL with an XML body", dav_outcome(&env.session("alice", "pw").request("MKCOL", "/remote.php/dav/files/alice/withbody").header("Content-Type", "application/xml").body("<x/>").send().await.map(|r| r.status().as_u16()).map_err(DavError::from)), "bad request"),
        ("MKCOL with another body", dav_outcome(&env.session("alice", "pw").request("MKCOL", "/remote.php/dav/files/alice/withbody").body("afafafaf").send().await.map(|r| r.status().as_u16()).map_err(DavError::from)), "unsupported media type"),
    ];
    let token = dav.lock("f.txt", &lock).await.unwrap();
    assert!(!token.created && token.token.starts_with("opaquelocktoken:"));
    #[rustfmt::skip]
    rows.extend([
        ("PUT on a locked file without its token", dav_outcome(&dav.put("f.txt", "x").await), "locked"),
        ("a second exclusive lock", dav_outcome(&dav.lock("f.txt", &lock).await.map(|_| ())), "locked"),
        ("DELETE without the token", dav_outcome(&dav.delete("f.txt").await), "locked"),
        ("PUT with the token", dav_outcome(&dav.put_with("f.txt", "x", &PutOptions { lock_token: Some(&token.token), ..PutOptions::default() }).await), "ok Overwritten"),
        ("refresh", dav_outcome(&dav.refresh_lock("f.txt", &token.token).await), "ok ()"),
        ("unlock", dav_outcome(&dav.unlock("f.txt", &token.token).await), "ok ()"),
        ("unlock again", dav_outcome(&dav.unlock("f.txt", &token.token).await), "conflict: the parent folder is missing, or the lock token does not match"),
        ("PUT once unlocked", dav_outcome(&dav.put("f.txt", "y").await), "ok Overwritten"),
        ("lock an unmapped URL", dav_outcome(&dav.lock("new.txt", &lock).await.map(|t| t.created)), "ok true"),
        ("If-None-Match the current ETag", {
            let e = dav.propfind("g.txt", Depth::Zero).await.unwrap()[0].etag.clone().unwrap();
            dav_outcome(&dav.get_if_changed("g.txt", &e).await.map(|d| d.status))
        }, "ok 304"),
    ]);
    for (what, got, want) in &rows {
        assert_eq!(got, want, "{what}");
    }
}

/// What a recipient does with a mount point: rename it, delete it (unshare).
#[tokio::test]
async fn recipients_rename_and_unshare_mount_points() {
    let env = Env::start().await;
    let (alice_s, bob) = (env.session("alice", "pw"), env.dav("bob"));
    env.dav("alice").put("a.txt", "a").await.unwrap();
    let share = Shares::new(&alice_s)
        .with_user("a.txt", "bob")
        .await
        .unwrap();
    let names = |list: Vec<DavEntry>| {
        let mut n: Vec<String> = list.iter().map(|e| e.name().to_owned()).collect();
        n.retain(|x| x.ends_with(".txt") && x != "welcome.txt");
        n
    };
    #[rustfmt::skip]
    let rows: Vec<(&str, String, &str)> = vec![
        ("rename the mount point", dav_outcome(&bob.mv("a.txt", "renamed.txt", false).await), "ok Created"),
        ("listed under its new name", format!("{:?}", names(bob.propfind("", Depth::One).await.unwrap())), "[\"renamed.txt\"]"),
        ("reads through the new name", dav_outcome(&bob.get_bytes("renamed.txt").await.map(|b| b.len())), "ok 1"),
        ("the owner's file keeps its name", format!("{:?}", env.sim.file("alice", "a.txt").map(|b| b.len())), "Some(1)"),
        ("moving it into a folder is refused", dav_outcome(&bob.mv("renamed.txt", "Documents/x.txt", false).await), "forbidden"),
        ("delete the mount point", dav_outcome(&bob.delete("renamed.txt").await), "ok ()"),
        ("gone from the recipient", format!("{:?}", names(bob.propfind("", Depth::One).await.unwrap())), "[]"),
        ("the share is gone", format!("{:?}", Shares::new(&alice_s).get(&share.id).await.map(|s| s.id).map_err(|e| e.to_string())), "Err(\"no such share\")"),
        ("the owner's file stays", format!("{:?}", env.sim.file("alice", "a.txt").map(|b| b.len())), "Some(1)"),
    ];
    for (what, got, want) in &rows {
        assert_eq!(got, want, "{what}");
    }
}
