//! Chunked uploads (ownCloud's DAV "chunking v2"): MKCOL an upload folder under
//! `/remote.php/dav/uploads/{user}/`, PUT chunks, MOVE `.file` onto the target file.

#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is the failure report

mod common;

use common::{Conn, Jar, Req, Resp, propfind_entries, responses, send};
use owncloud_sim::{Sim, SimConfig};

const UP: &str = "/remote.php/dav/uploads/alice";
const FILES: &str = "/remote.php/dav/files/alice";

fn up(method: &str, path: &str) -> Req {
    Req::new(method, &format!("{UP}{path}")).basic("alice", "pw")
}

fn files(method: &str, path: &str) -> Req {
    Req::new(method, &format!("{FILES}{path}")).basic("alice", "pw")
}

/// MOVE of an upload's `.file` onto `dst` (below alice's files).
fn assemble(transfer: &str, dst: &str) -> Req {
    up("MOVE", &format!("/{transfer}/.file")).header("Destination", &format!("{FILES}{dst}"))
}

/// Three chunks of different sizes with bytes that are not text.
fn chunk(i: u8) -> Vec<u8> {
    (0..(1000 + u32::from(i) * 337))
        .map(|n| (n as u8) ^ (i.wrapping_mul(91)))
        .collect()
}

fn whole() -> Vec<u8> {
    [chunk(0), chunk(1), chunk(2)].concat()
}

/// One step: request, expected status, optional check.
struct Step {
    what: &'static str,
    req: Req,
    status: u16,
    check: fn(&Resp),
}

fn nothing(_: &Resp) {}

fn sabre(exception: &'static str) -> impl Fn(&Resp) {
    move |r: &Resp| {
        let t = r.text();
        assert!(
            t.contains(&format!(
                "<s:exception>Sabre\\DAV\\Exception\\{exception}</s:exception>"
            )),
            "{t}"
        );
    }
}

async fn sim_with_alice_and_bob() -> Sim {
    let sim = Sim::start(SimConfig::default()).await.unwrap();
    sim.create_user("alice", "pw").unwrap();
    sim.create_user("bob", "pw").unwrap();
    for (u, p) in [("alice", "pw"), ("bob", "pw")] {
        let warm = send(
            sim.addr(),
            &Req::new("PROPFIND", &format!("/remote.php/dav/files/{u}/"))
                .basic(u, p)
                .header("Depth", "0"),
        )
        .await;
        assert_eq!(warm.status, 207);
    }
    sim
}

async fn run(sim: &Sim, steps: Vec<Step>) {
    let mut c = Conn::open(sim.addr()).await;
    for s in steps {
        // A 400 closes the connection (Apache); reopen for the next step.
        let r = c.send(&s.req).await.unwrap();
        assert_eq!(r.status, s.status, "{}: {}", s.what, r.text());
        (s.check)(&r);
        if r.status == 400 {
            c = Conn::open(sim.addr()).await;
        }
    }
}

