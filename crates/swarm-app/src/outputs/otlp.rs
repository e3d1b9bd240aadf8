//! OTLP/HTTP metrics: the families as an `ExportMetricsServiceRequest` (the official
//! generated messages of `opentelemetry-proto`), cumulative temporality, with the run's
//! identity as resource attributes so several pods' runs aggregate.

use super::series::{BUCKETS_SECONDS, Family, Kind, Value};
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{AnyValue, InstrumentationScope, KeyValue, any_value};
use opentelemetry_proto::tonic::metrics::v1::{
    AggregationTemporality, Gauge, Histogram, HistogramDataPoint, Metric, NumberDataPoint,
    ResourceMetrics, ScopeMetrics, Sum, metric, number_data_point,
};
use opentelemetry_proto::tonic::resource::v1::Resource;

/// The headers of an OTLP/HTTP protobuf export.
pub(crate) const HEADERS: [(&str, &str); 1] = [("content-type", "application/x-protobuf")];

fn attribute(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
        ..Default::default()
    }
}

/// The OTLP name of a family: its Prometheus name without the `_total` a Prometheus
/// exporter adds back to monotonic sums.
fn otlp_name(family: &Family) -> &'static str {
    match family.kind {
        Kind::Counter => family.name.strip_suffix("_total").unwrap_or(family.name),
        Kind::Gauge | Kind::Histogram => family.name,
    }
}

fn nanos(unix_secs: f64) -> u64 {
    (unix_secs.max(0.0) * 1e9) as u64
}

/// The request for `families`, cumulative from `start` to `now` (Unix seconds);
/// `resource` is the run's identity (`service.name`, `swarm.run_id`, ...).
pub(crate) fn request(
    families: &[Family],
    resource: &[(String, String)],
    start: f64,
    now: f64,
) -> ExportMetricsServiceRequest {
    let (start, now) = (nanos(start), nanos(now));
    let cumulative = AggregationTemporality::Cumulative as i32;
    let metrics = families
        .iter()
        .filter(|f| !f.samples.is_empty())
        .map(|f| {
            let attributes = |labels: &[(&str, String)]| -> Vec<KeyValue> {
                labels.iter().map(|(k, v)| attribute(k, v)).collect()
            };
            let numbers = || -> Vec<NumberDataPoint> {
                f.samples
                    .iter()
                    .filter_map(|s| match &s.value {
                        Value::Number(v) => Some(NumberDataPoint {
                            attributes: attributes(&s.labels),
                            start_time_unix_nano: start,
                            time_unix_nano: now,
                            value: Some(number_data_point::Value::AsDouble(*v)),
                            ..Default::default()
                        }),
                        Value::Histogram(_) => None,
                    })
                    .collect()
            };
            let data = match f.kind {
                Kind::Counter => metric::Data::Sum(Sum {
                    data_points: numbers(),
                    aggregation_temporality: cumulative,
                    is_monotonic: true,
                }),
                Kind::Gauge => metric::Data::Gauge(Gauge {
                    data_points: numbers(),
                }),
                Kind::Histogram => metric::Data::Histogram(Histogram {
                    data_points: f
                        .samples
                        .iter()
                        .filter_map(|s| match &s.value {
                            Value::Histogram(h) => {
                                // OTLP counts per bucket, not cumulatively; one more for +Inf.
                                let mut counts = Vec::with_capacity(BUCKETS_SECONDS.len() + 1);
                                let mut below = 0;
                                for c in h.cumulative.iter().chain(std::iter::once(&h.count)) {
                                    counts.push(c - below);
                                    below = *c;
                                }
                                Some(HistogramDataPoint {
                                    attributes: attributes(&s.labels),
                                    start_time_unix_nano: start,
                                    time_unix_nano: now,
                                    count: h.count,
                                    sum: Some(h.sum),
                                    bucket_counts: counts,
                                    explicit_bounds: BUCKETS_SECONDS.to_vec(),
                                    ..Default::default()
                                })
                            }
                            Value::Number(_) => None,
                        })
                        .collect(),
                    aggregation_temporality: cumulative,
                }),
            };
            Metric {
                name: otlp_name(f).to_owned(),
                description: f.help.to_owned(),
                unit: f.unit.to_owned(),
                data: Some(data),
                ..Default::default()
            }
        })
        .collect();
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: resource.iter().map(|(k, v)| attribute(k, v)).collect(),
                ..Default::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "swarm".to_owned(),
                    version: env!("CARGO_PKG_VERSION").to_owned(),
                    ..Default::default()
                }),
                metrics,
                ..Default::default()
            }],
            ..Default::default()
        }],
    }
}

