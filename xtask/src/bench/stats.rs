//! Series of samples and their summary (median, min, max), with the unit they are in.

use anyhow::Result;

/// What a sample measures, which decides how it is printed and compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Unit {
    /// Milliseconds; less is faster.
    Ms,
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
        } else {
            format!("{value:.1}")
        }
    }

    /// `ms` or `MB`.
    pub fn label(self) -> &'static str {
        match self {
            Unit::Ms => "ms",
            Unit::Mb => "MB",
        }
    }

    /// How a peer compares with wharfd, e.g. "6.1x faster" or "1.2x larger".
    pub fn ratio(self, wharfd: f64, peer: f64) -> String {
        let (better, worse) = match self {
            Unit::Ms => ("faster", "slower"),
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

/// Takes `runs` samples (`sample` gets the run's index) and summarises them; the first error
/// ends the series.
pub fn measure(runs: usize, mut sample: impl FnMut(usize) -> Result<f64>) -> Result<Stats> {
    let samples = (0..runs).map(&mut sample).collect::<Result<Vec<_>>>()?;
    Stats::of(&samples).ok_or_else(|| anyhow::anyhow!("no samples (runs = {runs})"))
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
    fn measure_stops_at_the_first_error() {
        let s = measure(3, |i| Ok(i as f64)).expect("three samples");
        assert_eq!(s.median, 1.0);
        let mut calls = 0;
        let r = measure(5, |i| {
            calls += 1;
            anyhow::ensure!(i < 1, "run {i} failed");
            Ok(1.0)
        });
        assert!(r.is_err());
        assert_eq!(calls, 2);
    }

    #[test]
    fn ratios_read_from_wharfd_side() {
        assert_eq!(Unit::Ms.ratio(10.0, 61.0), "6.1x faster");
        assert_eq!(Unit::Ms.ratio(10.0, 300.0), "30x faster");
        assert_eq!(Unit::Mb.ratio(4.0, 2.0), "2.0x larger");
        assert_eq!(Unit::Mb.ratio(0.0, 2.0), "-");
    }

    #[test]
    fn values_are_shown_with_their_unit() {
        let s = Stats::of(&[6.84, 6.1, 8.0]).expect("three samples");
        assert_eq!(s.show(Unit::Ms), "6.8 ms (6.1-8.0)");
        assert_eq!(Unit::Ms.show(312.4), "312 ms");
    }
}
