//! The monitor's I/O loop: container output to the log and to attach clients, clients' stdin
//! to the container, and reaping, all on one thread with `poll`.

use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::{Duration, Instant};

use jiff::Timestamp;

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags, PollTimeout, poll};
use nix::sys::signalfd::SignalFd;
use nix::sys::wait::{WaitPidFlag, WaitStatus, waitpid};
use nix::unistd::Pid;

use super::note;
use super::tty;
use crate::logfile::{LogWriter, Stream};
use crate::logrotate::RotatingFile;
use crate::protocol::{self, Frame, MAX_BACKLOG};

/// How long output may keep flowing after the init process exited (processes outside the
/// container holding its stdout could otherwise keep the monitor alive forever).
const DRAIN: Duration = Duration::from_secs(2);
/// How much client stdin is buffered for a container that does not read it.
const MAX_STDIN_BUFFER: usize = 1 << 20;

/// A source of container output: a pipe, or the pty master.
pub(super) struct Output {
    pub(super) file: File,
    pub(super) stream: Stream,
    open: bool,
}

impl Output {
    pub(super) fn new(file: File, stream: Stream) -> Self {
        Output {
            file,
            stream,
            open: true,
        }
    }
}

/// The container's stdin: a pipe, or (a duplicate of) the pty master.
pub(super) struct Stdin {
    file: File,
    buf: Vec<u8>,
    close_requested: bool,
    is_tty: bool,
}

impl Stdin {
    pub(super) fn new(file: File, is_tty: bool) -> Self {
        Stdin {
            file,
            buf: Vec::new(),
            close_requested: false,
            is_tty,
        }
    }

    pub(super) fn file(&self) -> &File {
        &self.file
    }
}

/// An attach connection.
pub(super) struct Client {
    stream: UnixStream,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    read_closed: bool,
    dead: bool,
}

impl Client {
    pub(super) fn new(stream: UnixStream) -> std::io::Result<Self> {
        stream.set_nonblocking(true)?;
        Ok(Client {
            stream,
            inbuf: Vec::new(),
            out: Vec::new(),
            read_closed: false,
            dead: false,
        })
    }

    /// Queues bytes, dropping the client if it fell too far behind.
    pub(super) fn queue(&mut self, bytes: &[u8]) {
        if self.dead {
            return;
        }
        if self.out.len() + bytes.len() > MAX_BACKLOG {
            note("dropping an attach client that does not keep up with the output");
            self.dead = true;
            return;
        }
        self.out.extend_from_slice(bytes);
        self.flush();
    }

    /// Writes what the socket takes without blocking.
    pub(super) fn flush(&mut self) {
        while !self.out.is_empty() && !self.dead {
            match self.stream.write(&self.out) {
                Ok(n) => {
                    self.out.drain(..n);
                }
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(_) => self.dead = true,
            }
        }
    }

    pub(super) fn pending(&self) -> bool {
        !self.out.is_empty() && !self.dead
    }
}

/// Accepts every connection waiting on `listener` (non-blocking).
pub(super) fn accept_all(listener: &UnixListener, clients: &mut Vec<Client>) {
    loop {
        match listener.accept() {
            Ok((stream, _)) => match Client::new(stream) {
                Ok(c) => clients.push(c),
                Err(e) => note(&format!("configuring an attach connection: {e}")),
            },
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(_) => break,
        }
    }
}

/// How the init process ended: (Docker exit code, killing signal).
pub(super) type Exit = (i32, Option<i32>);

/// What the loop works on.
pub(super) struct Loop<'a> {
    pub(super) listener: &'a UnixListener,
    pub(super) clients: Vec<Client>,
    pub(super) outputs: Vec<Output>,
    pub(super) stdin: Option<Stdin>,
    pub(super) pty: Option<File>,
    pub(super) sigfd: &'a SignalFd,
    pub(super) init: Pid,
    /// The container's log, unless its driver is `none`; an exec's output goes to its clients
    /// only, as in dockerd.
    pub(super) log: Option<LogWriter<RotatingFile>>,
}

#[derive(Clone, Copy)]
enum Tag {
    Signal,
    Listener,
    Output(usize),
    Stdin,
    Client(usize),
}

