//! The `owncloud-sim` binary: first stdout line is the base URL, SIGTERM stops it cleanly.

#![allow(clippy::unwrap_used)] // tests may unwrap: a panic is the failure report

mod common;

use std::io::BufRead as _;
use std::process::{Command, Stdio};

use common::{Req, send};

#[tokio::test]
async fn prints_url_first_and_stops_on_sigterm() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_owncloud-sim"))
        .args(["--port", "0", "--threads", "1", "--admin-user", "root"])
        .env("OWNCLOUD_SIM_ADMIN_PASSWORD", "s3cret")
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line.trim();
    assert!(url.starts_with("http://127.0.0.1:"), "{url}");
    let addr: std::net::SocketAddr = url.trim_start_matches("http://").parse().unwrap();
    let r = send(
        addr,
        &Req::new("GET", "/ocs/v1.php/cloud/users").basic("root", "s3cret"),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text());
    let r = send(
        addr,
        &Req::new("GET", "/ocs/v1.php/cloud/users").basic("root", "admin"),
    )
    .await;
    assert_eq!(r.status, 401);
    let killed = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
}

#[test]
fn bad_flags_exit_with_usage_error() {
    let out = Command::new(env!("CARGO_BIN_EXE_owncloud-sim"))
        .args(["--auth-cost", "soon"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}
