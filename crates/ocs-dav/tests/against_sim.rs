//! ocs-dav against a real server: owncloud-sim on 127.0.0.1, every documented outcome typed
//! and recorded under grouped names.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use ocs_dav::dav::{Chunking, Dav, DavError, Depth, Written};
use ocs_dav::ocs::{Format, NewUser, Ocs, OcsError, OrGone, Version};
use owncloud_sim::{Sim, SimConfig};
use swarm_core::metrics::Metrics;
use swarm_http::{Client, ClientOptions, Session};

struct Env {
    sim: Sim,
    metrics: Metrics,
    client: Client,
}

impl Env {
    async fn start() -> Self {
        let sim = Sim::start(SimConfig::default()).await.unwrap();
        let metrics = Metrics::default();
        let client = Client::new(metrics.recorder(), ClientOptions::default());
        Self {
            sim,
            metrics,
            client,
        }
    }
    fn session(&self, user: &str, password: &str) -> Session {
        Session::new(&self.client, &self.sim.url())
            .unwrap()
            .with_basic_auth(user, password)
    }
    fn admin(&self) -> Session {
        self.session("admin", "admin")
    }
    /// (kind, name) -> (requests, failures)
    fn row(&self, kind: &str, name: &str) -> (u64, u64) {
        let snap = self.metrics.snapshot();
        snap.entries
            .iter()
            .find(|e| e.kind == kind && e.name == name)
            .map_or((0, 0), |e| (e.num_requests, e.num_failures))
    }
}

fn outcome<T>(r: Result<T, OcsError>) -> String {
    match r {
        Ok(_) => "ok".into(),
        Err(OcsError::Invalid(_)) => "invalid".into(),
        Err(e) => e.to_string(),
    }
}

/// BRIEF section 5's provisioning table, over v1 and v2 and XML and JSON.
#[tokio::test]
async fn provisioning_outcomes_are_typed_in_every_version_and_format() {
    let env = Env::start().await;
    for (i, (version, format)) in [
        (Version::V1, Format::Xml),
        (Version::V1, Format::Json),
        (Version::V2, Format::Xml),
        (Version::V2, Format::Json),
    ]
    .into_iter()
    .enumerate()
    {
        let admin = env.admin();
        let ocs = Ocs::new(&admin).version(version).format(format);
        let user = format!("alice{i}");
        let case = format!("{version:?}/{format:?}");
        assert_eq!(
            outcome(ocs.create_user(&user, "secret").await),
            "ok",
            "{case}"
        );
        assert_eq!(
            outcome(ocs.create_user(&user, "secret").await),
            "user already exists",
            "{case}"
        );
        assert_eq!(
            outcome(ocs.create_user("ab", "secret").await),
            "invalid",
            "{case}: short id"
        );
        assert_eq!(
            outcome(ocs.create_user(&format!("bob{i}"), "").await),
            "invalid",
            "{case}: empty password"
        );
        let info = ocs.get_user(&user).await.unwrap();
        assert_eq!(
            (info.id.as_str(), info.enabled),
            (user.as_str(), true),
            "{case}"
        );
        let listed = ocs.list_users(Some(&user), None, None).await.unwrap();
        assert_eq!(listed, std::slice::from_ref(&user), "{case}");
        assert_eq!(outcome(ocs.disable_user(&user).await), "ok", "{case}");
        assert!(!ocs.get_user(&user).await.unwrap().enabled, "{case}");
        assert_eq!(outcome(ocs.delete_user(&user).await), "ok", "{case}");
        assert_eq!(outcome(ocs.delete_user(&user).await), "not found", "{case}");
        assert_eq!(
            outcome(ocs.delete_user(&user).await.or_gone()),
            "ok",
            "{case}"
        );
        assert_eq!(outcome(ocs.remove_user(&user).await), "ok", "{case}");
        assert_eq!(outcome(ocs.get_user(&user).await), "not found", "{case}");
        let wrong = env.session("admin", "wrong");
        assert!(
            matches!(
                Ocs::new(&wrong)
                    .version(version)
                    .format(format)
                    .list_users(None, None, None)
                    .await,
                Err(OcsError::Unauthorised)
            ),
            "{case}"
        );
    }
    assert!(!env.sim.user_ids().iter().any(|u| u.starts_with("alice")));
    // remove_user of a missing account is a success in the stats; delete_user's is a failure.
    let (reqs, fails) = env.row("DELETE", "/ocs/v2.php/cloud/users/[userid]");
    assert_eq!(
        (reqs, fails),
        (8, 4),
        "v2 xml + json: ok, missing, missing, remove"
    );
}

