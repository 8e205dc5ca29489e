//! `COPY --chown=user[:group]` (moby's `parseChownFlag`, `lookupUser`, `lookupGroup`): a
//! number is taken as it is, a name is looked up in the image's `/etc/passwd` or
//! `/etc/group`; without a group the user's name is the group's too.

/// A `--chown` value, split.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Chown {
    user: String,
    group: String,
}

/// The prefix of every `--chown` failure, as dockerd words it.
const PREFIX: &str = "unable to convert uid/gid chown string to host mapping";

impl Chown {
    /// Splits `s` (empty: no `--chown`).
    pub(super) fn parse(s: &str) -> Result<Option<Chown>, String> {
        if s.is_empty() {
            return Ok(None);
        }
        let parts: Vec<&str> = s.split(':').collect();
        let (user, group) = match parts.as_slice() {
            [u] => (*u, *u),
            [u, g] => (*u, *g),
            _ => return Err(format!("{PREFIX}: invalid chown string format: {s}")),
        };
        Ok(Some(Chown {
            user: user.to_owned(),
            group: group.to_owned(),
        }))
    }

    /// The IDs when both are numbers (no file needed).
    pub(super) fn numeric(&self) -> Option<(u32, u32)> {
        Some((self.user.parse().ok()?, self.group.parse().ok()?))
    }

    /// The IDs, names looked up in `passwd` and `group` (the files' contents, or why they
    /// could not be read).
    pub(super) fn resolve(
        &self,
        passwd: &std::io::Result<Vec<u8>>,
        group: &std::io::Result<Vec<u8>>,
    ) -> Result<(u32, u32), String> {
        let uid = lookup(&self.user, passwd, "/etc/passwd", "user")
            .map_err(|e| format!("{PREFIX}: can't find uid for user {}: {e}", self.user))?;
        let gid = lookup(&self.group, group, "/etc/group", "group")
            .map_err(|e| format!("{PREFIX}: can't find gid for group {}: {e}", self.group))?;
        Ok((uid, gid))
    }
}

/// `name`'s ID (the third field) in the file `data` of `path`, a number as it is.
fn lookup(
    name: &str,
    data: &std::io::Result<Vec<u8>>,
    path: &str,
    what: &str,
) -> Result<u32, String> {
    if let Ok(n) = name.parse() {
        return Ok(n);
    }
    let data = match data {
        Ok(d) => d,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(format!("open {path}: no such file or directory"));
        }
        Err(e) => return Err(format!("open {path}: {e}")),
    };
    String::from_utf8_lossy(data)
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| l.split(':').collect::<Vec<_>>())
        .find(|f| f[0] == name)
        // As runc's parser: a field that is not a number is 0.
        .map(|f| f.get(2).and_then(|id| id.parse().ok()).unwrap_or(0))
        .ok_or_else(|| format!("no such {what}: {name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &[u8] = b"root:x:0:0:root:/root:/bin/sh\napp:x:1001:1002::/home/app:/bin/sh\n";
    const GROUP: &[u8] = b"root:x:0:\nstaff:x:50:\napp:x:1002:\n";

    #[test]
    fn names_numbers_and_dockerds_words() {
        let (p, g) = (Ok(PASSWD.to_vec()), Ok(GROUP.to_vec()));
        let ids = |s: &str| {
            Chown::parse(s)
                .expect("parse")
                .expect("set")
                .resolve(&p, &g)
        };
        assert_eq!(ids("app"), Ok((1001, 1002)));
        assert_eq!(ids("app:staff"), Ok((1001, 50)));
        assert_eq!(ids("7:staff"), Ok((7, 50)));
        assert_eq!(ids("1:2"), Ok((1, 2)));
        assert_eq!(
            ids("bob"),
            Err("unable to convert uid/gid chown string to host mapping: can't find uid for user bob: no such user: bob".into())
        );
        assert_eq!(
            ids("app:nogroup"),
            Err("unable to convert uid/gid chown string to host mapping: can't find gid for group nogroup: no such group: nogroup".into())
        );
        assert!(
            Chown::parse("a:b:c")
                .expect_err("three")
                .contains("invalid chown string format: a:b:c")
        );
        assert_eq!(Chown::parse("").expect("empty"), None);
        assert_eq!(
            Chown::parse("3:4").expect("n").expect("set").numeric(),
            Some((3, 4))
        );
        let missing = Err(std::io::Error::from(std::io::ErrorKind::NotFound));
        let err = Chown::parse("app")
            .expect("p")
            .expect("s")
            .resolve(&missing, &g);
        assert!(
            err.expect_err("no passwd")
                .ends_with("open /etc/passwd: no such file or directory")
        );
    }
}
