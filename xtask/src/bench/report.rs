//! The printed result: one row per scenario, one column per engine, the peer's ratio to wharfd,
//! then the issues' targets and how each figure was taken.

use super::scenario::{ALL, Scenario, Target};
use super::stats::Stats;

/// One measured row: the scenario and each engine's figure (`None`: not measured).
pub struct Row {
    /// The scenario measured.
    pub scenario: &'static Scenario,
    /// One entry per engine, in the table's column order (wharfd first).
    pub cells: Vec<Option<Stats>>,
}

/// Lays out `lines` (first one the header) in left-aligned columns.
fn table(lines: &[Vec<String>]) -> String {
    let cols = lines.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            lines
                .iter()
                .filter_map(|l| l.get(c))
                .map(|s| s.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (i, line) in lines.iter().enumerate() {
        let cells: Vec<String> = line
            .iter()
            .zip(&widths)
            .map(|(s, w)| format!("{s:<w$}"))
            .collect();
        out.push_str(cells.join(" | ").trim_end());
        out.push('\n');
        if i == 0 {
            let rule: Vec<String> = widths.iter().map(|w| "-".repeat(*w)).collect();
            out.push_str(&rule.join("-|-"));
            out.push('\n');
        }
    }
    out
}

/// The table of `rows` for `engines` (wharfd first); ratios are each peer's median over
/// wharfd's.
pub fn render(engines: &[&str], rows: &[Row]) -> String {
    let mut header = vec!["scenario".to_string()];
    header.extend(engines.iter().map(|e| e.to_string()));
    header.extend(
        engines
            .iter()
            .skip(1)
            .map(|e| format!("ratio ({e}/wharfd)")),
    );
    let mut lines = vec![header];
    for row in rows {
        let unit = row.scenario.metric.unit();
        let mut line = vec![row.scenario.name.to_string()];
        line.extend(
            row.cells
                .iter()
                .map(|c| c.map_or_else(|| "-".to_string(), |s| s.show(unit))),
        );
        let wharfd = row.cells.first().copied().flatten();
        for peer in row.cells.iter().skip(1) {
            line.push(match (wharfd, peer) {
                (Some(w), Some(p)) => unit.ratio(w.median, p.median),
                _ => "-".to_string(),
            });
        }
        lines.push(line);
    }
    table(&lines)
}

/// The issues' targets against wharfd's medians, PASS or MISS (`-` when the figure a target
/// compares with was not measured, such as dockerd's without `--with-dockerd`).
pub fn targets(engines: &[&str], rows: &[Row]) -> String {
    let mut lines = vec![vec![
        "target".to_string(),
        "issue".to_string(),
        "wharfd".to_string(),
        "result".to_string(),
    ]];
    let peer = engines.iter().position(|e| *e == "dockerd");
    for row in rows {
        let Some(Some(w)) = row.cells.first() else {
            continue;
        };
        let unit = row.scenario.metric.unit();
        let name = row.scenario.name.trim();
        for target in row.scenario.targets {
            let (goal, figure, ok) = match *target {
                Target::AtMost(max) => (
                    format!("<= {} {}", unit.number(max), unit.label()),
                    unit.show(w.median),
                    Some(w.median <= max),
                ),
                Target::Below(max) => (
                    format!("< {} {}", unit.number(max), unit.label()),
                    unit.show(w.median),
                    Some(w.median < max),
                ),
                Target::FasterThanPeer(factor) => {
                    let d = peer.and_then(|i| row.cells.get(i).copied().flatten());
                    (
                        format!(">= {factor}x faster than dockerd"),
                        d.map_or_else(
                            || "no dockerd figure".to_string(),
                            |d| unit.ratio(w.median, d.median),
                        ),
                        d.map(|d| d.median >= factor * w.median),
                    )
                }
                Target::WithinOf(factor, metric) => {
                    let other = rows
                        .iter()
                        .find(|r| r.scenario.metric == metric)
                        .and_then(|r| r.cells.first().copied().flatten().map(|s| (r, s)));
                    match other {
                        Some((r, o)) => (
                            format!("<= {factor}x {}", r.scenario.name.trim()),
                            format!(
                                "{:.2}x ({} vs {})",
                                w.median / o.median,
                                unit.show(w.median),
                                unit.show(o.median)
                            ),
                            Some(w.median <= factor * o.median),
                        ),
                        None => (
                            format!(
                                "<= {factor}x {}",
                                ALL.iter()
                                    .find(|s| s.metric == metric)
                                    .map_or("another row", |s| s.name.trim())
                            ),
                            "not measured".to_string(),
                            None,
                        ),
                    }
                }
            };
            lines.push(vec![
                format!("{name}: {goal}"),
                row.scenario.issue.to_string(),
                figure,
                match ok {
                    Some(true) => "PASS",
                    Some(false) => "MISS",
                    None => "-",
                }
                .to_string(),
            ]);
        }
    }
    table(&lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::scenario::{Fixture, Metric};

    #[test]
    fn rows_show_medians_ranges_and_ratios() {
        let w = Stats::of(&[6.0, 7.0, 8.0]);
        let d = Stats::of(&[300.0, 310.0, 320.0]);
        let rows = [Row {
            scenario: &ALL[0],
            cells: vec![w, d],
        }];
        let out = render(&["wharfd", "dockerd"], &rows);
        assert!(out.contains("7.0 ms (6.0-8.0)"), "{out}");
        assert!(out.contains("310 ms (300-320)"), "{out}");
        assert!(out.contains("44x faster"), "{out}");
        let t = targets(&["wharfd", "dockerd"], &rows);
        assert!(t.contains("PASS"), "{t}");
    }

    #[test]
    fn relative_targets_compare_with_the_peer_and_other_rows() {
        let row = |metric: Metric| {
            ALL.iter()
                .find(|s| s.metric == metric)
                .expect("the row exists")
        };
        let big = row(Metric::Load(Fixture::Big));
        let rows = [
            Row {
                scenario: big,
                cells: vec![Stats::of(&[300.0]), Stats::of(&[900.0])],
            },
            Row {
                scenario: row(Metric::TarExtract),
                cells: vec![Stats::of(&[200.0]), None],
            },
        ];
        let t = targets(&["wharfd", "dockerd"], &rows);
        let line = |needle: &str| {
            t.lines()
                .find(|l| l.contains(needle))
                .unwrap_or_else(|| panic!("no {needle} in\n{t}"))
                .to_string()
        };
        assert!(line("3.0x faster").ends_with("PASS"), "{t}");
        assert!(line("1.50x (300 ms vs 200 ms)").ends_with("MISS"), "{t}");
        let alone = [Row {
            scenario: big,
            cells: vec![Stats::of(&[300.0])],
        }];
        let t = targets(&["wharfd"], &alone);
        assert!(t.contains("no dockerd figure"), "{t}");
        assert!(t.contains("not measured"), "{t}");
    }
}
