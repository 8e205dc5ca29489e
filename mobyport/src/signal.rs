//! moby's signals on Linux (`github.com/moby/sys/signal`): the `SignalMap` table, `ParseSignal`
//! and `ValidSignalForPlatform`, with their messages.
//!
//! The numbers are Linux's on x86-64 and arm64 (the generic table; mips and sparc differ, and
//! moby has other tables for them), so no libc is needed: a caller turns a [`Signal`] into its
//! own signal type by [`Signal::number`].

use std::fmt;

/// moby's `SignalMap` for Linux: every name `ParseSignal` accepts (upper case, without `SIG`).
/// Where two names share a number the first is the one [`Signal`] prints.
///
/// Real-time signals have names only from `RTMIN` to `RTMIN+15` and from `RTMAX-14` to `RTMAX`
/// (glibc's 34 to 64): `RTMIN+16` is not a name, though 50 is a valid number.
pub const SIGNAL_MAP: [(&str, i32); 65] = [
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
    ("RTMIN", 34),
    ("RTMIN+1", 35),
    ("RTMIN+2", 36),
    ("RTMIN+3", 37),
    ("RTMIN+4", 38),
    ("RTMIN+5", 39),
    ("RTMIN+6", 40),
    ("RTMIN+7", 41),
    ("RTMIN+8", 42),
    ("RTMIN+9", 43),
    ("RTMIN+10", 44),
    ("RTMIN+11", 45),
    ("RTMIN+12", 46),
    ("RTMIN+13", 47),
    ("RTMIN+14", 48),
    ("RTMIN+15", 49),
    ("RTMAX-14", 50),
    ("RTMAX-13", 51),
    ("RTMAX-12", 52),
    ("RTMAX-11", 53),
    ("RTMAX-10", 54),
    ("RTMAX-9", 55),
    ("RTMAX-8", 56),
    ("RTMAX-7", 57),
    ("RTMAX-6", 58),
    ("RTMAX-5", 59),
    ("RTMAX-4", 60),
    ("RTMAX-3", 61),
    ("RTMAX-2", 62),
    ("RTMAX-1", 63),
    ("RTMAX", 64),
];

/// Why a signal was refused, worded as moby words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignalError {
    /// `ParseSignal`'s refusal: zero, or a name not in [`SIGNAL_MAP`] (holds the text given).
    Invalid(String),
    /// A number no Linux signal has (`ValidSignalForPlatform` is false).
    Unsupported(i64),
}

impl fmt::Display for SignalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SignalError::Invalid(raw) => write!(f, "invalid signal: {raw}"),
            SignalError::Unsupported(n) => {
                write!(f, "the linux daemon does not support signal {n}")
            }
        }
    }
}

impl std::error::Error for SignalError {}

/// moby's `ParseSignal`: a non-zero number as Go's `strconv.Atoi` reads it (any value: it is
/// not checked against the table), or a name of [`SIGNAL_MAP`] in any case, with or without
/// `SIG`.
pub fn parse_signal(raw: &str) -> Result<i64, SignalError> {
    let invalid = || SignalError::Invalid(raw.to_owned());
    if let Ok(n) = raw.parse::<i64>() {
        return if n == 0 { Err(invalid()) } else { Ok(n) };
    }
    let upper = crate::strings::to_upper(raw);
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    SIGNAL_MAP
        .iter()
        .find(|(k, _)| *k == name)
        .map(|&(_, n)| i64::from(n))
        .ok_or_else(invalid)
}

/// A signal the Linux daemon can deliver: a number of [`SIGNAL_MAP`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Signal(i32);

impl Signal {
    /// `SIGKILL`, what `kill` sends by default.
    pub const KILL: Signal = Signal(9);
    /// `SIGTERM`, what `stop` sends unless the container names another.
    pub const TERM: Signal = Signal(15);