impl Loop<'_> {
    /// Runs until the init process was reaped and its output drained; returns how it ended.
    pub(super) fn run(&mut self) -> Exit {
        let mut exit = self.reap();
        let mut exited_at = exit.map(|_| Instant::now());
        loop {
            let open = self.outputs.iter().any(|o| o.open);
            let timeout = match exited_at {
                Some(_) if !open => break,
                Some(t) => {
                    let left = DRAIN.saturating_sub(t.elapsed());
                    if left.is_zero() {
                        note("output still open after the container exited; closing it");
                        break;
                    }
                    PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX)
                }
                None => PollTimeout::NONE,
            };
            let ready = match self.wait(timeout) {
                Ok(r) => r,
                Err(Errno::EINTR) => continue,
                Err(e) => {
                    note(&format!("poll failed: {e}"));
                    std::thread::sleep(Duration::from_millis(10));
                    continue;
                }
            };
            for (tag, revents) in ready {
                match tag {
                    Tag::Signal => {
                        while let Ok(Some(_)) = self.sigfd.read_signal() {}
                        if exit.is_none() {
                            exit = self.reap();
                            if exit.is_some() {
                                exited_at = Some(Instant::now());
                            }
                        } else {
                            self.reap();
                        }
                    }
                    Tag::Listener => accept_all(self.listener, &mut self.clients),
                    Tag::Output(i) => self.read_output(i),
                    Tag::Stdin => self.pump_stdin(),
                    Tag::Client(i) => self.serve_client(i, revents),
                }
            }
            self.pump_stdin();
            self.clients.retain(|c| !c.dead);
        }
        if let Some(log) = &mut self.log {
            let _ = log.finish(Timestamp::now());
        }
        exit.unwrap_or((255, None))
    }

    fn wait(&self, timeout: PollTimeout) -> nix::Result<Vec<(Tag, PollFlags)>> {
        let mut fds = Vec::new();
        let mut tags = Vec::new();
        fds.push(PollFd::new(self.sigfd.as_fd(), PollFlags::POLLIN));
        tags.push(Tag::Signal);
        fds.push(PollFd::new(self.listener.as_fd(), PollFlags::POLLIN));
        tags.push(Tag::Listener);
        for (i, o) in self.outputs.iter().enumerate().filter(|(_, o)| o.open) {
            fds.push(PollFd::new(o.file.as_fd(), PollFlags::POLLIN));
            tags.push(Tag::Output(i));
        }
        if let Some(s) = self.stdin.as_ref().filter(|s| !s.buf.is_empty()) {
            fds.push(PollFd::new(s.file.as_fd(), PollFlags::POLLOUT));
            tags.push(Tag::Stdin);
        }
        let room = self
            .stdin
            .as_ref()
            .is_none_or(|s| s.buf.len() < MAX_STDIN_BUFFER);
        for (i, c) in self.clients.iter().enumerate() {
            let mut ev = PollFlags::empty();
            if !c.read_closed && room {
                ev |= PollFlags::POLLIN;
            }
            if c.pending() {
                ev |= PollFlags::POLLOUT;
            }
            fds.push(PollFd::new(c.stream.as_fd(), ev));
            tags.push(Tag::Client(i));
        }
        poll(&mut fds, timeout)?;
        Ok(fds
            .iter()
            .zip(tags)
            .filter_map(|(fd, tag)| fd.revents().filter(|r| !r.is_empty()).map(|r| (tag, r)))
            .collect())
    }

    /// Reaps every exited child (the init process and orphans re-parented to the monitor);
    /// returns the init process's exit once it is reaped.
    fn reap(&mut self) -> Option<Exit> {
        let mut found = None;
        loop {
            match waitpid(None, Some(WaitPidFlag::WNOHANG)) {
                Ok(WaitStatus::Exited(pid, code)) if pid == self.init => found = Some((code, None)),
                Ok(WaitStatus::Signaled(pid, sig, _)) if pid == self.init => {
                    found = Some((128 + sig as i32, Some(sig as i32)));
                }
                Ok(WaitStatus::StillAlive) | Err(_) => return found,
                Ok(_) => {}
            }
        }
    }

    fn read_output(&mut self, i: usize) {
        let mut buf = [0u8; 64 * 1024];
        let o = &mut self.outputs[i];
        let n = match o.file.read(&mut buf) {
            Ok(0) => {
                o.open = false;
                return;
            }
            Ok(n) => n,
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => return,
            Err(e) => {
                // EIO: every process holding the pty slave is gone.
                if e.raw_os_error() != Some(nix::libc::EIO) {
                    note(&format!("reading container {:?}: {e}", o.stream));
                }
                o.open = false;
                return;
            }
        };
        let stream = o.stream;
        let data = &buf[..n];
        if let Some(log) = &mut self.log
            && let Err(e) = log.write(stream, data, Timestamp::now())
        {
            note(&format!("writing the container's log: {e}"));
        }
        let kind = match stream {
            Stream::Stdout => protocol::STDOUT,
            Stream::Stderr => protocol::STDERR,
        };
        let mut frame = Vec::with_capacity(n + 8);
        protocol::encode_raw(kind, data, &mut frame);
        for c in &mut self.clients {
            c.queue(&frame);
        }
    }

    fn pump_stdin(&mut self) {
        let Some(s) = self.stdin.as_mut() else {
            return;
        };
        while !s.buf.is_empty() {
            match s.file.write(&s.buf) {
                Ok(n) => {
                    s.buf.drain(..n);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                Err(e) if e.kind() == ErrorKind::WouldBlock => return,
                Err(_) => {
                    // The process closed its stdin (EPIPE): nothing more can be delivered.
                    self.stdin = None;
                    return;
                }
            }
        }
        if s.close_requested && !s.is_tty {
            self.stdin = None;
        }
    }

    fn serve_client(&mut self, i: usize, revents: PollFlags) {
        if revents.intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR)
            && !self.clients[i].read_closed
        {
            let mut buf = [0u8; 64 * 1024];
            match self.clients[i].stream.read(&mut buf) {
                // Half-closed by the client: it sends no more, but still gets the output.
                Ok(0) => self.clients[i].read_closed = true,
                Ok(n) => {
                    self.clients[i].inbuf.extend_from_slice(&buf[..n]);
                    self.handle_frames(i);
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::Interrupted) => {}
                Err(_) => self.clients[i].dead = true,
            }
        } else if revents.intersects(PollFlags::POLLHUP | PollFlags::POLLERR) {
            self.clients[i].dead = true;
        }
        if revents.contains(PollFlags::POLLOUT) {
            self.clients[i].flush();
        }
    }

    fn handle_frames(&mut self, i: usize) {
        loop {
            let decoded = Frame::decode(&self.clients[i].inbuf);
            let (frame, used) = match decoded {
                Ok(Some(f)) => f,
                Ok(None) => return,
                Err(e) => {
                    note(&format!("dropping an attach client: {e}"));
                    self.clients[i].dead = true;
                    return;
                }
            };
            self.clients[i].inbuf.drain(..used);
            match frame {
                Frame::Stdin(data) => {
                    if let Some(s) = self.stdin.as_mut().filter(|s| !s.close_requested) {
                        s.buf.extend_from_slice(&data);
                    }
                }
                Frame::CloseStdin => {
                    if let Some(s) = self.stdin.as_mut() {
                        s.close_requested = true;
                    }
                }
                Frame::Resize { height, width } => {
                    if let Some(pty) = &self.pty
                        && let Err(e) = tty::resize(pty, height, width)
                    {
                        note(&format!("resizing the tty: {e}"));
                    }
                }
                Frame::Stdout(_) | Frame::Stderr(_) | Frame::Exit(_) => {
                    note("dropping an attach client that sent an output frame");
                    self.clients[i].dead = true;
                    return;
                }
            }
        }
    }
}

/// Sends the exit frame to every client and gives them up to `timeout` to take the rest of
/// their output.
pub(super) fn finish_clients(
    clients: &mut Vec<Client>,
    exit: &crate::state::ExitStatus,
    timeout: Duration,
) {
    let frame = Frame::Exit(exit.clone()).encode();
    for c in clients.iter_mut() {
        c.queue(&frame);
    }
    let deadline = Instant::now() + timeout;
    loop {
        clients.retain(|c| c.pending());
        let left = deadline.saturating_duration_since(Instant::now());
        if clients.is_empty() || left.is_zero() {
            return;
        }
        let mut fds: Vec<PollFd<'_>> = clients
            .iter()
            .map(|c| PollFd::new(c.stream.as_fd(), PollFlags::POLLOUT))
            .collect();
        let _ = poll(
            &mut fds,
            PollTimeout::try_from(left).unwrap_or(PollTimeout::MAX),
        );
        drop(fds);
        for c in clients.iter_mut() {
            c.flush();
        }
    }
}
