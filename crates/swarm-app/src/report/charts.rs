//! Line charts over time for the HTML report, drawn with plotters into inline SVG strings.

use anyhow::{Result, anyhow};
use plotters::prelude::*;
use swarm_core::metrics::{REPORT_PERCENTILES, StatsSnapshot};

/// One line of a chart.
pub(crate) struct Series {
    /// The legend text.
    pub(crate) label: &'static str,
    /// Its colour.
    pub(crate) color: RGBColor,
    /// (seconds since the start, value) points.
    pub(crate) points: Vec<(f64, f64)>,
}

/// One chart: a title, a y-axis description and its lines.
pub(crate) struct Chart {
    /// Shown above the plot.
    pub(crate) title: &'static str,
    /// The y axis' unit.
    pub(crate) y_label: &'static str,
    /// The lines.
    pub(crate) series: Vec<Series>,
}

const SIZE: (u32, u32) = (900, 280);
const BLUE: RGBColor = RGBColor(31, 119, 180);
const RED: RGBColor = RGBColor(214, 39, 40);
const GREEN: RGBColor = RGBColor(44, 160, 44);
const ORANGE: RGBColor = RGBColor(255, 127, 14);
const PURPLE: RGBColor = RGBColor(148, 103, 189);

fn quantile_index(q: f64) -> Option<usize> {
    REPORT_PERCENTILES
        .iter()
        .position(|&p| (p - q).abs() < 1e-9)
}

/// The report's charts from the aggregate history: requests and failures per second,
/// response-time percentiles (p50, p95, p99) and users.
pub(crate) fn from_history(stats: &StatsSnapshot) -> Vec<Chart> {
    let rows: Vec<_> = stats.aggregate_history().collect();
    let t0 = rows.first().map_or(0.0, |r| r.timestamp as f64);
    let line = |label, color, f: &dyn Fn(&swarm_core::metrics::HistoryRow) -> f64| Series {
        label,
        color,
        points: rows
            .iter()
            .map(|r| (r.timestamp as f64 - t0, f(r)))
            .collect(),
    };
    let pct = |q: f64| {
        let i = quantile_index(q);
        move |r: &swarm_core::metrics::HistoryRow| {
            i.and_then(|i| r.window_percentiles_us.get(i))
                .map_or(0.0, |&us| us as f64 / 1000.0)
        }
    };
    vec![
        Chart {
            title: "Requests per second",
            y_label: "per second",
            series: vec![
                line("requests/s", BLUE, &|r| r.current_rps),
                line("failures/s", RED, &|r| r.current_fail_per_sec),
            ],
        },
        Chart {
            title: "Response time percentiles",
            y_label: "ms",
            series: vec![
                line("p50", GREEN, &pct(0.5)),
                line("p95", ORANGE, &pct(0.95)),
                line("p99", RED, &pct(0.99)),
            ],
        },
        Chart {
            title: "Users",
            y_label: "users",
            series: vec![line("users", PURPLE, &|r| r.user_count as f64)],
        },
    ]
}

fn err<E: std::fmt::Debug>(e: E) -> anyhow::Error {
    anyhow!("cannot draw a chart: {e:?}")
}

/// Draws `chart` as an SVG document (a string to inline in HTML).
pub(crate) fn render_svg(chart: &Chart) -> Result<String> {
    let x_max = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .fold(1.0_f64, f64::max);
    let y_max = chart
        .series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .filter(|v| v.is_finite())
        .fold(0.0_f64, f64::max);
    let y_max = if y_max > 0.0 { y_max * 1.1 } else { 1.0 };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut ctx = ChartBuilder::on(&root)
            .caption(chart.title, ("sans-serif", 18))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(60)
            .build_cartesian_2d(0.0..x_max, 0.0..y_max)
            .map_err(err)?;
        ctx.configure_mesh()
            .x_desc("seconds since start")
            .y_desc(chart.y_label)
            .light_line_style(WHITE.mix(0.0))
            .draw()
            .map_err(err)?;
        for s in &chart.series {
            let color = s.color;
            ctx.draw_series(LineSeries::new(
                s.points.iter().copied(),
                color.stroke_width(2),
            ))
            .map_err(err)?
            .label(s.label)
            .legend(move |(x, y)| PathElement::new([(x, y), (x + 18, y)], color.stroke_width(2)));
        }
        ctx.configure_series_labels()
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK.mix(0.3))
            .position(SeriesLabelPosition::UpperLeft)
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::fixture;

    #[test]
    fn charts_draw_their_series() {
        let charts = from_history(&fixture::stats());
        let titles: Vec<_> = charts.iter().map(|c| c.title).collect();
        assert_eq!(
            titles,
            ["Requests per second", "Response time percentiles", "Users"]
        );
        for chart in &charts {
            let svg = render_svg(chart).expect("drawn");
            assert!(svg.starts_with("<svg"), "{}", chart.title);
            // One polyline per series, plus the legend's samples.
            assert!(
                svg.matches("<polyline").count() >= chart.series.len(),
                "{}: {svg}",
                chart.title
            );
            assert!(svg.contains(chart.title));
        }
    }
}
