//! Concurrency: many users hammering their homes in parallel leave consistent trees, and the
//! first-login race behaves like ownCloud's (and only when asked to).

#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is the failure report

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{Conn, Jar, Req, propfind_entries, send};
use owncloud_sim::{Sim, SimConfig};

const USERS: usize = 50;
const OPS: usize = 200;
const WORKERS_PER_USER: usize = 4;
const FILES: usize = 4;

type Written = Arc<Mutex<HashMap<String, HashSet<Vec<u8>>>>>;

fn path(user: &str, file: &str) -> String {
    format!("/remote.php/dav/files/{user}/{file}")
}

async fn worker(sim_addr: std::net::SocketAddr, user: String, w: usize, written: Written) {
    let mut conn = Conn::open(sim_addr).await;
    let mut jar = Jar::default();
    for i in 0..OPS / WORKERS_PER_USER {
        let f = format!("f{}.txt", (i + w) % FILES);
        let req = match (i * 7 + w) % 6 {
            0 | 1 => {
                let body = format!("{user}/{f}/w{w}/v{i}/{}", "x".repeat(i * 13 % 300));
                written
                    .lock()
                    .unwrap()
                    .entry(f.clone())
                    .or_default()
                    .insert(body.clone().into_bytes());
                Req::new("PUT", &path(&user, &f)).body(body)
            }
            2 | 3 => Req::new("GET", &path(&user, &f)),
            4 => Req::new("MOVE", &path(&user, &f)).header(
                "Destination",
                &path(&user, &format!("f{}.txt", (i + w + 1) % FILES)),
            ),
            _ => Req::new("PROPFIND", &path(&user, "")).header("Depth", "1"),
        };
        let req = req.basic(&user, "pw").jar(&jar);
        let r = conn.send(&req).await.unwrap();
        jar.absorb(&r);
        match req.method.as_str() {
            "PUT" => assert!(matches!(r.status, 201 | 204), "PUT {}", r.status),
            "GET" => match r.status {
                200 => {
                    let w = written.lock().unwrap();
                    assert!(
                        w.values().any(|set| set.contains(&r.body)),
                        "GET returned a version nobody wrote: {:?}",
                        r.text()
                    );
                }
                404 => {}
                s => panic!("GET {s}"),
            },
            "MOVE" => assert!(matches!(r.status, 201 | 204 | 404), "MOVE {}", r.status),
            _ => assert_eq!(r.status, 207),
        }
    }
}

/// After the storm: every file PROPFIND lists is a written version, with matching length/etag.
async fn check_user(addr: std::net::SocketAddr, user: &str, written: &Written) {
    let mut conn = Conn::open(addr).await;
    let r = conn
        .send(
            &Req::new("PROPFIND", &path(user, ""))
                .basic(user, "pw")
                .header("Depth", "1"),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 207);
    let all: HashSet<Vec<u8>> = written
        .lock()
        .unwrap()
        .values()
        .flatten()
        .cloned()
        .collect();
    let mut seen = 0;
    for (href, etag, len) in propfind_entries(&r.text()) {
        let Some(name) = href.strip_prefix(&path(user, "")) else {
            panic!("{href}")
        };
        if !name.starts_with('f') {
            continue;
        }
        seen += 1;
        let g = conn
            .send(&Req::new("GET", &href).basic(user, "pw"))
            .await
            .unwrap();
        assert_eq!(g.status, 200, "{href}");
        assert!(all.contains(&g.body), "{href}: unwritten content");
        assert_eq!(Some(g.body.len() as u64), len, "{href}: length");
        assert_eq!(g.header("etag").map(str::to_owned), etag, "{href}: etag");
    }
    assert!(seen > 0, "{user} kept some files");
}

