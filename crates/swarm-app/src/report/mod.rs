//! Reports written at the end of a run (and on demand from a saved JSON report): JSON, CSV
//! and HTML, plus `swarm report compare`.

pub(crate) mod charts;
pub(crate) mod compare;
pub(crate) mod csv;
pub(crate) mod html;
pub(crate) mod json;
pub(crate) mod load;
pub(crate) mod merge;

use crate::threshold::Verdict;
use swarm_core::metrics::StatsSnapshot;

/// What a report needs besides the stats.
#[derive(Debug, Clone, Default)]
pub(crate) struct RunMeta {
    /// The scenario's name.
    pub(crate) scenario: String,
    /// The target host (any password in it already redacted).
    pub(crate) host: Option<String>,
    /// The run id.
    pub(crate) run_id: String,
    /// Users at the end (or the target).
    pub(crate) user_count: usize,
    /// Warnings the reader must see (e.g. the generator was CPU-bound).
    pub(crate) warnings: Vec<String>,
    /// The `--threshold` checks and their verdicts.
    pub(crate) thresholds: Vec<Verdict>,
    /// The segment of a distributed run this report covers (`None`: the whole run).
    pub(crate) segment: Option<swarm_core::Segment>,
}

/// Everything a report is drawn from.
pub(crate) struct ReportInput<'a> {
    /// About the run.
    pub(crate) meta: &'a RunMeta,
    /// Its final stats.
    pub(crate) stats: &'a StatsSnapshot,
}

/// The percentile columns' names, Locust's way (`50%`, `99.9%`, `100%`).
pub(crate) fn percentile_label(q: f64) -> String {
    let pct = q * 100.0;
    if (pct - pct.round()).abs() < 1e-9 {
        format!("{}%", pct.round())
    } else {
        // Locust rounds to 6 decimals, which trims float noise such as 99.90000000000001.
        let s = format!("{pct:.6}");
        format!("{}%", s.trim_end_matches('0').trim_end_matches('.'))
    }
}

/// Writes every report `--json`, `--csv` and `--html` ask for.
pub(crate) struct Targets<'a> {
    /// `--json FILE`.
    pub(crate) json: Option<&'a std::path::Path>,
    /// `--csv PREFIX`.
    pub(crate) csv: Option<&'a std::path::Path>,
    /// `--csv-full-history`.
    pub(crate) csv_full_history: bool,
    /// `--html FILE`.
    pub(crate) html: Option<&'a std::path::Path>,
    /// `--junit FILE`, and the `--exit-code-on-error` that decides its "no request failed".
    pub(crate) junit: Option<(&'a std::path::Path, i32)>,
}

impl<'a> Targets<'a> {
    /// The reports a run's `--json`, `--csv`, `--csv-full-history` and `--html` ask for.
    pub(crate) fn from_args(args: &'a crate::cli::RunArgs) -> Self {
        Self {
            json: args.json.as_deref(),
            csv: args.csv.as_deref(),
            csv_full_history: args.csv_full_history,
            html: args.html.as_deref(),
            junit: args
                .outputs
                .junit
                .as_deref()
                .map(|p| (p, args.exit_code_on_error)),
        }
    }

    /// Every file these targets will write, with the flag that asked for it.
    fn files(&self) -> Vec<(&'static str, std::path::PathBuf)> {
        let mut out = Vec::new();
        if let Some(path) = self.json {
            out.push(("--json", path.to_path_buf()));
        }
        if let Some(prefix) = self.csv {
            for suffix in csv::SUFFIXES {
                let mut name = prefix.as_os_str().to_owned();
                name.push(suffix);
                out.push(("--csv", name.into()));
            }
        }
        if let Some(path) = self.html {
            out.push(("--html", path.to_path_buf()));
        }
        if let Some((path, _)) = self.junit {
            out.push(("--junit", path.to_path_buf()));
        }
        out
    }

