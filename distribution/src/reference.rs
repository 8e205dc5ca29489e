//! The parts of an image reference the protocol needs: the registry's domain, the repository
//! path, and a tag or digest. Parsing and validating references is the caller's (`graph`
//! normalises them); this module only splits a name the way dockerd does when it must, and
//! prints the familiar forms dockerd puts in its messages.

use std::fmt;

use crate::Digest;

/// Docker Hub's name in references.
pub const DOCKER_HUB: &str = "docker.io";
/// Docker Hub's old index name, the same registry.
pub const DOCKER_HUB_INDEX: &str = "index.docker.io";
/// Where Docker Hub's registry API is served (dockerd's `DefaultV2Registry`).
pub const DOCKER_HUB_REGISTRY: &str = "registry-1.docker.io";

/// A repository on a registry: `docker.io` + `library/nginx`, `127.0.0.1:5000` + `busybox`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Repository {
    domain: String,
    path: String,
}

impl Repository {
    /// The repository `path` on `domain`; `index.docker.io` is Docker Hub, and a Docker Hub
    /// path of one component gets its `library/` (as dockerd normalises `nginx`).
    pub fn new(domain: &str, path: &str) -> Repository {
        let domain = if domain == DOCKER_HUB_INDEX {
            DOCKER_HUB
        } else {
            domain
        };
        let path = if domain == DOCKER_HUB && !path.contains('/') {
            format!("library/{path}")
        } else {
            path.to_owned()
        };
        Repository {
            domain: domain.to_owned(),
            path,
        }
    }

    /// Splits a name as dockerd's `splitDockerDomain`: the first component is a registry
    /// only when it has a `.` or `:` or is `localhost` (or has an upper-case letter); anything
    /// else is on Docker Hub. No validation: the caller parsed the name.
    pub fn split(name: &str) -> Repository {
        match name.split_once('/') {
            Some((first, rest))
                if first.contains(['.', ':'])
                    || first == "localhost"
                    || first.chars().any(|c| c.is_ascii_uppercase()) =>
            {
                Repository::new(first, rest)
            }
            _ => Repository::new(DOCKER_HUB, name),
        }
    }

    /// The registry's domain as the reference names it (`docker.io`, `127.0.0.1:5000`).
    pub fn domain(&self) -> &str {
        &self.domain
    }

    /// The repository's path on the registry (`library/nginx`), as the URLs carry it.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// Whether this is a Docker Hub repository (mirrors apply, the endpoint is
    /// `registry-1.docker.io`).
    pub fn is_docker_hub(&self) -> bool {
        self.domain == DOCKER_HUB
    }

    /// The full name: `docker.io/library/nginx`.
    pub fn full_name(&self) -> String {
        format!("{}/{}", self.domain, self.path)
    }

    /// The short name dockerd shows (`reference.FamiliarName`): `nginx`, `user/app`,
    /// `127.0.0.1:5000/busybox`.
    pub fn familiar_name(&self) -> String {
        if !self.is_docker_hub() {
            return self.full_name();
        }
        match self.path.strip_prefix("library/") {
            Some(rest) if !rest.contains('/') => rest.to_owned(),
            _ => self.path.clone(),
        }
    }
}

/// What in a repository a pull asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A tag (`latest`).
    Tag(String),
    /// A digest, with the tag the user also wrote, if any (`name:tag@sha256:...`).
    Digest(Digest, Option<String>),
}

/// A repository and what is asked of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRef {
    /// The repository.
    pub repository: Repository,
    /// The tag or digest.
    pub target: Target,
}

impl ImageRef {
    /// A reference by tag.
    pub fn tagged(repository: Repository, tag: &str) -> ImageRef {
        ImageRef {
            repository,
            target: Target::Tag(tag.to_owned()),
        }
    }

    /// A reference by digest.
    pub fn digested(repository: Repository, digest: Digest) -> ImageRef {
        ImageRef {
            repository,
            target: Target::Digest(digest, None),
        }
    }

    /// What the manifest URL ends with: the tag, or the digest.
    pub fn manifest_reference(&self) -> &str {
        match &self.target {
            Target::Tag(t) => t,
            Target::Digest(d, _) => d.as_str(),
        }
    }

    /// The short form dockerd shows (`reference.FamiliarString`): `nginx:latest`,
    /// `127.0.0.1:5000/busybox@sha256:...`.
    pub fn familiar(&self) -> String {
        format!("{}{}", self.repository.familiar_name(), self.suffix())
    }

    fn suffix(&self) -> String {
        match &self.target {
            Target::Tag(t) => format!(":{t}"),
            Target::Digest(d, None) => format!("@{d}"),
            Target::Digest(d, Some(t)) => format!(":{t}@{d}"),
        }
    }
}

impl fmt::Display for ImageRef {
    /// The full form (`docker.io/library/nginx:latest`), as `reference.String()`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.repository.full_name(), self.suffix())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_map_as_dockerd_maps_them() {
        let r = Repository::split("nginx");
        assert_eq!((r.domain(), r.path()), ("docker.io", "library/nginx"));
        assert_eq!(r.familiar_name(), "nginx");
        assert_eq!(r.full_name(), "docker.io/library/nginx");
        let r = Repository::split("user/app");
        assert_eq!((r.domain(), r.path()), ("docker.io", "user/app"));
        assert_eq!(r.familiar_name(), "user/app");
        let r = Repository::split("127.0.0.1:5000/busybox");
        assert_eq!((r.domain(), r.path()), ("127.0.0.1:5000", "busybox"));
        assert_eq!(r.familiar_name(), "127.0.0.1:5000/busybox");
        let r = Repository::split("localhost/a/b");
        assert_eq!((r.domain(), r.path()), ("localhost", "a/b"));
        let r = Repository::split("index.docker.io/library/x");
        assert_eq!((r.domain(), r.familiar_name().as_str()), ("docker.io", "x"));
        let r = Repository::new("docker.io", "library/a/b");
        assert_eq!(r.familiar_name(), "library/a/b");

        let t = ImageRef::tagged(Repository::split("busybox"), "1.36");
        assert_eq!(t.familiar(), "busybox:1.36");
        assert_eq!(t.to_string(), "docker.io/library/busybox:1.36");
        let d = Digest::sha256(b"x");
        let by_digest = ImageRef::digested(Repository::split("busybox"), d.clone());
        assert_eq!(by_digest.manifest_reference(), d.as_str());
        assert_eq!(by_digest.familiar(), format!("busybox@{d}"));
    }
}