async fn storm(cfg: SimConfig) -> Sim {
    let sim = Sim::start(cfg).await.unwrap();
    let users: Vec<String> = (0..USERS).map(|i| format!("user{i:02}")).collect();
    for u in &users {
        sim.create_user(u, "pw").unwrap();
        // Warm each user once, as a scenario must on ownCloud (first-login race).
        let r = send(
            sim.addr(),
            &Req::new("PROPFIND", &path(u, "")).basic(u, "pw"),
        )
        .await;
        assert_eq!(r.status, 207);
    }
    let mut tasks = Vec::new();
    let mut per_user = Vec::new();
    for u in &users {
        let written: Written = Arc::default();
        per_user.push((u.clone(), written.clone()));
        for w in 0..WORKERS_PER_USER {
            tasks.push(tokio::spawn(worker(
                sim.addr(),
                u.clone(),
                w,
                written.clone(),
            )));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    for (u, written) in &per_user {
        check_user(sim.addr(), u, written).await;
    }
    sim
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_users_two_hundred_ops_in_memory() {
    let sim = storm(SimConfig::default()).await;
    assert_eq!(sim.user_ids().len(), USERS + 1);
    sim.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fifty_users_two_hundred_ops_on_disk() {
    let dir = std::env::temp_dir().join(format!("ocsim-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let sim = storm(SimConfig {
        data_dir: Some(dir.clone()),
        ..SimConfig::default()
    })
    .await;
    // Disk mirrors memory for every file.
    for u in ["user00", "user17", "user49"] {
        let files = dir.join(u).join("files");
        let mut on_disk = 0;
        for entry in std::fs::read_dir(&files).unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().unwrap();
            assert!(!name.starts_with(".ocsim-part"), "temp file left: {name}");
            if entry.file_type().unwrap().is_file() {
                on_disk += 1;
                let content = std::fs::read(entry.path()).unwrap();
                assert_eq!(
                    sim.file(u, &name).as_deref(),
                    Some(&content[..]),
                    "{u}/{name}"
                );
            }
        }
        assert!(on_disk >= 2, "skeleton and written files are on disk");
    }
    sim.shutdown().await;
    std::fs::remove_dir_all(&dir).unwrap();
}

async fn parallel_first_requests(race: bool) -> Vec<(u16, String)> {
    let sim = Sim::start(SimConfig {
        first_login_race: race,
        skeleton_copy_time: Duration::from_millis(300),
        ..SimConfig::default()
    })
    .await
    .unwrap();
    sim.create_user("newbie", "pw").unwrap();
    let addr = sim.addr();
    let mut tasks = Vec::new();
    for i in 0..8 {
        tasks.push(tokio::spawn(async move {
            if i > 0 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            let req = if i % 2 == 0 {
                Req::new("PROPFIND", "/remote.php/dav/files/newbie/").basic("newbie", "pw")
            } else {
                Req::new("GET", "/ocs/v1.php/cloud/users/newbie").basic("newbie", "pw")
            };
            let r = send(addr, &req).await;
            (r.status, r.text())
        }));
    }
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    sim.shutdown().await;
    out
}

#[tokio::test]
async fn first_login_race_fails_like_owncloud() {
    let results = parallel_first_requests(true).await;
    assert_eq!(results[0].0, 207, "the first request copies and succeeds");
    let locked = results
        .iter()
        .filter(|(s, t)| *s == 503 && t.contains("is locked"))
        .count();
    let empty_ocs = results
        .iter()
        .filter(|(s, t)| *s == 200 && t.is_empty())
        .count();
    assert_eq!(locked, 3, "{results:?}");
    assert_eq!(empty_ocs, 4, "{results:?}");
}

#[tokio::test]
async fn first_login_race_off_waits() {
    let results = parallel_first_requests(false).await;
    for (s, t) in &results {
        assert!(
            *s == 207 || (*s == 200 && t.contains("<id>newbie</id>")),
            "{s} {t}"
        );
    }
}

#[tokio::test]
async fn sequential_first_requests_never_fail() {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    for i in 0..20 {
        let u = format!("seq{i}");
        sim.create_user(&u, "pw").unwrap();
        let r = send(
            sim.addr(),
            &Req::new("GET", &path(&u, "welcome.txt")).basic(&u, "pw"),
        )
        .await;
        assert_eq!(r.status, 200, "{u}");
        let r = send(
            sim.addr(),
            &Req::new("GET", &path(&u, "welcome.txt")).basic(&u, "pw"),
        )
        .await;
        assert_eq!(r.status, 200, "{u}");
    }
    sim.shutdown().await;
}