#[tokio::test]
async fn groups_and_membership() {
    let env = Env::start().await;
    let admin = env.admin();
    let ocs = Ocs::new(&admin);
    ocs.create_user_with(&NewUser {
        userid: "carol",
        password: "pw",
        email: Some("c@example.test"),
        display_name: Some("Carol"),
        groups: &[],
    })
    .await
    .unwrap();
    ocs.create_group("testers").await.unwrap();
    assert!(matches!(
        ocs.create_group("testers").await,
        Err(OcsError::GroupExists)
    ));
    assert!(matches!(
        ocs.version(Version::V1).create_group("testers").await,
        Err(OcsError::GroupExists)
    ));
    ocs.add_to_group("carol", "testers").await.unwrap();
    assert!(
        ocs.list_groups(None)
            .await
            .unwrap()
            .contains(&"testers".to_owned())
    );
    ocs.remove_from_group("carol", "testers").await.unwrap();
    ocs.delete_group("testers").await.unwrap();
    assert!(matches!(
        ocs.delete_group("testers").await,
        Err(OcsError::NotFound)
    ));
    ocs.delete_user("carol").await.unwrap();
}

/// The seed's pitfall: once the user's session is warm, an admin DELETE sent through the
/// user's jar runs as the user and is refused (401, 997); a fresh session succeeds.
#[tokio::test]
async fn admin_delete_through_the_users_jar_is_refused_and_a_fresh_session_works() {
    let env = Env::start().await;
    Ocs::new(&env.admin())
        .create_user("dave", "davepw")
        .await
        .unwrap();
    let mut session = env.session("dave", "davepw");
    for _ in 0..2 {
        session
            .get("/remote.php/dav/files/dave/welcome.txt")
            .send()
            .await
            .unwrap();
    }
    // The seed's mistake: admin credentials on the user's own session (its jar).
    session.set_basic_auth("admin", "admin");
    let reused = session;
    assert!(matches!(
        Ocs::new(&reused).delete_user("dave").await,
        Err(OcsError::Unauthorised)
    ));
    assert_eq!(
        env.row("DELETE", "/ocs/v2.php/cloud/users/[userid]"),
        (1, 1)
    );
    Ocs::new(&env.admin()).delete_user("dave").await.unwrap();
    assert!(!env.sim.user_ids().contains(&"dave".to_owned()));
}

