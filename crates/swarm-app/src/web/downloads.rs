//! Downloads of the current or last run: Locust's CSV files, the HTML report and swarm's JSON
//! report. A thin adapter over `crate::report`, so a change there touches only this file.

use crate::report::{ReportInput, RunMeta, csv, html, json};
use anyhow::Result;
use swarm_core::metrics::StatsSnapshot;

/// One file to download.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Download {
    /// `/stats/requests/csv`: Locust's `_stats.csv`.
    Requests,
    /// `/stats/requests_full_history/csv`: every sample of every row.
    FullHistory,
    /// `/stats/failures/csv`.
    Failures,
    /// `/exceptions/csv`.
    Exceptions,
    /// `/stats/report`: the HTML report.
    Html,
    /// `/stats/report.json`: swarm's JSON report.
    Json,
}

impl Download {
    /// The suggested file name's prefix (a timestamp follows, as in Locust).
    fn prefix(self) -> &'static str {
        match self {
            Self::Requests => "requests",
            Self::FullHistory => "requests_full_history",
            Self::Failures => "failures",
            Self::Exceptions => "exceptions",
            Self::Html | Self::Json => "report",
        }
    }

    /// The media type.
    pub(crate) fn content_type(self) -> &'static str {
        match self {
            Self::Html => "text/html; charset=utf-8",
            Self::Json => "application/json",
            _ => "text/csv; charset=utf-8",
        }
    }

    /// `attachment;filename=requests_1700000000.csv`.
    pub(crate) fn disposition(self, now_unix: u64) -> String {
        let ext = match self {
            Self::Html => "html",
            Self::Json => "json",
            _ => "csv",
        };
        format!("attachment;filename={}_{now_unix}.{ext}", self.prefix())
    }

    /// The file's text.
    pub(crate) fn render(self, stats: &StatsSnapshot, meta: &RunMeta) -> Result<String> {
        let input = ReportInput { meta, stats };
        Ok(match self {
            Self::Requests => csv::stats_csv(stats),
            Self::FullHistory => csv::history_csv(stats, true),
            Self::Failures => csv::failures_csv(stats),
            Self::Exceptions => csv::exceptions_csv(stats),
            Self::Html => html::render(&input)?,
            Self::Json => serde_json::to_string_pretty(&json::render(&input)?)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn every_download_renders() {
        let (stats, meta) = (fixture::stats(), fixture::meta());
        let cases = [
            (Download::Requests, "Type,Name,Request Count"),
            (Download::FullHistory, "Timestamp,User Count"),
            (
                Download::Failures,
                "Method,Name,Error,Occurrences,First Seen,Last Seen\r\n",
            ),
            (Download::Exceptions, "Count,Message,Traceback,Nodes"),
            (Download::Html, "<!DOCTYPE html>"),
            (Download::Json, "{"),
        ];
        for (download, head) in cases {
            let text = download.render(&stats, &meta).unwrap_or_default();
            assert!(
                text.starts_with(head),
                "{download:?}: {}",
                &text[..text.len().min(80)]
            );
        }
        assert_eq!(
            Download::Failures.disposition(7),
            "attachment;filename=failures_7.csv"
        );
    }
}
