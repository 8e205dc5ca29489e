//! The attach socket protocol between the daemon and a container's monitor.
//!
//! Every message is a frame with Docker's 8-byte multiplexed-stream header, `[kind, 0, 0, 0,
//! length as u32 big-endian]`, followed by `length` bytes. The monitor sends `Stdout` and
//! `Stderr` (all tty output is `Stdout`) as it reads them, and `Exit` (an [`ExitStatus`] as
//! JSON) just before it closes the connection; the daemon sends `Stdin`, `CloseStdin` and
//! `Resize` (height and width as big-endian u16). Output is live only: history comes from the
//! json-file log. Every connection receives all output; the monitor drops a connection that
//! falls more than [`MAX_BACKLOG`] bytes behind rather than block the container.

use std::io::{Read, Write};
use std::os::fd::AsRawFd;
use std::os::unix::net::UnixStream;
use std::path::Path;

use crate::error::{Context, Error, Result};
use crate::state::{ContainerDir, ExitStatus};

/// Frame kind: bytes for the container's stdin (daemon → monitor).
pub const STDIN: u8 = 0;
/// Frame kind: the container's stdout, or tty output (monitor → daemon).
pub const STDOUT: u8 = 1;
/// Frame kind: the container's stderr (monitor → daemon).
pub const STDERR: u8 = 2;
/// Frame kind: the container exited; the payload is its [`ExitStatus`] as JSON.
pub const EXIT: u8 = 3;
/// Frame kind: close the container's stdin (EOF for the process; ignored under a tty).
pub const CLOSE_STDIN: u8 = 4;
/// Frame kind: resize the tty; payload height then width, big-endian u16.
pub const RESIZE: u8 = 5;

/// Largest payload accepted in one frame.
pub const MAX_PAYLOAD: usize = 1 << 20;
/// How far (in bytes) a connection may fall behind the output before the monitor drops it.
pub const MAX_BACKLOG: usize = 8 << 20;

/// One message on the attach socket.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// Bytes for the container's stdin.
    Stdin(Vec<u8>),
    /// Container stdout (or tty output).
    Stdout(Vec<u8>),
    /// Container stderr.
    Stderr(Vec<u8>),
    /// The container exited.
    Exit(ExitStatus),
    /// Close the container's stdin.
    CloseStdin,
    /// Resize the container's tty.
    Resize {
        /// Rows.
        height: u16,
        /// Columns.
        width: u16,
    },
}

/// Appends the encoding of a frame of `kind` with `payload` to `out`.
pub fn encode_raw(kind: u8, payload: &[u8], out: &mut Vec<u8>) {
    let len = u32::try_from(payload.len()).expect("frames are far smaller than 4 GiB");
    out.extend_from_slice(&[kind, 0, 0, 0]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(payload);
}

impl Frame {
    /// The frame's bytes on the wire.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::new();
        match self {
            Frame::Stdin(b) => encode_raw(STDIN, b, &mut out),
            Frame::Stdout(b) => encode_raw(STDOUT, b, &mut out),
            Frame::Stderr(b) => encode_raw(STDERR, b, &mut out),
            Frame::Exit(status) => {
                let json = serde_json::to_vec(status).expect("an exit status always serialises");
                encode_raw(EXIT, &json, &mut out);
            }
            Frame::CloseStdin => encode_raw(CLOSE_STDIN, &[], &mut out),
            Frame::Resize { height, width } => {
                let mut p = height.to_be_bytes().to_vec();
                p.extend_from_slice(&width.to_be_bytes());
                encode_raw(RESIZE, &p, &mut out);
            }
        }
        out
    }

    /// Decodes the first frame of `buf`: `Ok(None)` if `buf` holds less than a frame, else the
    /// frame and the number of bytes it took.
    pub fn decode(buf: &[u8]) -> Result<Option<(Frame, usize)>> {
        if buf.len() < 8 {
            return Ok(None);
        }
        let len = u32::from_be_bytes([buf[4], buf[5], buf[6], buf[7]]) as usize;
        if len > MAX_PAYLOAD {
            return Err(Error::Runtime(format!(
                "attach frame of {len} bytes exceeds the limit of {MAX_PAYLOAD}"
            )));
        }
        if buf.len() < 8 + len {
            return Ok(None);
        }
        let p = &buf[8..8 + len];
        let frame = match buf[0] {
            STDIN => Frame::Stdin(p.to_vec()),
            STDOUT => Frame::Stdout(p.to_vec()),
            STDERR => Frame::Stderr(p.to_vec()),
            EXIT => Frame::Exit(serde_json::from_slice(p).map_err(|e| {
                Error::Runtime(format!("malformed exit frame from the monitor: {e}"))
            })?),
            CLOSE_STDIN => Frame::CloseStdin,
            RESIZE if len == 4 => Frame::Resize {
                height: u16::from_be_bytes([p[0], p[1]]),
                width: u16::from_be_bytes([p[2], p[3]]),
            },
            kind => {
                return Err(Error::Runtime(format!(
                    "unknown attach frame kind {kind} of {len} bytes"
                )));
            }
        };
        Ok(Some((frame, 8 + len)))
    }
}

/// Connects to the Unix socket `name` in `dir`, also when the full path is longer than a
/// socket address can hold (108 bytes): then through `/proc/self/fd/N/name` of the directory.
pub(crate) fn connect_in(dir: &Path, name: &str) -> std::io::Result<UnixStream> {
    let full = dir.join(name);
    if full.as_os_str().len() < 100 {
        return UnixStream::connect(&full);
    }
    let d = std::fs::File::open(dir)?;
    UnixStream::connect(format!("/proc/self/fd/{}/{name}", d.as_raw_fd()))
}