#[tokio::test]
async fn webdav_round_trips_awkward_names_and_types_every_code() {
    let env = Env::start().await;
    Ocs::new(&env.admin())
        .create_user("erin", "erinpw")
        .await
        .unwrap();
    let dav = Dav::new(env.session("erin", "erinpw"), "erin");
    dav.propfind("", Depth::Zero).await.unwrap();
    let names = [
        "plain.txt",
        "with space.txt",
        "ü Документ.txt",
        "hash#tag.txt",
        "what?.txt",
        "100%.txt",
    ];
    for (i, name) in names.iter().enumerate() {
        assert_eq!(
            dav.put(name, format!("content {i}")).await.unwrap(),
            Written::Created,
            "{name}"
        );
        assert_eq!(
            dav.put(name, format!("content {i}!")).await.unwrap(),
            Written::Overwritten,
            "{name}"
        );
        assert_eq!(
            dav.get_bytes(name).await.unwrap(),
            format!("content {i}!").as_bytes(),
            "{name}"
        );
    }
    let listing = dav.propfind("", Depth::One).await.unwrap();
    for name in names {
        let entry = listing
            .iter()
            .find(|e| e.name() == name)
            .unwrap_or_else(|| panic!("{name} not listed: {listing:?}"));
        assert!(!entry.is_collection);
        assert_eq!(entry.content_length, Some(10), "{name}");
    }
    assert!(
        listing
            .iter()
            .any(|e| e.name() == "Documents" && e.is_collection)
    );
    dav.mkcol("dir").await.unwrap();
    assert!(matches!(
        dav.mkcol("dir").await,
        Err(DavError::AlreadyExists)
    ));
    assert!(matches!(
        dav.mkcol("missing/dir").await,
        Err(DavError::Conflict)
    ));
    assert!(matches!(
        dav.put("missing/file.txt", "x").await,
        Err(DavError::Conflict)
    ));
    assert_eq!(
        dav.copy("plain.txt", "dir/copy.txt", false).await.unwrap(),
        Written::Created
    );
    assert!(matches!(
        dav.copy("plain.txt", "dir/copy.txt", false).await,
        Err(DavError::PreconditionFailed)
    ));
    assert_eq!(
        dav.copy("plain.txt", "dir/copy.txt", true).await.unwrap(),
        Written::Overwritten
    );
    assert_eq!(
        dav.mv("dir/copy.txt", "dir/moved.txt", false)
            .await
            .unwrap(),
        Written::Created
    );
    dav.delete("dir/moved.txt").await.unwrap();
    assert!(matches!(
        dav.delete("dir/moved.txt").await,
        Err(DavError::NotFound)
    ));
    assert!(matches!(dav.get("nope.txt").await, Err(DavError::NotFound)));
    let wrong = Dav::new(env.session("erin", "bad"), "erin");
    assert!(matches!(
        wrong.get("plain.txt").await,
        Err(DavError::Unauthorised)
    ));
    // Another user's home: 404 on GET.
    let other = Dav::new(env.session("erin", "erinpw"), "admin");
    assert!(matches!(
        other.get("welcome.txt").await,
        Err(DavError::NotFound)
    ));
    // Recorded under names that group users, not one row per user.
    assert_eq!(
        env.row("PUT", "/remote.php/dav/files/[user]/with%20space.txt"),
        (2, 0)
    );
    let named = dav.named("[file]");
    named.put("a-uuid-name.txt", "x").await.unwrap();
    assert_eq!(
        env.row("PUT", "/remote.php/dav/files/[user]/[file]"),
        (1, 0)
    );
}

#[tokio::test]
async fn big_uploads_go_through_chunking_and_arrive_whole() {
    let env = Env::start().await;
    Ocs::new(&env.admin())
        .create_user("frank", "frankpw")
        .await
        .unwrap();
    let dav = Dav::new(env.session("frank", "frankpw"), "frank").with_chunking(Chunking {
        threshold: 1000,
        chunk_size: 400,
    });
    dav.propfind("", Depth::Zero).await.unwrap();
    let body: Vec<u8> = (0..1100u32).map(|i| (i % 251) as u8).collect();
    assert_eq!(
        dav.put("big.bin", body.clone()).await.unwrap(),
        Written::Created
    );
    assert_eq!(dav.get_bytes("big.bin").await.unwrap(), body);
    assert_eq!(
        env.row("PUT", "/remote.php/dav/uploads/[user]/[transfer]/[chunk]"),
        (3, 0)
    );
    assert_eq!(
        env.row("MOVE", "/remote.php/dav/uploads/[user]/[transfer]/.file"),
        (1, 0)
    );
    // From a file too, overwriting.
    let path = std::env::temp_dir().join(format!("ocs-dav-big-{}.bin", std::process::id()));
    std::fs::write(&path, &body[..1050]).unwrap();
    assert_eq!(
        dav.put_file("big.bin", &path).await.unwrap(),
        Written::Overwritten
    );
    assert_eq!(dav.get_bytes("big.bin").await.unwrap(), &body[..1050]);
    let _ = std::fs::remove_file(path);
    // Small uploads stay a single PUT.
    dav.put("small.bin", vec![1u8; 10]).await.unwrap();
    assert_eq!(
        env.row("PUT", "/remote.php/dav/files/[user]/small.bin"),
        (1, 0)
    );
}
