//! The result of a host probe, for the daemon (`/info`, start-up) and for `wharfd check`.

use std::fmt::Write as _;

use serde::Serialize;

use crate::finding::{Finding, Section, Severity};
use crate::{Facts, FsInfo};

/// Facts about the host and the findings of every check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    /// What the host is.
    pub facts: Facts,
    /// The data root's filesystem, when the probe was given one and could probe it.
    pub data_root: Option<FsInfo>,
    /// One finding per check, grouped by section in [`Section::ALL`] order.
    pub findings: Vec<Finding>,
}

impl Report {
    /// The findings that stop `wharfd` from running.
    pub fn fatal(&self) -> Vec<&Finding> {
        self.with(Severity::Fatal)
    }

    /// The findings that degrade `wharfd` without stopping it.
    pub fn warnings(&self) -> Vec<&Finding> {
        self.with(Severity::Warning)
    }

    /// Whether any finding is fatal.
    pub fn is_fatal(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Fatal)
    }

    fn with(&self, severity: Severity) -> Vec<&Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == severity)
            .collect()
    }

    /// The report as text for a terminal: a heading per section, one line per check, and a
    /// summary line.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for section in Section::ALL {
            let mut findings = self.findings.iter().filter(|f| f.section == section);
            let Some(first) = findings.next() else {
                continue;
            };
            out.push_str(section.name());
            out.push_str(":\n");
            for finding in std::iter::once(first).chain(findings) {
                let tag = match finding.severity {
                    Severity::Ok => "[ok]",
                    Severity::Warning => "[warning]",
                    Severity::Fatal => "[FATAL]",
                };
                // Writing to a String cannot fail.
                let _ = writeln!(out, "  {tag:<9} {}: {}", finding.check, finding.message);
            }
        }
        let (fatal, warnings) = (self.fatal().len(), self.warnings().len());
        let plural = if warnings == 1 { "" } else { "s" };
        let _ = writeln!(out, "{fatal} fatal, {warnings} warning{plural}");
        out
    }
}