#[tokio::test]
async fn chunked_upload_codes() {
    let sim = sim_with_alice_and_bob().await;
    let total = whole().len().to_string();
    #[rustfmt::skip]
    let steps = vec![
        Step { what: "mkcol upload folder", req: up("MKCOL", "/t1"), status: 201, check: nothing },
        Step { what: "mkcol existing upload folder", req: up("MKCOL", "/t1"), status: 405, check: |r| sabre("MethodNotAllowed")(r) },
        Step { what: "mkcol the uploads home", req: up("MKCOL", "/"), status: 405, check: nothing },
        // Out of order on purpose: assembly goes by name, not by arrival.
        Step { what: "put chunk 2", req: up("PUT", "/t1/00002").body(chunk(2)), status: 201, check: |r| assert!(r.header("etag").is_some()) },
        Step { what: "put chunk 0", req: up("PUT", "/t1/00000").body(chunk(0)), status: 201, check: nothing },
        Step { what: "put chunk 1 (wrong data)", req: up("PUT", "/t1/00001").body("garbage"), status: 201, check: nothing },
        Step { what: "put chunk 1 again", req: up("PUT", "/t1/00001").body(chunk(1)), status: 204, check: |r| assert_eq!(r.header("etag"), r.header("oc-etag")) },
        Step { what: "chunk reads back", req: up("GET", "/t1/00001"), status: 200, check: |r| assert_eq!(r.body, chunk(1)) },
        Step { what: "propfind lists chunks and .file", req: up("PROPFIND", "/t1").header("Depth", "1"), status: 207, check: |r| {
            let t = r.text();
            let e = propfind_entries(&t);
            let hrefs: Vec<&str> = e.iter().map(|e| e.0.as_str()).collect();
            assert_eq!(hrefs, [
                "/remote.php/dav/uploads/alice/t1/",
                "/remote.php/dav/uploads/alice/t1/00000",
                "/remote.php/dav/uploads/alice/t1/00001",
                "/remote.php/dav/uploads/alice/t1/00002",
                "/remote.php/dav/uploads/alice/t1/.file",
            ], "{t}");
            assert_eq!(e[2].2, Some(chunk(1).len() as u64));
            assert_eq!(e[4].2, Some(whole().len() as u64));
        }},
        Step { what: "propfind the uploads home", req: up("PROPFIND", "/").header("Depth", "1"), status: 207, check: |r| assert_eq!(responses(&r.text()), 2, "{}", r.text()) },
        Step { what: "mkcol inside an upload", req: up("MKCOL", "/t1/sub"), status: 403, check: |r| sabre("Forbidden")(r) },
        Step { what: "put onto .file", req: up("PUT", "/t1/.file").body("x"), status: 403, check: nothing },
        Step { what: "put onto the upload folder", req: up("PUT", "/t1").body("x"), status: 409, check: nothing },
        Step { what: "wrong OC-Total-Length", req: assemble("t1", "/big.bin").header("OC-Total-Length", "5"), status: 400, check: |r| {
            sabre("BadRequest")(r);
            assert!(r.text().contains("Chunks on server do not sum up to 5 but to"), "{}", r.text());
            assert_eq!(r.header("connection"), Some("close"));
        }},
        Step { what: "upload survives a refused assembly", req: up("PROPFIND", "/t1").header("Depth", "0"), status: 207, check: nothing },
        Step { what: "assemble under a missing folder", req: assemble("t1", "/nope/big.bin"), status: 409, check: |r| sabre("Conflict")(r) },
        Step { what: "assemble into another home", req: up("MOVE", "/t1/.file").header("Destination", "/remote.php/dav/files/bob/x"), status: 403, check: nothing },
        Step { what: "assemble without destination", req: up("MOVE", "/t1/.file"), status: 400, check: nothing },
        Step { what: "assemble a chunk", req: up("MOVE", "/t1/00000").header("Destination", &format!("{FILES}/c")), status: 403, check: nothing },
        Step { what: "assemble", req: assemble("t1", "/big.bin").header("OC-Total-Length", &total), status: 201, check: |r| {
            let etag = r.header("etag").unwrap();
            assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
            assert_eq!(r.header("oc-etag"), Some(etag));
            assert!(r.header("oc-fileid").is_some());
        }},
        Step { what: "assembled file is the concatenation", req: files("GET", "/big.bin"), status: 200, check: |r| assert!(r.body == whole(), "assembled bytes differ") },
        Step { what: "assembled file's size", req: files("PROPFIND", "/big.bin").header("Depth", "0"), status: 207, check: |r| assert_eq!(propfind_entries(&r.text())[0].2, Some(whole().len() as u64)) },
        Step { what: "upload folder is gone", req: up("PROPFIND", "/t1").header("Depth", "0"), status: 404, check: nothing },
        Step { what: "assemble again", req: assemble("t1", "/big.bin"), status: 404, check: |r| sabre("NotFound")(r) },
        Step { what: "chunk into a missing upload", req: up("PUT", "/t1/00000").body("x"), status: 409, check: |r| sabre("Conflict")(r) },
        Step { what: "chunk into a never-made upload", req: up("PUT", "/nothing/0").body("x"), status: 409, check: nothing },
        Step { what: "mkcol inside a missing upload", req: up("MKCOL", "/nothing/sub"), status: 409, check: nothing },
        // Overwrite: a second upload onto the same path answers 204 and keeps the file id.
        Step { what: "mkcol t2", req: up("MKCOL", "/t2"), status: 201, check: nothing },
        Step { what: "t2 chunk a", req: up("PUT", "/t2/0001").body("second "), status: 201, check: nothing },
        Step { what: "t2 chunk b", req: up("PUT", "/t2/0002").body("version"), status: 201, check: nothing },
        Step { what: "overwrite F onto existing", req: assemble("t2", "/big.bin").header("Overwrite", "F"), status: 412, check: nothing },
        Step { what: "assemble over existing", req: assemble("t2", "/big.bin").header("OC-Total-Length", "14"), status: 204, check: |r| assert!(r.header("etag").is_some()) },
        Step { what: "overwritten content", req: files("GET", "/big.bin"), status: 200, check: |r| assert_eq!(r.body, b"second version") },
        // Byte offsets as names join in natural order, as ownCloud's strnatcmp does.
        Step { what: "mkcol t3", req: up("MKCOL", "/t3"), status: 201, check: nothing },
        Step { what: "t3 offset 10", req: up("PUT", "/t3/10").body("ccc"), status: 201, check: nothing },
        Step { what: "t3 offset 0", req: up("PUT", "/t3/0").body("aaaaa"), status: 201, check: nothing },
        Step { what: "t3 offset 5", req: up("PUT", "/t3/5").body("bbbbb"), status: 201, check: nothing },
        Step { what: "assemble offsets", req: assemble("t3", "/Documents/offsets.txt"), status: 201, check: nothing },
        Step { what: "offsets joined numerically", req: files("GET", "/Documents/offsets.txt"), status: 200, check: |r| assert_eq!(r.text(), "aaaaabbbbbccc") },
        // X-OC-Mtime on the assembling MOVE is kept, as on a plain PUT.
        Step { what: "mkcol t7", req: up("MKCOL", "/t7"), status: 201, check: nothing },
        Step { what: "t7 chunk", req: up("PUT", "/t7/0").body("old"), status: 201, check: nothing },
        Step { what: "assemble with X-OC-Mtime", req: assemble("t7", "/old.txt").header("X-OC-Mtime", "1500000000"), status: 201, check: |r| assert_eq!(r.header("x-oc-mtime"), Some("accepted")) },
        Step { what: "mtime kept", req: files("PROPFIND", "/old.txt").header("Depth", "0"), status: 207, check: |r| assert!(r.text().contains("Fri, 14 Jul 2017 02:40:00 GMT"), "{}", r.text()) },
        // Cancel.
        Step { what: "mkcol t4", req: up("MKCOL", "/t4"), status: 201, check: nothing },
        Step { what: "t4 chunk", req: up("PUT", "/t4/00000").body("never"), status: 201, check: nothing },
        Step { what: "delete a chunk", req: up("DELETE", "/t4/00000"), status: 204, check: nothing },
        Step { what: "delete a missing chunk", req: up("DELETE", "/t4/00000"), status: 404, check: nothing },
        Step { what: "cancel upload", req: up("DELETE", "/t4"), status: 204, check: nothing },
        Step { what: "cancelled upload is gone", req: up("PROPFIND", "/t4").header("Depth", "1"), status: 404, check: nothing },
        Step { what: "chunk after cancel", req: up("PUT", "/t4/00001").body("x"), status: 409, check: nothing },
        Step { what: "cancel again", req: up("DELETE", "/t4"), status: 404, check: nothing },
        Step { what: "cancelled upload made no file", req: files("GET", "/never"), status: 404, check: nothing },
        // Another user's uploads.
        Step { what: "mkcol in bob's uploads", req: Req::new("MKCOL", "/remote.php/dav/uploads/bob/t5").basic("alice", "pw"), status: 403, check: |r| sabre("Forbidden")(r) },
        Step { what: "put in bob's uploads", req: Req::new("PUT", "/remote.php/dav/uploads/bob/t5/0").basic("alice", "pw").body("x"), status: 403, check: nothing },
        Step { what: "propfind bob's uploads", req: Req::new("PROPFIND", "/remote.php/dav/uploads/bob/").basic("alice", "pw").header("Depth", "1"), status: 403, check: nothing },
        Step { what: "bob's own upload", req: Req::new("MKCOL", "/remote.php/dav/uploads/bob/t5").basic("bob", "pw"), status: 201, check: nothing },
        Step { what: "alice cannot cancel bob's upload", req: Req::new("DELETE", "/remote.php/dav/uploads/bob/t5").basic("alice", "pw"), status: 403, check: nothing },
        Step { what: "alice's t5 is not bob's", req: up("PROPFIND", "/t5").header("Depth", "0"), status: 404, check: nothing },
        // The auth gate of files.
        Step { what: "wrong password", req: Req::new("MKCOL", "/remote.php/dav/uploads/alice/t6").basic("alice", "nope"), status: 401, check: |r| assert!(r.header("www-authenticate").is_some()) },
        Step { what: "no auth", req: Req::new("MKCOL", "/remote.php/dav/uploads/alice/t6"), status: 401, check: nothing },
        Step { what: "traversal", req: up("MKCOL", "/%2e%2e/x"), status: 400, check: nothing },
        Step { what: "bare uploads root", req: Req::new("PROPFIND", "/remote.php/dav/uploads").basic("alice", "pw"), status: 404, check: nothing },
    ];
    run(&sim, steps).await;
    assert_eq!(
        sim.file("alice", "Documents/offsets.txt").as_deref(),
        Some(&b"aaaaabbbbbccc"[..])
    );
    sim.shutdown().await;
}