/// The body to POST.
pub(crate) fn encode(request: &ExportMetricsServiceRequest) -> Vec<u8> {
    prost::Message::encode_to_vec(request)
}

#[cfg(test)]
mod tests {
    use super::*;
    use prost::Message as _;
    use swarm_core::RunState;

    #[test]
    fn sums_gauges_and_histograms_carry_the_run_identity() {
        let (stats, families) = super::super::series::fixture(RunState::Running);
        let resource = vec![("swarm.run_id".to_owned(), "abc".to_owned())];
        let body = encode(&request(&families, &resource, 10.0, 12.5));
        let back = ExportMetricsServiceRequest::decode(body.as_slice()).expect("protobuf");
        let rm = &back.resource_metrics[0];
        let attrs = &rm.resource.as_ref().expect("resource").attributes;
        assert_eq!(attrs[0], attribute("swarm.run_id", "abc"));
        let metrics = &rm.scope_metrics[0].metrics;
        let by_name = |n: &str| metrics.iter().find(|m| m.name == n).expect(n);
        let Some(metric::Data::Sum(sum)) = &by_name("swarm_requests").data else {
            panic!("requests is a sum");
        };
        assert!(sum.is_monotonic);
        let total: f64 = sum
            .data_points
            .iter()
            .map(|p| match p.value {
                Some(number_data_point::Value::AsDouble(v)) => v,
                _ => 0.0,
            })
            .sum();
        assert_eq!(total, stats.total.num_requests as f64);
        assert_eq!(sum.data_points[0].start_time_unix_nano, 10_000_000_000);
        assert_eq!(sum.data_points[0].time_unix_nano, 12_500_000_000);
        let Some(metric::Data::Histogram(h)) = &by_name("swarm_response_time_seconds").data else {
            panic!("response time is a histogram");
        };
        let p = &h.data_points[0];
        assert_eq!(p.bucket_counts.len(), p.explicit_bounds.len() + 1);
        assert_eq!(p.bucket_counts.iter().sum::<u64>(), p.count);
        assert!(matches!(
            by_name("swarm_users").data,
            Some(metric::Data::Gauge(_))
        ));
    }

    #[test]
    fn an_arrival_run_exports_dropped_iterations_and_corrected_times() {
        let (stats, families) = super::super::series::open_fixture();
        let resource = vec![("swarm.segment".to_owned(), "1/3".to_owned())];
        let body = encode(&request(&families, &resource, 10.0, 12.5));
        let back = ExportMetricsServiceRequest::decode(body.as_slice()).expect("protobuf");
        let rm = &back.resource_metrics[0];
        let attrs = &rm.resource.as_ref().expect("resource").attributes;
        assert_eq!(attrs[..], [attribute("swarm.segment", "1/3")]);
        let metrics = &rm.scope_metrics[0].metrics;
        let by_name = |n: &str| metrics.iter().find(|m| m.name == n).expect(n);
        let Some(metric::Data::Sum(dropped)) = &by_name("swarm_dropped_iterations").data else {
            panic!("dropped iterations is a sum");
        };
        assert!(dropped.is_monotonic);
        assert_eq!(
            dropped.data_points[0].value,
            Some(number_data_point::Value::AsDouble(
                stats.open.dropped_iterations as f64
            ))
        );
        let Some(metric::Data::Gauge(rate)) = &by_name("swarm_arrival_rate_target").data else {
            panic!("the target rate is a gauge");
        };
        assert_eq!(
            rate.data_points[0].value,
            Some(number_data_point::Value::AsDouble(50.0))
        );
        let Some(metric::Data::Histogram(h)) =
            &by_name("swarm_corrected_response_time_seconds").data
        else {
            panic!("corrected times are a histogram");
        };
        let p = &h.data_points[0];
        assert_eq!(p.count, stats.entries[0].corrected.len());
        assert_eq!(p.bucket_counts.iter().sum::<u64>(), p.count);
        assert_eq!(p.bucket_counts[10], 1, "the 2 s wait is in (1 s, 2.5 s]");
    }
}
