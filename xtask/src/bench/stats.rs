//! Series of samples and their summary (median, min, max), with the unit they are in.

use std::collections::HashMap;
use std::hash::Hash;

use anyhow::{Result, ensure};

/// What a sample measures, which decides how it is printed and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Milliseconds; less is faster.
    Ms,
    /// Microseconds; less is faster.
    Us,
    /// Megabytes (MiB, 1024 kB); less is smaller.
    Mb,
}

impl Unit {
    /// `value` with its unit, at a precision that suits its size.
    pub fn show(self, value: f64) -> String {
        format!("{} {}", self.number(value), self.label())
    }

    /// `value` alone, at the same precision as [`Unit::show`].
    pub fn number(self, value: f64) -> String {
        if value >= 100.0 {
            format!("{value:.0}")
        } else if value >= 1.0 {
            format!("{value:.1}")
        } else {
            format!("{value:.2}")
        }
    }

    /// `ms`, `µs` or `MB`.
    pub fn label(self) -> &'static str {
        match self {
            Unit::Ms => "ms",
            Unit::Us => "µs",
            Unit::Mb => "MB",
        }
    }

    /// How a peer compares with wharfd, e.g. "6.1x faster" or "1.2x larger".
    pub fn ratio(self, wharfd: f64, peer: f64) -> String {
        let (better, worse) = match self {
            Unit::Ms | Unit::Us => ("faster", "slower"),
            Unit::Mb => ("smaller", "larger"),
        };
        if wharfd <= 0.0 || peer <= 0.0 {
            return "-".to_string();
        }
        let (r, word) = if peer >= wharfd {
            (peer / wharfd, better)
        } else {
            (wharfd / peer, worse)
        };
        if r >= 10.0 {
            format!("{r:.0}x {word}")
        } else {
            format!("{r:.1}x {word}")
        }
    }
}

/// Summary of one series of measurements.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stats {
    /// The median (the mean of the two middle samples for an even count).
    pub median: f64,
    /// The smallest sample.
    pub min: f64,
    /// The largest sample.
    pub max: f64,
    /// How many samples there were.
    pub runs: usize,
}

impl Stats {
    /// Summarises `samples`; `None` when there are none.
    pub fn of(samples: &[f64]) -> Option<Stats> {
        let mut s = samples.to_vec();
        s.sort_by(f64::total_cmp);
        let n = s.len();
        let (&min, &max) = (s.first()?, s.last()?);
        let median = if n % 2 == 1 {
            s[n / 2]
        } else {
            (s[n / 2 - 1] + s[n / 2]) / 2.0
        };
        Some(Stats {
            median,
            min,
            max,
            runs: n,
        })
    }

    /// `median unit (min-max)`, e.g. `6.8 ms (6.1-8.0)`.
    pub fn show(&self, unit: Unit) -> String {
        format!(
            "{} ({}-{})",
            unit.show(self.median),
            unit.number(self.min),
            unit.number(self.max)
        )
    }
}

/// Series of samples by key, summarised at the end. A run gives each key one sample, or
/// several (a probe that times the same step a few times on one daemon).
#[derive(Debug)]
pub struct Series<K> {
    samples: HashMap<K, Vec<f64>>,
    /// In how many runs each key had at least one sample.
    seen: HashMap<K, usize>,
    runs: usize,
}

impl<K: Copy + Eq + Hash> Series<K> {
    /// No samples yet.
    pub fn new() -> Self {
        Series {
            samples: HashMap::new(),
            seen: HashMap::new(),
            runs: 0,
        }
    }

    /// Adds one run's figures.
    pub fn push(&mut self, figures: Vec<(K, f64)>) {
        let mut keys = Vec::new();
        for (k, v) in figures {
            self.samples.entry(k).or_default().push(v);
            if !keys.contains(&k) {
                keys.push(k);
            }
        }
        for k in keys {
            *self.seen.entry(k).or_default() += 1;
        }
        self.runs += 1;
    }

    /// Each key's summary, over all its samples; fails unless every run gave every key.
    pub fn summarise(self) -> Result<HashMap<K, Stats>> {
        ensure!(
            !self.samples.is_empty(),
            "no samples (runs = {})",
            self.runs
        );
        ensure!(
            self.seen.values().all(|&n| n == self.runs),
            "a run did not give every figure"
        );
        Ok(self
            .samples
            .into_iter()
            .filter_map(|(k, v)| Some((k, Stats::of(&v)?)))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        let s = Stats::of(&[5.0, 1.0, 3.0]).expect("three samples");
        assert_eq!((s.median, s.min, s.max, s.runs), (3.0, 1.0, 5.0, 3));
        let s = Stats::of(&[4.0, 1.0, 3.0, 2.0]).expect("four samples");
        assert_eq!((s.median, s.min, s.max), (2.5, 1.0, 4.0));
        assert!(Stats::of(&[]).is_none());
    }

    #[test]
    fn series_summarise_each_key() {
        let mut s = Series::new();
        for i in 0..3 {
            s.push(vec![("a", i as f64), ("b", 2.0 * i as f64)]);
        }
        let s = s.summarise().expect("three runs");
        assert_eq!(s["a"].median, 1.0);
        assert_eq!(s["b"].max, 4.0);
        let mut several = Series::new();
        several.push(vec![("a", 1.0), ("a", 2.0), ("b", 5.0)]);
        several.push(vec![("a", 3.0), ("b", 6.0)]);
        let several = several.summarise().expect("every run gave a and b");
        assert_eq!((several["a"].median, several["a"].runs), (2.0, 3));
        assert_eq!(several["b"].runs, 2);
        let mut gap = Series::new();
        gap.push(vec![("a", 1.0)]);
        gap.push(vec![]);
        assert!(gap.summarise().is_err());
        assert!(Series::<&str>::new().summarise().is_err());
    }

    #[test]
    fn ratios_read_from_wharfd_side() {
        assert_eq!(Unit::Ms.ratio(10.0, 61.0), "6.1x faster");
        assert_eq!(Unit::Ms.ratio(10.0, 300.0), "30x faster");
        assert_eq!(Unit::Mb.ratio(4.0, 2.0), "2.0x larger");
        assert_eq!(Unit::Mb.ratio(0.0, 2.0), "-");
        assert_eq!(Unit::Us.ratio(2.0, 3.0), "1.5x faster");
    }

    #[test]
    fn values_are_shown_with_their_unit() {
        let s = Stats::of(&[6.84, 6.1, 8.0]).expect("three samples");
        assert_eq!(s.show(Unit::Ms), "6.8 ms (6.1-8.0)");
        assert_eq!(Unit::Ms.show(312.4), "312 ms");
        assert_eq!(Unit::Ms.show(0.274), "0.27 ms");
    }
}
