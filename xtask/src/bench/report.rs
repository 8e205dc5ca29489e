//! The printed result: one row per scenario, one column per engine, the peer's ratio to wharfd,
//! then the targets and how each figure was taken.

use super::scenario::Scenario;
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

/// The targets against wharfd's medians, PASS or MISS.
pub fn targets(rows: &[Row]) -> String {
    let mut lines = vec![vec![
        "target (issue 2)".to_string(),
        "wharfd".to_string(),
        "result".to_string(),
    ]];
    for row in rows {
        let (Some(max), Some(Some(w))) = (row.scenario.target, row.cells.first()) else {
            continue;
        };
        let unit = row.scenario.metric.unit();
        lines.push(vec![
            format!("{}: <= {max} {}", row.scenario.name, unit.label()),
            unit.show(w.median),
            if w.median <= max { "PASS" } else { "MISS" }.to_string(),
        ]);
    }
    table(&lines)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::scenario::ALL;

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
        let t = targets(&rows);
        assert!(t.contains("PASS"), "{t}");
    }
}