/// A blocking connection to a container's monitor.
///
/// An async daemon can take the stream ([`AttachConn::into_stream`]), make it non-blocking and
/// wrap it in its runtime, framing with [`Frame::encode`] and [`Frame::decode`].
#[derive(Debug)]
pub struct AttachConn {
    stream: UnixStream,
    buf: Vec<u8>,
}

impl AttachConn {
    /// Connects to the monitor of the container in `dir`. [`Error::NotFound`] when no monitor
    /// listens (the container is not running).
    pub fn connect(dir: &ContainerDir) -> Result<Self> {
        let stream =
            connect_in(dir.path(), crate::state::ATTACH_SOCKET).map_err(|e| match e.kind() {
                std::io::ErrorKind::NotFound | std::io::ErrorKind::ConnectionRefused => {
                    Error::NotFound(format!("container {} has no running monitor", dir.id()))
                }
                _ => Error::path("connecting to", &dir.attach_socket(), e),
            })?;
        Ok(AttachConn {
            stream,
            buf: Vec::new(),
        })
    }

    /// Sends bytes to the container's stdin.
    pub fn write_stdin(&mut self, data: &[u8]) -> Result<()> {
        for chunk in data.chunks(MAX_PAYLOAD) {
            self.send(&Frame::Stdin(chunk.to_vec()))?;
        }
        Ok(())
    }

    /// Closes the container's stdin (the process reads EOF).
    pub fn close_stdin(&mut self) -> Result<()> {
        self.send(&Frame::CloseStdin)
    }

    /// Resizes the container's tty.
    pub fn resize(&mut self, height: u16, width: u16) -> Result<()> {
        self.send(&Frame::Resize { height, width })
    }

    fn send(&mut self, frame: &Frame) -> Result<()> {
        self.stream
            .write_all(&frame.encode())
            .context("writing to the attach socket")
    }

    /// The next frame from the monitor, `None` once it closed (or reset) the connection.
    pub fn read_frame(&mut self) -> Result<Option<Frame>> {
        let mut chunk = [0u8; 32 * 1024];
        loop {
            if let Some((frame, used)) = Frame::decode(&self.buf)? {
                self.buf.drain(..used);
                return Ok(Some(frame));
            }
            let n = match self.stream.read(&mut chunk) {
                Ok(n) => n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                // A monitor that exits with the connection still unaccepted resets it: that is
                // the end of the stream too.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => 0,
                Err(e) => return Err(Error::io("reading from the attach socket", e)),
            };
            if n == 0 {
                return Ok(None);
            }
            self.buf.extend_from_slice(&chunk[..n]);
        }
    }

    /// The underlying socket, e.g. to set timeouts.
    pub fn stream(&self) -> &UnixStream {
        &self.stream
    }

    /// The underlying socket (frames not yet read are lost).
    pub fn into_stream(self) -> UnixStream {
        self.stream
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_round_trip() {
        let frames = [
            Frame::Stdin(b"abc".to_vec()),
            Frame::Stdout(b"hi\n".to_vec()),
            Frame::Stderr(Vec::new()),
            Frame::CloseStdin,
            Frame::Resize {
                height: 24,
                width: 80,
            },
            Frame::Exit(ExitStatus {
                exit_code: 3,
                signal: None,
                oom_killed: false,
                finished_at: jiff::Timestamp::UNIX_EPOCH,
                error: None,
            }),
        ];
        let mut wire = Vec::new();
        for f in &frames {
            wire.extend(f.encode());
        }
        assert_eq!(&wire[..11], &[0, 0, 0, 0, 0, 0, 0, 3, b'a', b'b', b'c']);
        let mut got = Vec::new();
        let mut at = 0;
        while let Some((f, used)) = Frame::decode(&wire[at..]).unwrap() {
            got.push(f);
            at += used;
        }
        assert_eq!(got, frames);
        assert_eq!(at, wire.len());
    }

    #[test]
    fn partial_and_bad_frames() {
        let wire = Frame::Stdout(b"hello".to_vec()).encode();
        assert_eq!(Frame::decode(&wire[..7]).unwrap(), None);
        assert_eq!(Frame::decode(&wire[..12]).unwrap(), None);
        assert!(Frame::decode(&[9, 0, 0, 0, 0, 0, 0, 0]).is_err());
        assert!(Frame::decode(&[0, 0, 0, 0, 0xff, 0, 0, 0]).is_err());
        assert!(Frame::decode(&[RESIZE, 0, 0, 0, 0, 0, 0, 1, 0]).is_err());
    }

    #[test]
    fn long_socket_paths_connect_through_proc() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("x".repeat(60)).join("y".repeat(60));
        std::fs::create_dir_all(&deep).unwrap();
        let listener = {
            // Bind through the same trick, since the path is too long for bind too.
            let d = std::fs::File::open(&deep).unwrap();
            std::os::unix::net::UnixListener::bind(format!(
                "/proc/self/fd/{}/attach.sock",
                d.as_raw_fd()
            ))
            .unwrap()
        };
        let c = ContainerDir::new("c", &deep);
        let _conn = AttachConn::connect(&c).unwrap();
        listener.accept().unwrap();
        drop(listener);
        std::fs::remove_file(deep.join("attach.sock")).unwrap();
        assert!(matches!(AttachConn::connect(&c), Err(Error::NotFound(_))));
    }
}
