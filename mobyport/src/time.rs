//! Go's `time` facts that Docker's wire formats show.

/// Go's zero `time.Time` as `RFC3339Nano` prints it: what Docker shows for a time never set
/// (a container never started, an image without `created`).
pub const ZERO: &str = "0001-01-01T00:00:00Z";
