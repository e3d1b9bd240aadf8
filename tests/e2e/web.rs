//! The web UI and its Locust-compatible HTTP API, driven by real clients and headless Chromium.

mod api;
mod browser;
mod guard;

use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, ExitStatus, Stdio};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};
use swarm_tests::swarm;

/// `swarm run owncloud` with the web UI on a free 127.0.0.1 port; killed on drop.
pub(crate) struct WebSwarm {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub(crate) url: String,
    output: Arc<Mutex<String>>,
    agent: ureq::Agent,
}

/// Collects a child's stream into `output`, and hands the web UI's URL to `url` once logged.
fn drain(
    stream: impl Read + Send + 'static,
    output: Arc<Mutex<String>>,
    url: Option<mpsc::Sender<String>>,
) {
    thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if let Some(tx) = &url {
                if let Some(at) = line.find("Starting web interface at ") {
                    let _ = tx.send(
                        line[at + "Starting web interface at ".len()..]
                            .trim()
                            .to_owned(),
                    );
                }
            }
            let mut out = output.lock().unwrap();
            out.push_str(&line);
            out.push('\n');
        }
    });
}

impl WebSwarm {
    /// Starts the owncloud scenario against `sim_url` with `extra` flags, and waits for the UI.
    pub(crate) fn start(sim_url: &str, extra: &[&str]) -> Self {
        let mut cmd = swarm();
        cmd.args(["run", "owncloud", "--host", sim_url, "--web-port", "0"])
            .args(["--wait", "100ms", "--stop-timeout", "10s"])
            .args(extra)
            .env("SWARM_ADMIN_PASSWORD", "admin");
        Self::spawn(cmd)
    }

    /// Starts `cmd` (a run with the web UI on `--web-port 0`) and waits for the UI.
    pub(crate) fn spawn(mut cmd: std::process::Command) -> Self {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("cannot start swarm");
        let output = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = mpsc::channel();
        drain(child.stderr.take().unwrap(), Arc::clone(&output), Some(tx));
        drain(child.stdout.take().unwrap(), Arc::clone(&output), None);
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(60)))
            .build()
            .into();
        let mut web = Self {
            child,
            url: String::new(),
            output,
            agent,
        };
        web.url = rx
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("the web UI did not start:\n{}", web.output()));
        web
    }

    /// Everything swarm printed so far.
    pub(crate) fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }

    /// A request to `path` on the UI.
    pub(crate) fn request(
        &self,
        method: &str,
        path: &str,
    ) -> ureq::RequestBuilder<ureq::typestate::WithoutBody> {
        let url = format!("{}{path}", self.url);
        match method {
            "GET" => self.agent.get(&url),
            "DELETE" => self.agent.delete(&url),
            other => panic!("no body-less {other} here"),
        }
    }

    /// A POST to `path` on the UI.
    pub(crate) fn post(&self, path: &str) -> ureq::RequestBuilder<ureq::typestate::WithBody> {
        self.agent.post(&format!("{}{path}", self.url))
    }

    /// `GET path`: status and body.
    pub(crate) fn get(&self, path: &str) -> (u16, String) {
        answer(self.request("GET", path).call())
    }

    /// `POST path` with form fields: status and JSON body.
    pub(crate) fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> (u16, Value) {
        let (status, body) = answer(self.post(path).send_form(fields.iter().copied()));
        let json = serde_json::from_str(&body).unwrap_or_else(|e| {
            panic!("POST {path} answered {status} with non-JSON ({e}): {body}")
        });
        (status, json)
    }

    /// `GET /stats/requests`.
    pub(crate) fn stats(&self) -> Value {
        let (status, body) = self.get("/stats/requests");
        assert_eq!(status, 200, "{body}");
        serde_json::from_str(&body).expect("stats are JSON")
    }

    /// Polls `/stats/requests` until `ok` holds; fails after `limit` naming `what`.
    pub(crate) fn wait_stats(
        &self,
        what: &str,
        limit: Duration,
        ok: impl Fn(&Value) -> bool,
    ) -> Value {
        let deadline = Instant::now() + limit;
        loop {
            let stats = self.stats();
            if ok(&stats) {
                return stats;
            }
            assert!(
                Instant::now() < deadline,
                "{what}: not within {limit:?}; last stats: state {} users {}\n{}",
                stats["state"],
                stats["user_count"],
                self.output()
            );
            thread::sleep(Duration::from_millis(100));
        }
    }

    /// Sends SIGTERM and waits (bounded) for the exit.
    pub(crate) fn terminate(&mut self, limit: Duration) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = std::process::Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("cannot run kill");
        assert!(sent.success());
        let deadline = Instant::now() + limit;
        loop {
            if let Some(status) = self.child.try_wait().expect("cannot poll swarm") {
                // Let the drain threads catch the last lines.
                thread::sleep(Duration::from_millis(100));
                return status;
            }
            assert!(
                Instant::now() < deadline,
                "swarm did not exit within {limit:?} of SIGTERM:\n{}",
                self.output()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for WebSwarm {
    fn drop(&mut self) {
        if self.child.try_wait().ok().flatten().is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Status and body text of a ureq answer.
pub(crate) fn answer(result: Result<http::Response<ureq::Body>, ureq::Error>) -> (u16, String) {
    let mut response = result.expect("no answer from the web UI");
    let status = response.status().as_u16();
    let body = response
        .body_mut()
        .read_to_string()
        .expect("unreadable body");
    (status, body)
}

/// Polls `f` until it gives a value; fails after `limit` naming `what`.
pub(crate) fn eventually<T>(what: &str, limit: Duration, mut f: impl FnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f() {
            return v;
        }
        assert!(Instant::now() < deadline, "{what}: not within {limit:?}");
        thread::sleep(Duration::from_millis(100));
    }
}
