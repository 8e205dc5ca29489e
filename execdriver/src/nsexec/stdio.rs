//! The exec's stdio: pipes, or a pty opened in the container's own devpts.

use std::fs::File;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::path::Path;

use nix::fcntl::OFlag;
use nix::libc;
use nix::sys::stat::Mode;
use oci_spec::runtime::Process;

use super::child::ChildStdio;
use crate::error::{Context, Error, Result};

/// The monitor's ends of the process's stdio.
pub(crate) enum MonitorStdio {
    /// The pty's master side.
    Pty(File),
    /// The read ends of stdout and stderr, and the write end of stdin with `-i`.
    Pipes {
        /// The process's stdout.
        stdout: File,
        /// The process's stderr.
        stderr: File,
        /// The process's stdin, when it is open.
        stdin: Option<File>,
    },
}

/// The process's stdio: a pty whose master is opened in the container's own devpts (as runc
/// opens `/dev/ptmx` inside the container), sized as asked; or pipes, stdin from /dev/null
/// unless it is open.
pub(super) fn stdio(
    init: &Path,
    p: &Process,
    open_stdin: bool,
) -> Result<(ChildStdio, MonitorStdio)> {
    if p.terminal().unwrap_or(false) {
        let ptmx = init.join("root/dev/pts/ptmx");
        let master = nix::fcntl::open(
            &ptmx,
            OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| Error::path("opening", &ptmx, e))?;
        let unlock: libc::c_int = 0;
        // SAFETY: TIOCSPTLCK reads one int from the pointer, valid for the call.
        if unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSPTLCK, &unlock) } < 0 {
            return Err(Error::io(
                "unlocking the exec's pty",
                std::io::Error::last_os_error(),
            ));
        }
        // SAFETY: TIOCGPTPEER opens the slave of this master and returns a new descriptor.
        let slave = unsafe {
            libc::ioctl(
                master.as_raw_fd(),
                libc::TIOCGPTPEER,
                libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC,
            )
        };
        if slave < 0 {
            return Err(Error::io(
                "opening the exec's pty slave",
                std::io::Error::last_os_error(),
            ));
        }
        // SAFETY: a fresh descriptor nothing else owns.
        let slave = unsafe { OwnedFd::from_raw_fd(slave) };
        let master = File::from(master);
        if let Some(size) = p.console_size().filter(|b| b.height() > 0 && b.width() > 0) {
            let h = u16::try_from(size.height()).unwrap_or(u16::MAX);
            let w = u16::try_from(size.width()).unwrap_or(u16::MAX);
            resize(&master, h, w).context("sizing the exec's pty")?;
        }
        return Ok((ChildStdio::Tty(slave), MonitorStdio::Pty(master)));
    }
    let pipe = || nix::unistd::pipe2(OFlag::O_CLOEXEC).context("creating a pipe");
    let (out_r, out_w) = pipe()?;
    let (err_r, err_w) = pipe()?;
    let (stdin_child, stdin) = if open_stdin {
        let (in_r, in_w) = pipe()?;
        (in_r, Some(File::from(in_w)))
    } else {
        let null = File::open("/dev/null").context("opening /dev/null")?;
        (OwnedFd::from(null), None)
    };
    Ok((
        ChildStdio::Pipes([stdin_child, out_w, err_w]),
        MonitorStdio::Pipes {
            stdout: File::from(out_r),
            stderr: File::from(err_r),
            stdin,
        },
    ))
}

fn resize(master: &File, height: u16, width: u16) -> std::io::Result<()> {
    let ws = libc::winsize {
        ws_row: height,
        ws_col: width,
        ws_xpixel: 0,
        ws_ypixel: 0,
    };
    // SAFETY: TIOCSWINSZ reads one `winsize` from the pointer, valid for the call.
    if unsafe { libc::ioctl(master.as_raw_fd(), libc::TIOCSWINSZ, &ws) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(())
}
