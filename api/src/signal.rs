//! Signals as clients name them (`SIGTERM`, `TERM`, `term`, `15`, `RTMIN+3`): moby's table and
//! rules, stated once in `mobyport` for every crate that reads a signal.

pub use mobyport::signal::Signal;

use crate::Error;

/// A signal a client named wrongly is a bad request, worded as moby words it.
impl From<mobyport::signal::SignalError> for Error {
    fn from(e: mobyport::signal::SignalError) -> Self {
        Error::invalid(e.to_string())
    }
}
