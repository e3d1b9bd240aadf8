//! `--junit FILE`: the run's verdicts as JUnit XML (the shape GitLab, Jenkins and GitHub
//! read): one test case per `--threshold`, and "no request failed" while failed requests
//! fail the run (`--exit-code-on-error` other than 0).

use crate::report::ReportInput;
use crate::report::html::escape_html;
use std::fmt::Write as _;

/// One test case: its name and, when it failed, the message and the longer text.
struct Case {
    classname: &'static str,
    name: String,
    failure: Option<(String, String)>,
}

fn cases(input: &ReportInput<'_>, exit_code_on_error: i32) -> Vec<Case> {
    let mut out: Vec<Case> = input
        .meta
        .thresholds
        .iter()
        .map(|v| Case {
            classname: "swarm.thresholds",
            name: v.threshold.clone(),
            failure: (!v.passed).then(|| {
                (
                    v.actual.clone(),
                    format!("threshold `{}` failed: measured {}", v.threshold, v.actual),
                )
            }),
        })
        .collect();
    if exit_code_on_error != 0 {
        let stats = input.stats;
        let failed = crate::run::something_failed(stats);
        out.push(Case {
            classname: "swarm.requests",
            name: "no request failed".to_owned(),
            failure: failed.then(|| {
                let exceptions: u64 = stats.exceptions.iter().map(|e| e.count).sum();
                let message = format!(
                    "{} of {} requests failed, {exceptions} exceptions",
                    stats.total.num_failures, stats.total.num_requests
                );
                let mut text = String::new();
                for f in stats.failures.iter().take(20) {
                    let _ = writeln!(
                        text,
                        "{} x {} {}: {}",
                        f.occurrences, f.kind, f.name, f.error
                    );
                }
                for e in stats.exceptions.iter().take(20) {
                    let _ = writeln!(text, "{} x {}: {}", e.count, e.context, e.message);
                }
                (message, text)
            }),
        });
    }
    out
}

/// The XML text for `input`.
pub(crate) fn render(input: &ReportInput<'_>, exit_code_on_error: i32) -> String {
    let cases = cases(input, exit_code_on_error);
    let failures = cases.iter().filter(|c| c.failure.is_some()).count();
    let time = format!("{:.3}", input.stats.duration_secs());
    let suite = escape_html(&format!("swarm run {}", input.meta.scenario), true);
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        out,
        "<testsuites name=\"swarm\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{time}\">",
        cases.len()
    );
    let _ = writeln!(
        out,
        "  <testsuite name=\"{suite}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{time}\">",
        cases.len()
    );
    out.push_str("    <properties>\n");
    let host = input.meta.host.as_deref().unwrap_or_default();
    for (name, value) in [("run_id", input.meta.run_id.as_str()), ("host", host)] {
        let _ = writeln!(
            out,
            "      <property name=\"{name}\" value=\"{}\"/>",
            escape_html(value, true)
        );
    }
    out.push_str("    </properties>\n");
    for c in &cases {
        let name = escape_html(&c.name, true);
        match &c.failure {
            None => {
                let _ = writeln!(
                    out,
                    "    <testcase classname=\"{}\" name=\"{name}\" time=\"0\"/>",
                    c.classname
                );
            }
            Some((message, text)) => {
                let _ = writeln!(
                    out,
                    "    <testcase classname=\"{}\" name=\"{name}\" time=\"0\">\n      <failure type=\"{}\" message=\"{}\">{}</failure>\n    </testcase>",
                    c.classname,
                    c.classname.trim_start_matches("swarm."),
                    escape_html(message, true),
                    escape_html(text, false)
                );
            }
        }
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

/// Writes the file.
pub(crate) fn write(
    input: &ReportInput<'_>,
    exit_code_on_error: i32,
    path: &std::path::Path,
) -> std::io::Result<()> {
    std::fs::write(path, render(input, exit_code_on_error))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;
    use crate::threshold::Verdict;
    use expect_test::expect;

    #[test]
    fn thresholds_and_failed_requests_become_test_cases() {
        let stats = fixture::stats();
        let meta = crate::report::RunMeta {
            thresholds: vec![
                Verdict {
                    threshold: "p95 < 500ms".into(),
                    passed: true,
                    actual: "p95 = 250 ms".into(),
                },
                Verdict {
                    threshold: "fail_ratio < 1%".into(),
                    passed: false,
                    actual: "fail_ratio = 33.33%".into(),
                },
            ],
            ..fixture::meta()
        };
        let input = ReportInput {
            meta: &meta,
            stats: &stats,
        };
        let xml = render(&input, 1);
        let xml = xml.replace(&format!("{:.3}", stats.duration_secs()), "T");
        expect![[r#"
            <?xml version="1.0" encoding="UTF-8"?>
            <testsuites name="swarm" tests="3" failures="2" errors="0" time="T">
              <testsuite name="swarm run get" tests="3" failures="2" errors="0" skipped="0" time="T">
                <properties>
                  <property name="run_id" value="abc123"/>
                  <property name="host" value="http://127.0.0.1:1"/>
                </properties>
                <testcase classname="swarm.thresholds" name="p95 &lt; 500ms" time="0"/>
                <testcase classname="swarm.thresholds" name="fail_ratio &lt; 1%" time="0">
                  <failure type="thresholds" message="fail_ratio = 33.33%">threshold `fail_ratio &lt; 1%` failed: measured fail_ratio = 33.33%</failure>
                </testcase>
                <testcase classname="swarm.requests" name="no request failed" time="0">
                  <failure type="requests" message="3 of 9 requests failed, 1 exceptions">3 x PUT /b, "quoted": HTTP 500
            1 x task U::t: boom, &lt;b&gt;bold&lt;/b&gt;
            </failure>
                </testcase>
              </testsuite>
            </testsuites>
        "#]].assert_eq(&xml);
        // With --exit-code-on-error 0 failed requests do not fail the run: no such case.
        assert!(!render(&input, 0).contains("no request failed"));
    }
}
