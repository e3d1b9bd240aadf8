//! Prometheus remote-write 1.0: the families as a snappy-compressed protobuf `WriteRequest`.
//! The four messages are declared here with prost's derive (the spec's `prompb` subset), so
//! no generated code or protoc is needed.

use super::series::{BUCKETS_SECONDS, Family, Value};

/// The headers a remote-write receiver requires besides the body.
pub(crate) const HEADERS: [(&str, &str); 3] = [
    ("content-type", "application/x-protobuf"),
    ("content-encoding", "snappy"),
    ("x-prometheus-remote-write-version", "0.1.0"),
];

/// `prometheus.WriteRequest` (only the series; metadata is optional).
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct WriteRequest {
    /// Every series with its samples.
    #[prost(message, repeated, tag = "1")]
    pub(crate) timeseries: Vec<TimeSeries>,
}

/// `prometheus.TimeSeries`: labels sorted by name, `__name__` among them.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct TimeSeries {
    /// The series' labels.
    #[prost(message, repeated, tag = "1")]
    pub(crate) labels: Vec<Label>,
    /// Its samples, oldest first.
    #[prost(message, repeated, tag = "2")]
    pub(crate) samples: Vec<Sample>,
}

/// `prometheus.Label`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Label {
    /// Label name.
    #[prost(string, tag = "1")]
    pub(crate) name: String,
    /// Label value.
    #[prost(string, tag = "2")]
    pub(crate) value: String,
}

/// `prometheus.Sample`.
#[derive(Clone, PartialEq, prost::Message)]
pub(crate) struct Sample {
    /// The value.
    #[prost(double, tag = "1")]
    pub(crate) value: f64,
    /// Milliseconds since the Unix epoch.
    #[prost(int64, tag = "2")]
    pub(crate) timestamp: i64,
}

fn series(
    name: String,
    common: &[(String, String)],
    own: &[(&str, String)],
    value: f64,
    timestamp: i64,
) -> TimeSeries {
    let mut labels: Vec<Label> = std::iter::once(("__name__".to_owned(), name))
        .chain(common.iter().cloned())
        .chain(own.iter().map(|(k, v)| ((*k).to_owned(), v.clone())))
        .map(|(name, value)| Label { name, value })
        .collect();
    labels.sort_by(|a, b| a.name.cmp(&b.name));
    TimeSeries {
        labels,
        samples: vec![Sample { value, timestamp }],
    }
}

/// The request for `families` at `timestamp_ms`, every series also carrying `common`
/// (who sent it: job, instance, run id, scenario).
pub(crate) fn request(
    families: &[Family],
    common: &[(String, String)],
    timestamp_ms: i64,
) -> WriteRequest {
    let mut timeseries = Vec::new();
    for f in families {
        for s in &f.samples {
            match &s.value {
                Value::Number(v) => timeseries.push(series(
                    f.name.to_owned(),
                    common,
                    &s.labels,
                    *v,
                    timestamp_ms,
                )),
                Value::Histogram(h) => {
                    let bounds = BUCKETS_SECONDS
                        .iter()
                        .map(ToString::to_string)
                        .zip(h.cumulative)
                        .chain(std::iter::once(("+Inf".to_owned(), h.count)));
                    for (le, count) in bounds {
                        let mut labels = s.labels.clone();
                        labels.push(("le", le));
                        timeseries.push(series(
                            format!("{}_bucket", f.name),
                            common,
                            &labels,
                            count as f64,
                            timestamp_ms,
                        ));
                    }
                    for (suffix, v) in [("_sum", h.sum), ("_count", h.count as f64)] {
                        timeseries.push(series(
                            format!("{}{suffix}", f.name),
                            common,
                            &s.labels,
                            v,
                            timestamp_ms,
                        ));
                    }
                }
            }
        }
    }
    WriteRequest { timeseries }
}

/// The body to POST: the protobuf, snappy block-compressed as the spec requires.
pub(crate) fn encode(request: &WriteRequest) -> Result<Vec<u8>, snap::Error> {
    snap::raw::Encoder::new().compress_vec(&prost::Message::encode_to_vec(request))
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message as _;
    use swarm_core::RunState;

    /// The first series of family `name` that has `label`.
    fn find<'a>(
        request: &'a WriteRequest,
        name: &str,
        label: (&str, &str),
    ) -> Option<&'a TimeSeries> {
        request.timeseries.iter().find(|t| {
            t.labels
                .iter()
                .any(|l| l.name == "__name__" && l.value == name)
                && t.labels
                    .iter()
                    .any(|l| l.name == label.0 && l.value == label.1)
        })
    }

    #[test]
    fn a_request_round_trips_through_snappy_and_protobuf() {
        let (_, families) = super::super::series::fixture(RunState::Stopped);
        let common = vec![("job".to_owned(), "swarm".to_owned())];
        let request = request(&families, &common, 1_700_000_000_000);
        let body = encode(&request).expect("compresses");
        let raw = snap::raw::Decoder::new()
            .decompress_vec(&body)
            .expect("snappy");
        let back = WriteRequest::decode(raw.as_slice()).expect("protobuf");
        assert_eq!(back, request);
        let requests = find(&back, "swarm_requests_total", ("name", "/a")).expect("a series");
        assert_eq!(requests.samples[0].value, 6.0);
        assert_eq!(requests.samples[0].timestamp, 1_700_000_000_000);
        let names: Vec<&str> = requests.labels.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(names, ["__name__", "job", "method", "name"], "sorted");
        let inf = find(&back, "swarm_response_time_seconds_bucket", ("le", "+Inf")).expect("+Inf");
        assert!(inf.samples[0].value > 0.0);
        assert!(find(&back, "swarm_run_state", ("state", "stopped")).is_some());
    }

    #[test]
    fn an_arrival_runs_series_carry_the_segment() {
        let (stats, families) = super::super::series::open_fixture();
        let common = vec![
            ("job".to_owned(), "swarm".to_owned()),
            ("segment".to_owned(), "1/3".to_owned()),
        ];
        let request = request(&families, &common, 1_700_000_000_000);
        assert!(request.timeseries.iter().all(|t| {
            t.labels
                .iter()
                .any(|l| l.name == "segment" && l.value == "1/3")
        }));
        let value = |name: &str, label: (&str, &str)| {
            find(&request, name, label).map(|t| t.samples[0].value)
        };
        assert_eq!(
            value("swarm_dropped_iterations_total", ("job", "swarm")),
            Some(stats.open.dropped_iterations as f64)
        );
        assert_eq!(
            value("swarm_iterations_started_total", ("job", "swarm")),
            Some(stats.open.iterations_started as f64)
        );
        assert_eq!(
            value(
                "swarm_corrected_response_time_seconds_count",
                ("name", "/a")
            ),
            Some(stats.entries[0].corrected.len() as f64)
        );
        assert_eq!(
            value(
                "swarm_corrected_response_time_percentile_seconds",
                ("quantile", "1")
            ),
            Some(2.0)
        );
    }
}