    /// What the daemon does with a signal a client names: [`parse_signal`], then
    /// `ValidSignalForPlatform` (moby's `ContainerKill`).
    pub fn parse(raw: &str) -> Result<Signal, SignalError> {
        let n = parse_signal(raw)?;
        Signal::from_number(n).ok_or(SignalError::Unsupported(n))
    }

    /// The signal numbered `n`, if Linux has one (`ValidSignalForPlatform`).
    pub fn from_number(n: i64) -> Option<Signal> {
        SIGNAL_MAP
            .iter()
            .find(|(_, v)| i64::from(*v) == n)
            .map(|&(_, v)| Signal(v))
    }

    /// The signal's number, for `kill(2)`.
    pub fn number(self) -> i32 {
        self.0
    }
}

impl fmt::Display for Signal {
    /// Its first name in [`SIGNAL_MAP`] with `SIG`: `SIGTERM`, `SIGRTMIN+3`, `SIGRTMAX-1`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = SIGNAL_MAP
            .iter()
            .find(|(_, n)| *n == self.0)
            .map(|(k, _)| k);
        write!(f, "SIG{}", name.unwrap_or(&"?"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_numbers_parse_as_moby_does() {
        for raw in ["SIGTERM", "TERM", "term", "SigTerm", "15", "+15", "015"] {
            assert_eq!(Signal::parse(raw), Ok(Signal::TERM), "{raw}");
        }
        assert_eq!(Signal::parse("KILL"), Ok(Signal::KILL));
        assert_eq!(parse_signal("SIGCLD"), Ok(17));
        assert_eq!(parse_signal("RTMIN"), Ok(34));
        assert_eq!(parse_signal("SIGRTMIN+3"), Ok(37));
        assert_eq!(parse_signal("rtmin+15"), Ok(49));
        assert_eq!(parse_signal("RTMAX-14"), Ok(50));
        assert_eq!(parse_signal("SIGRTMAX-1"), Ok(63));
        assert_eq!(parse_signal("rtmax"), Ok(64));
        // Numbers are not checked by `ParseSignal`, only by the daemon afterwards.
        assert_eq!(parse_signal("-5"), Ok(-5));
        assert_eq!(parse_signal("99"), Ok(99));
        assert_eq!(Signal::parse("50").map(Signal::number), Ok(50));
    }

    #[test]
    fn only_the_tables_names_are_signals() {
        for raw in [
            "",
            "0",
            "-0",
            "+0",
            "SIG",
            "SIGNOPE",
            "SIGSIGTERM",
            " TERM",
            "RTMIN-1",
            "RTMIN+0",
            "RTMIN+01",
            "RTMIN+16",
            "RTMIN+30",
            "RTMAX-0",
            "RTMAX-15",
            "RTMAX+1",
            "RTMIN+x",
            "99999999999999999999",
        ] {
            let want = SignalError::Invalid(raw.to_owned());
            assert_eq!(parse_signal(raw), Err(want.clone()), "{raw}");
            assert_eq!(want.to_string(), format!("invalid signal: {raw}"));
        }
    }

    #[test]
    fn the_daemon_delivers_only_linux_signals() {
        for n in [32, 33, 65, -9, 4_294_967_296] {
            let e = Signal::parse(&n.to_string()).unwrap_err();
            assert_eq!(e, SignalError::Unsupported(n));
            assert_eq!(
                e.to_string(),
                format!("the linux daemon does not support signal {n}")
            );
        }
        let numbers: Vec<i64> = (1..=31).chain(34..=64).collect();
        for n in numbers {
            let s = Signal::from_number(n).expect("a linux signal");
            assert_eq!(Signal::parse(&s.to_string()), Ok(s), "{s}");
        }
    }

    #[test]
    fn prints_the_first_name() {
        assert_eq!(Signal::TERM.to_string(), "SIGTERM");
        assert_eq!(Signal(6).to_string(), "SIGABRT");
        assert_eq!(Signal(36).to_string(), "SIGRTMIN+2");
        assert_eq!(Signal(64).to_string(), "SIGRTMAX");
    }
}
