//! A tar writer that produces the headers Go's `archive/tar` writes for `docker save`
//! (ustar magic, octal fields padded the Go way, `root` owner names, type bits in the mode).

use std::io::{self, Write};

use crate::error::{Error, Result};

const BLOCK: usize = 512;
const MAX_OCTAL_11: u64 = 0o77777777777;

/// Writes an archive entry by entry.
pub(crate) struct GoTar<W: Write> {
    w: W,
}

/// Type bits Docker puts in the mode field (`fillGo18FileTypeBits`).
pub(crate) const MODE_DIR: u32 = 0o040000;
pub(crate) const MODE_REG: u32 = 0o100000;
pub(crate) const MODE_LNK: u32 = 0o120000;

fn octal(field: &mut [u8], v: u64) {
    let width = field.len() - 1;
    let s = format!("{v:0width$o}");
    field[..width].copy_from_slice(&s.as_bytes()[s.len() - width..]);
    field[width] = 0;
}

fn put(field: &mut [u8], s: &str) -> Result<()> {
    if s.len() > field.len() {
        return Err(Error::bad(format!("name too long for a tar header: {s}")));
    }
    field[..s.len()].copy_from_slice(s.as_bytes());
    Ok(())
}

impl<W: Write> GoTar<W> {
    pub(crate) fn new(w: W) -> Self {
        GoTar { w }
    }

    fn io(e: io::Error) -> Error {
        Error::io("write archive", e)
    }

    fn header(
        &mut self,
        name: &str,
        typeflag: u8,
        mode: u32,
        size: u64,
        mtime: i64,
        link: &str,
    ) -> Result<()> {
        if size > MAX_OCTAL_11 {
            // Too big for ustar: a PAX record carries the size, as Go's writer does.
            let rec = pax_record("size", &size.to_string());
            let pax_name = format!("PaxHeaders.0/{}", name.rsplit('/').next().unwrap_or(name));
            let pax_name: String = pax_name.chars().take(100).collect();
            self.raw_header(&pax_name, b'x', 0o644, rec.len() as u64, mtime, "")?;
            self.w.write_all(rec.as_bytes()).map_err(Self::io)?;
            self.pad(rec.len() as u64)?;
            return self.raw_header(name, typeflag, mode, 0, mtime, link);
        }
        self.raw_header(name, typeflag, mode, size, mtime, link)
    }

    fn raw_header(
        &mut self,
        name: &str,
        typeflag: u8,
        mode: u32,
        size: u64,
        mtime: i64,
        link: &str,
    ) -> Result<()> {
        let mut b = [0u8; BLOCK];
        put(&mut b[0..100], name)?;
        octal(&mut b[100..108], u64::from(mode));
        octal(&mut b[108..116], 0);
        octal(&mut b[116..124], 0);
        octal(&mut b[124..136], size.min(MAX_OCTAL_11));
        octal(&mut b[136..148], u64::try_from(mtime).unwrap_or(0));
        b[156] = typeflag;
        put(&mut b[157..257], link)?;
        b[257..263].copy_from_slice(b"ustar\0");
        b[263..265].copy_from_slice(b"00");
        put(&mut b[265..297], "root")?;
        put(&mut b[297..329], "root")?;
        octal(&mut b[329..337], 0);
        octal(&mut b[337..345], 0);
        b[148..156].fill(b' ');
        let sum: u32 = b.iter().map(|x| u32::from(*x)).sum();
        let s = format!("{sum:06o}");
        b[148..154].copy_from_slice(s.as_bytes());
        b[154] = 0;
        b[155] = b' ';
        self.w.write_all(&b).map_err(Self::io)
    }

    /// A directory entry (`name/`).
    pub(crate) fn dir(&mut self, name: &str, mtime: i64) -> Result<()> {
        self.header(&format!("{name}/"), b'5', MODE_DIR | 0o755, 0, mtime, "")
    }

    /// A small file.
    pub(crate) fn file(&mut self, name: &str, data: &[u8], mtime: i64) -> Result<()> {
        self.header(name, b'0', MODE_REG | 0o644, data.len() as u64, mtime, "")?;
        self.w.write_all(data).map_err(Self::io)?;
        self.pad(data.len() as u64)
    }

    /// A symlink.
    pub(crate) fn symlink(&mut self, name: &str, target: &str, mtime: i64) -> Result<()> {
        self.header(name, b'2', MODE_LNK | 0o777, 0, mtime, target)
    }

    /// Starts a file whose `size` bytes the caller writes to [`Self::writer`], then calls
    /// [`Self::pad`].
    pub(crate) fn begin_file(&mut self, name: &str, size: u64, mtime: i64) -> Result<()> {
        self.header(name, b'0', MODE_REG | 0o644, size, mtime, "")
    }

    /// The underlying writer, for streaming file content.
    pub(crate) fn writer(&mut self) -> &mut W {
        &mut self.w
    }

    /// Zero padding after `size` bytes of content.
    pub(crate) fn pad(&mut self, size: u64) -> Result<()> {
        let rem = (BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64;
        self.w
            .write_all(&[0u8; BLOCK][..rem as usize])
            .map_err(Self::io)
    }

    /// The end-of-archive marker; returns the writer.
    pub(crate) fn finish(mut self) -> Result<W> {
        self.w.write_all(&[0u8; 2 * BLOCK]).map_err(Self::io)?;
        self.w.flush().map_err(Self::io)?;
        Ok(self.w)
    }
}

/// One PAX record: `"<len> key=value\n"` where len counts itself.
fn pax_record(key: &str, value: &str) -> String {
    let body = format!(" {key}={value}\n");
    let mut len = body.len() + 1;
    loop {
        let total = len.to_string().len() + body.len();
        if total == len {
            return format!("{len}{body}");
        }
        len = total;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_matches_go() {
        let mut t = GoTar::new(Vec::new());
        t.dir(
            "6ce54ed5c893c773d0f3d21a262ac623c45bcc5b061e8a6635a2f63517b11d6c",
            1_795_840_199,
        )
        .expect("write");
        let b = t.writer().clone();
        assert_eq!(&b[100..108], b"0040755\0");
        assert_eq!(&b[124..136], b"00000000000\0");
        assert_eq!(&b[136..148], b"15302454307\0");
        assert_eq!(&b[148..156], b"021724\0 ");
        assert_eq!(b[156], b'5');
        assert_eq!(&b[257..265], b"ustar\x0000");
        assert_eq!(&b[329..345], b"0000000\x000000000\x00");
        assert_eq!(pax_record("size", "9000000000"), "19 size=9000000000\n");
    }
}
