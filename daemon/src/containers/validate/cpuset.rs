//! Cpuset lists (`0-3,7`) as moby's `sysinfo.IsCpusetCpusAvailable` reads them: parsed with
//! `parsers.ParseUintListMaximum` and checked against the host's list.

use std::collections::BTreeSet;

use super::atoi;

/// The largest CPU or node a list may name unless the host has more (Linux's usual maximum
/// number of CPUs), so a request cannot make the daemon build a huge set.
const MAX_CPUS: i64 = 8192;

/// Whether every element of `provided` is in `available` (both in the kernel's list format);
/// the parse error otherwise (`invalid format: x`, `value of out range, maximum is 8192`).
pub(super) fn available(provided: &str, available: &str) -> Result<bool, String> {
    let have = parse(available, 0)?;
    let maximum = have.last().copied().unwrap_or(0).max(MAX_CPUS);
    Ok(parse(provided, maximum)?.is_subset(&have))
}

/// `parseUintList`: comma-separated numbers and `low-high` ranges; with a non-zero `maximum`,
/// larger values are an error.
fn parse(list: &str, maximum: i64) -> Result<BTreeSet<i64>, String> {
    let mut out = BTreeSet::new();
    if list.is_empty() {
        return Ok(out);
    }
    let invalid = || format!("invalid format: {list}");
    let too_big = |v: i64| maximum != 0 && v > maximum;
    let out_of_range = || format!("value of out range, maximum is {maximum}");
    for part in list.split(',') {
        match part.split_once('-') {
            None => {
                let v = atoi(part).ok_or_else(invalid)?;
                if too_big(v) {
                    return Err(out_of_range());
                }
                out.insert(v);
            }
            Some((low, high)) => {
                let low = atoi(low).ok_or_else(invalid)?;
                let high = atoi(high).ok_or_else(invalid)?;
                if high < low {
                    return Err(invalid());
                }
                if too_big(high) {
                    return Err(out_of_range());
                }
                out.extend(low..=high);
            }
        }
    }
    Ok(out)
}