#[tokio::test]
async fn assembled_file_matches_get_etag_and_keeps_file_id() {
    let sim = sim_with_alice_and_bob().await;
    let mut c = Conn::open(sim.addr()).await;
    let mut ids = Vec::new();
    for (transfer, created) in [("a", 201), ("b", 204)] {
        assert_eq!(
            c.send(&up("MKCOL", &format!("/{transfer}")))
                .await
                .unwrap()
                .status,
            201
        );
        for i in 0..3u8 {
            let r = c
                .send(&up("PUT", &format!("/{transfer}/{i:05}")).body(chunk(i)))
                .await
                .unwrap();
            assert_eq!(r.status, 201);
        }
        let mv = c.send(&assemble(transfer, "/same.bin")).await.unwrap();
        assert_eq!(mv.status, created, "{}", mv.text());
        let get = c.send(&files("GET", "/same.bin")).await.unwrap();
        assert!(get.body == whole());
        assert_eq!(get.header("etag"), mv.header("etag"));
        assert_eq!(get.header("oc-fileid"), mv.header("oc-fileid"));
        ids.push(mv.header("oc-fileid").unwrap().to_owned());
    }
    assert_eq!(ids[0], ids[1], "an overwrite keeps the file id");
    sim.shutdown().await;
}

#[tokio::test]
async fn session_cookie_alone_authenticates_uploads() {
    let sim = sim_with_alice_and_bob().await;
    let mut c = Conn::open(sim.addr()).await;
    let mut jar = Jar::default();
    for _ in 0..2 {
        let r = c
            .send(&files("PROPFIND", "/").header("Depth", "0").jar(&jar))
            .await
            .unwrap();
        jar.absorb(&r);
    }
    let r = c
        .send(&Req::new("MKCOL", &format!("{UP}/ck")).jar(&jar))
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
    let r = c
        .send(
            &Req::new("PUT", &format!("{UP}/ck/0"))
                .jar(&jar)
                .body("cookie"),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201);
    let r = c
        .send(
            &Req::new("MOVE", &format!("{UP}/ck/.file"))
                .jar(&jar)
                .header("Destination", &format!("{}{FILES}/ck.txt", sim.url())),
        )
        .await
        .unwrap();
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(sim.file("alice", "ck.txt").as_deref(), Some(&b"cookie"[..]));
    sim.shutdown().await;
}

