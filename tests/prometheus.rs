//! A real Prometheus (Debian's `prometheus` 2.42) started by a test on 127.0.0.1 with its own
//! config and data directory: it scrapes a target, or receives remote-write, and answers
//! PromQL over its HTTP API. Killed on drop.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A running Prometheus.
pub struct Prometheus {
    child: Child,
    /// `http://127.0.0.1:PORT`.
    pub url: String,
    dir: PathBuf,
    agent: ureq::Agent,
}

/// A free port on 127.0.0.1 (free when asked; the caller binds it soon after).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("no free port")
        .port()
}

impl Prometheus {
    /// Starts Prometheus in a fresh directory named after `name`, scraping `scrape`
    /// (`127.0.0.1:PORT`) every second if given, and accepting remote-write if asked.
    pub fn start(name: &str, scrape: Option<&str>, remote_write_receiver: bool) -> Self {
        let binary = crate::find_installed(&["/usr/bin/prometheus"], "Prometheus", "prometheus");
        let dir = crate::temp_dir(&format!("prometheus-{name}"));
        let mut config = String::from("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n");
        if let Some(target) = scrape {
            config.push_str(&format!(
                "scrape_configs:\n  - job_name: swarm\n    static_configs:\n      - targets: ['{target}']\n"
            ));
        }
        let config_path = dir.join("prometheus.yml");
        std::fs::write(&config_path, config).expect("cannot write the config");
        let port = free_port();
        let log = std::fs::File::create(dir.join("prometheus.log")).expect("cannot create the log");
        let mut cmd = Command::new(binary);
        cmd.arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log);
        if remote_write_receiver {
            cmd.arg("--web.enable-remote-write-receiver");
        }
        let child = cmd.spawn().expect("cannot start prometheus");
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(10)))
            .build()
            .into();
        let prometheus = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
            dir,
            agent,
        };
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = prometheus
                .agent
                .get(&format!("{}/-/ready", prometheus.url))
                .call()
                .is_ok_and(|r| r.status() == 200);
            if ready {
                return prometheus;
            }
            assert!(
                Instant::now() < deadline,
                "Prometheus did not get ready:\n{}",
                prometheus.log()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Prometheus' own log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("prometheus.log")).unwrap_or_default()
    }

    /// An instant query's `data.result` (a vector: `[{metric, value: [t, "v"]}]`).
    pub fn query(&self, promql: &str) -> Vec<serde_json::Value> {
        let mut response = self
            .agent
            .get(&format!("{}/api/v1/query", self.url))
            .query("query", promql)
            .call()
            .expect("no answer from Prometheus");
        let body = response.body_mut().read_to_string().expect("unreadable");
        let json: serde_json::Value = serde_json::from_str(&body).expect("not JSON");
        assert_eq!(json["status"], "success", "{promql}: {body}");
        json["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// A query that yields one number (e.g. `sum(x)`), or `None` while it yields nothing.
    pub fn value(&self, promql: &str) -> Option<f64> {
        let result = self.query(promql);
        let v = result.first()?["value"][1].as_str()?.parse().ok()?;
        Some(v)
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}
