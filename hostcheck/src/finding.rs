//! One line of a host report: which check, how bad, and why.

use serde::Serialize;

/// How much a finding matters. Ordered from harmless to fatal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// The host is fine here.
    Ok,
    /// `wharfd` runs, with a feature missing or degraded.
    Warning,
    /// `wharfd` cannot run on this host.
    Fatal,
}

/// The part of the host a check looks at; reports are grouped by it, in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Section {
    /// OS, privileges, architecture, kernel, distribution, resources.
    Host,
    /// cgroup layout and controllers.
    Cgroups,
    /// Filesystems for image and container storage.
    Storage,
    /// Forwarding and bridge netfilter settings.
    Network,
    /// seccomp and AppArmor.
    Security,
}

impl Section {
    /// Every section, in report order.
    pub const ALL: [Self; 5] = [
        Self::Host,
        Self::Cgroups,
        Self::Storage,
        Self::Network,
        Self::Security,
    ];

    /// The lowercase name used as a heading.
    pub fn name(self) -> &'static str {
        match self {
            Self::Host => "host",
            Self::Cgroups => "cgroups",
            Self::Storage => "storage",
            Self::Network => "network",
            Self::Security => "security",
        }
    }
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    /// The group the check belongs to.
    pub section: Section,
    /// A short name of the check (`kernel`, `cgroup version`, `bridge-nf-call-iptables`).
    pub check: String,
    /// How much it matters.
    pub severity: Severity,
    /// What was found, in words (Docker's wording where dockerd has a message for it).
    pub message: String,
}

impl Finding {
    /// A finding with the given parts.
    pub fn new(
        section: Section,
        check: &str,
        severity: Severity,
        message: impl Into<String>,
    ) -> Self {
        Self {
            section,
            check: check.to_owned(),
            severity,
            message: message.into(),
        }
    }
}