#[tokio::test]
async fn parallel_uploads_and_racing_assemblies() {
    let sim = sim_with_alice_and_bob().await;
    let addr = sim.addr();
    // Many uploads of one user at once, chunks of each sent in parallel too.
    let mut tasks = Vec::new();
    for n in 0..16u8 {
        tasks.push(tokio::spawn(async move {
            let t = format!("p{n}");
            assert_eq!(send(addr, &up("MKCOL", &format!("/{t}"))).await.status, 201);
            let puts: Vec<_> = (0..3u8)
                .map(|i| {
                    let req = up("PUT", &format!("/{t}/{i:03}")).body(chunk(i ^ (n % 3)));
                    tokio::spawn(async move { send(addr, &req).await.status })
                })
                .collect();
            for p in puts {
                assert_eq!(p.await.unwrap(), 201);
            }
            let r = send(addr, &assemble(&t, &format!("/par{n}.bin"))).await;
            assert_eq!(r.status, 201, "{}", r.text());
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    for n in 0..16u8 {
        let want: Vec<u8> = (0..3u8).flat_map(|i| chunk(i ^ (n % 3))).collect();
        assert!(
            sim.file("alice", &format!("par{n}.bin")).unwrap() == want,
            "par{n}"
        );
    }
    // Two MOVEs of one `.file`: exactly one assembles it, the other finds it gone.
    for round in 0..8 {
        let t = format!("race{round}");
        assert_eq!(send(addr, &up("MKCOL", &format!("/{t}"))).await.status, 201);
        assert_eq!(
            send(addr, &up("PUT", &format!("/{t}/0")).body("racing"))
                .await
                .status,
            201
        );
        let (ra, rb) = (assemble(&t, "/race-a.txt"), assemble(&t, "/race-b.txt"));
        let a = tokio::spawn(async move { send(addr, &ra).await.status });
        let b = tokio::spawn(async move { send(addr, &rb).await.status });
        let mut codes = [a.await.unwrap(), b.await.unwrap()];
        codes.sort_unstable();
        assert!(codes == [201, 404] || codes == [204, 404], "{codes:?}");
    }
    sim.shutdown().await;
}