    /// Checks, before the run, that every report can be written where it was asked for: the
    /// folder exists and the path is no folder. Names the first that cannot.
    pub(crate) fn check(&self) -> Result<(), String> {
        for (flag, path) in self.files() {
            let parent = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => std::path::PathBuf::from("."),
            };
            if !parent.is_dir() {
                return Err(format!(
                    "{flag} {}: the folder {} does not exist: create it or choose another path",
                    path.display(),
                    parent.display()
                ));
            }
            if path.is_dir() {
                return Err(format!(
                    "{flag} {} is a folder: give a file name",
                    path.display()
                ));
            }
            let writable = std::fs::metadata(&parent)
                .map(|m| !m.permissions().readonly())
                .unwrap_or(false);
            if !writable {
                return Err(format!(
                    "{flag} {}: the folder {} is read-only: choose another path",
                    path.display(),
                    parent.display()
                ));
            }
        }
        Ok(())
    }

    /// Writes every requested report that can be written, logging where each went; an error
    /// names every one that could not be, after the others were written.
    pub(crate) fn write(&self, input: &ReportInput<'_>) -> anyhow::Result<()> {
        let mut failed = Vec::new();
        if let Some(path) = self.json {
            match json::write(input, path) {
                Ok(()) => {
                    tracing::info!(target: "swarm.report", "Wrote the JSON report to {}", path.display())
                }
                Err(e) => failed.push(format!("--json {}: {e:#}", path.display())),
            }
        }
        if let Some(prefix) = self.csv {
            match csv::write(input, prefix, self.csv_full_history) {
                Ok(files) => {
                    tracing::info!(target: "swarm.report", "Wrote the CSV reports {}", files.join(", "))
                }
                Err(e) => failed.push(format!("--csv {}: {e:#}", prefix.display())),
            }
        }
        if let Some(path) = self.html {
            match html::write(input, path) {
                Ok(()) => {
                    tracing::info!(target: "swarm.report", "Wrote the HTML report to {}", path.display())
                }
                Err(e) => failed.push(format!("--html {}: {e:#}", path.display())),
            }
        }
        if let Some((path, exit_code_on_error)) = self.junit {
            match crate::outputs::junit::write(input, exit_code_on_error, path) {
                Ok(()) => {
                    tracing::info!(target: "swarm.report", "Wrote the JUnit report to {}", path.display())
                }
                Err(e) => failed.push(format!("--junit {}: {e:#}", path.display())),
            }
        }
        if failed.is_empty() {
            Ok(())
        } else {
            anyhow::bail!("could not write {}", failed.join("; "))
        }
    }
}

#[cfg(test)]
pub(crate) mod fixture {
    //! A small, fixed set of stats for report tests.

    use super::RunMeta;
    use std::time::Duration;
    use swarm_core::metrics::{Event, Metrics, Outcome, StatsSnapshot};

    /// Stats with two rows, a failure, an exception and a few history samples.
    pub(crate) fn stats() -> StatsSnapshot {
        let metrics = Metrics::default();
        let rec = metrics.recorder();
        for round in 0..3u64 {
            for (kind, name, us, ok) in [
                ("GET", "/a", 800 + round * 100, true),
                ("GET", "/a", 12_000, true),
                ("PUT", "/b, \"quoted\"", 250_000, false),
            ] {
                rec.record(&Event {
                    kind,
                    name,
                    response_time: Duration::from_micros(us),
                    time_to_first_byte: Some(Duration::from_micros(us / 2)),
                    bytes: 100,
                    outcome: if ok {
                        Outcome::Success
                    } else {
                        Outcome::Failure("HTTP 500")
                    },
                });
            }
            metrics.tick(3);
        }
        rec.record_exception("boom, <b>bold</b>", "task U::t");
        metrics.snapshot()
    }

    /// A run's description.
    pub(crate) fn meta() -> RunMeta {
        RunMeta {
            scenario: "get".into(),
            host: Some("http://127.0.0.1:1".into()),
            run_id: "abc123".into(),
            user_count: 3,
            warnings: vec!["swarm was CPU-bound".into()],
            thresholds: Vec::new(),
            segment: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::percentile_label;
    use swarm_core::metrics::REPORT_PERCENTILES;

    #[test]
    fn percentile_labels_match_locust() {
        let labels: Vec<String> = REPORT_PERCENTILES
            .iter()
            .map(|&q| percentile_label(q))
            .collect();
        assert_eq!(
            labels.join(","),
            "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
        );
    }
}
