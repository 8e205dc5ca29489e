//! Signals as clients name them: `SIGTERM`, `TERM`, `term` or `15` (moby's `signal.ParseSignal`).
//!
//! The numbers are Linux's on x86-64 and arm64 (the generic table; mips and sparc differ), so
//! this crate needs no libc: the daemon turns a [`Signal`] into its own signal type.

use std::fmt;

use crate::Error;

/// A signal the Linux daemon can deliver.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signal(i32);

/// The standard signals by name, without `SIG` (aliases after their canonical name).
const NAMES: &[(&str, i32)] = &[
    ("HUP", 1),
    ("INT", 2),
    ("QUIT", 3),
    ("ILL", 4),
    ("TRAP", 5),
    ("ABRT", 6),
    ("IOT", 6),
    ("BUS", 7),
    ("FPE", 8),
    ("KILL", 9),
    ("USR1", 10),
    ("SEGV", 11),
    ("USR2", 12),
    ("PIPE", 13),
    ("ALRM", 14),
    ("TERM", 15),
    ("STKFLT", 16),
    ("CHLD", 17),
    ("CLD", 17),
    ("CONT", 18),
    ("STOP", 19),
    ("TSTP", 20),
    ("TTIN", 21),
    ("TTOU", 22),
    ("URG", 23),
    ("XCPU", 24),
    ("XFSZ", 25),
    ("VTALRM", 26),
    ("PROF", 27),
    ("WINCH", 28),
    ("IO", 29),
    ("POLL", 29),
    ("PWR", 30),
    ("SYS", 31),
];

/// The first and last real-time signals as glibc numbers them (32 and 33 are its own).
const RTMIN: i32 = 34;
const RTMAX: i32 = 64;

impl Signal {
    /// `SIGKILL`, what `kill` sends by default.
    pub const KILL: Signal = Signal(9);
    /// `SIGTERM`, what `stop` sends unless the container names another.
    pub const TERM: Signal = Signal(15);

    /// Parses a name (`SIGTERM`, `TERM`, any case, `RTMIN+3`, `RTMAX-1`) or a number, with
    /// Docker's messages.
    pub fn parse(raw: &str) -> Result<Signal, Error> {
        let invalid = || Error::invalid(format!("Invalid signal: {raw}"));
        if let Ok(n) = raw.parse::<i32>() {
            if n == 0 {
                return Err(invalid());
            }
            return Signal::from_number(n).ok_or_else(|| {
                Error::invalid(format!("the linux daemon does not support signal {n}"))
            });
        }
        let upper = raw.to_ascii_uppercase();
        let name = upper.strip_prefix("SIG").unwrap_or(&upper);
        if let Some(&(_, n)) = NAMES.iter().find(|(k, _)| *k == name) {
            return Ok(Signal(n));
        }
        let realtime = |base: &str, sign: i32| -> Option<i32> {
            let rest = name.strip_prefix(base)?;
            let offset = match rest {
                "" => 0,
                _ => rest.get(1..)?.parse::<i32>().ok()?,
            };
            let expected = if sign > 0 { '+' } else { '-' };
            if !rest.is_empty() && !rest.starts_with(expected) {
                return None;
            }
            Some(offset * sign)
        };
        let n = realtime("RTMIN", 1)
            .map(|o| RTMIN + o)
            .or_else(|| realtime("RTMAX", -1).map(|o| RTMAX + o))
            .filter(|n| (RTMIN..=RTMAX).contains(n))
            .ok_or_else(invalid)?;
        Ok(Signal(n))
    }

    /// Checks a container's `StopSignal` as moby's `signal.ParseSignal` does at create: any
    /// non-zero integer (as Go's `strconv.Atoi` reads it, not checked against Linux's
    /// signals), or a name of moby's `SignalMap` (`SIG` optional, any case), whose real-time
    /// names stop at `RTMIN+15` and `RTMAX-14`.
    pub fn check_stop_signal(raw: &str) -> Result<(), Error> {
        let digits = raw.strip_prefix(['+', '-']).unwrap_or(raw);
        let ok = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
            raw.parse::<i64>().is_ok_and(|n| n != 0)
        } else {
            let upper: String = raw.chars().map(go_upper).collect();
            let name = upper.strip_prefix("SIG").unwrap_or(&upper);
            let offset = |rest: Option<&str>, max: u8| {
                rest.is_some_and(|n| {
                    !n.starts_with(['0', '+'])
                        && n.parse::<u8>().is_ok_and(|n| (1..=max).contains(&n))
                })
            };
            NAMES.iter().any(|(k, _)| *k == name)
                || matches!(name, "RTMIN" | "RTMAX")
                || offset(name.strip_prefix("RTMIN+"), 15)
                || offset(name.strip_prefix("RTMAX-"), 14)
        };
        match ok {
            true => Ok(()),
            false => Err(Error::invalid(format!("Invalid signal: {raw}"))),
        }
    }

    /// The signal numbered `n`, if Linux has one.
    pub fn from_number(n: i32) -> Option<Signal> {
        let known = (1..=31).contains(&n) || (RTMIN..=RTMAX).contains(&n);
        known.then_some(Signal(n))
    }

    /// The signal's number, for `kill(2)`.
    pub fn number(self) -> i32 {
        self.0
    }
}

impl fmt::Display for Signal {
    /// `SIGTERM`, or `SIGRTMIN+3` for real-time signals.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match NAMES.iter().find(|(_, n)| *n == self.0) {
            Some((name, _)) => write!(f, "SIG{name}"),
            None if self.0 == RTMIN => f.write_str("SIGRTMIN"),
            None => write!(f, "SIGRTMIN+{}", self.0 - RTMIN),
        }
    }
}

/// Go's `unicode.ToUpper` of one rune: a character whose upper case is several characters
/// stays as it is.
fn go_upper(c: char) -> char {
    let mut up = c.to_uppercase();
    match (up.next(), up.next()) {
        (Some(u), None) => u,
        _ => c,
    }
}

#[cfg(test)]
mod tests {
    use super::Signal;

    #[test]
    fn names_and_numbers_parse_as_moby_does() {
        for raw in ["SIGTERM", "TERM", "term", "SigTerm", "15"] {
            assert_eq!(Signal::parse(raw).unwrap().number(), 15, "{raw}");
        }
        assert_eq!(Signal::parse("KILL").unwrap(), Signal::KILL);
        assert_eq!(Signal::parse("SIGCLD").unwrap().number(), 17);
        assert_eq!(Signal::parse("RTMIN").unwrap().number(), 34);
        assert_eq!(Signal::parse("SIGRTMIN+3").unwrap().number(), 37);
        assert_eq!(Signal::parse("RTMAX-1").unwrap().number(), 63);
        assert_eq!(Signal::parse("64").unwrap().to_string(), "SIGRTMIN+30");
        assert_eq!(Signal::TERM.to_string(), "SIGTERM");
    }

    #[test]
    fn stop_signals_are_checked_as_moby_parses_them() {
        for ok in [
            "SIGTERM",
            "term",
            "15",
            "65",
            "-9",
            "+3",
            "9999999999",
            "SIGRTMIN+15",
            "RTMAX-14",
            "rtmin",
            "SIGCLD",
            "SIGIOT",
            "STKFLT",
            "\u{17f}igterm",
        ] {
            assert!(Signal::check_stop_signal(ok).is_ok(), "{ok}");
        }
        for bad in [
            "0",
            "",
            "SIGBOGUS",
            "SIGUNUSED",
            "RTMIN+16",
            "RTMAX-15",
            "RTMIN+03",
            "RTMIN++1",
            "99999999999999999999",
            " 9",
        ] {
            let e = Signal::check_stop_signal(bad).expect_err(bad);
            assert_eq!(e.message, format!("Invalid signal: {bad}"));
        }
    }

    #[test]
    fn bad_signals_get_dockers_messages() {
        for raw in [
            "", "0", "SIGNOPE", "RTMIN-1", "RTMAX+1", "RTMIN+x", "RTMIN+31",
        ] {
            let e = Signal::parse(raw).unwrap_err();
            assert_eq!(e.message, format!("Invalid signal: {raw}"), "{raw}");
        }
        for raw in ["32", "65", "-9"] {
            let e = Signal::parse(raw).unwrap_err();
            assert_eq!(
                e.message,
                format!("the linux daemon does not support signal {raw}")
            );
        }
    }
}
