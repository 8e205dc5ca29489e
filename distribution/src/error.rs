//! The crate's one error type. Its `Display` is what dockerd tells the user for the same
//! failure (the daemon passes it on as the message), and [`Error::kind`] the class dockerd gives
//! it (moby's `errdefs`), which the daemon turns into a status.

use std::path::PathBuf;

use crate::errcode::RegistryErrors;

/// The class of a failure, as moby's `errdefs` classes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// A manifest, repository or blob the registry does not have (or will not show).
    NotFound,
    /// The registry refused the credentials.
    Unauthorized,
    /// The request (reference, platform, configuration) or the content is unusable.
    InvalidParameter,
    /// Anything else: the registry could not be reached, answered oddly, or sent bad bytes.
    Unknown,
}

/// Why a request failed before or outside the registry's own error body.
#[derive(Debug, thiserror::Error)]
pub enum RequestError {
    /// No connection, TLS failure, reset, timeout.
    #[error("{0}")]
    Transport(String),
    /// The registry asked for Basic credentials and none were given (distribution's words).
    #[error("no basic auth credentials")]
    NoBasicCredentials,
    /// The token server answered without a token (distribution's words).
    #[error("authorization server did not include a token in the response")]
    NoToken,
    /// The token server refused, with its own words.
    #[error("{0}")]
    TokenRefused(RegistryErrors),
    /// The token server answered something that is not a token response.
    #[error("unable to decode token response: {0}")]
    TokenDecode(String),
    /// The token server answered with an unexpected status and no readable error.
    #[error("token request failed with status: {0}")]
    TokenStatus(String),
}

/// A blob's role, named as dockerd names it in its verification errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlobKind {
    /// A layer.
    Layer,
    /// An image config.
    Config,
    /// Any other blob.
    Blob,
}

impl std::fmt::Display for BlobKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            BlobKind::Layer => "filesystem layer",
            BlobKind::Config => "image config",
            BlobKind::Blob => "blob",
        })
    }
}

/// Every failure of the registry client.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A registry setting is invalid (moby's `--insecure-registry` and `--registry-mirror`
    /// checks, worded as dockerd's).
    #[error("{0}")]
    Config(String),
    /// A certificate, key or CA under the certs directory cannot be used.
    #[error("{message}")]
    Certs {
        /// dockerd's words, naming the file.
        message: String,
        /// The file involved.
        path: PathBuf,
    },
    /// A request did not get an answer (worded as Go's `url.Error`: `Get "URL": cause`).
    #[error("{} \"{url}\": {source}", go_method(method))]
    Request {
        /// The HTTP method.
        method: String,
        /// The full URL.
        url: String,
        /// What went wrong.
        #[source]
        source: RequestError,
    },
    /// The registry answered with an error body (distribution's `errcode` words).
    #[error("{errors}")]
    Registry {
        /// The HTTP status.
        status: u16,
        /// The errors it listed.
        errors: RegistryErrors,
    },
    /// The registry answered an unexpected status without a readable error body.
    #[error("received unexpected HTTP status: {status}")]
    UnexpectedStatus {
        /// Status code and reason, as Go prints `resp.Status` ("500 Internal Server Error").
        status: String,
    },
    /// A pull found nothing (moby's `notFoundError`): its message names the image, then the
    /// registry's error.
    #[error("{message}: {cause}")]
    NotFound {
        /// "manifest for X not found", "repository X not found", "pull access denied for X, ...".
        message: String,
        /// The registry's error.
        cause: RegistryErrors,
    },
    /// `docker login` was refused (dockerd's `loginV2` words).
    #[error("login attempt to {url} failed with status: {status}")]
    LoginFailed {
        /// The `/v2/` URL tried.
        url: String,
        /// Status code and reason.
        status: String,
    },
    /// A schema 1 manifest: refused as dockerd 28 refuses it.
    #[error(
        "Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. Suggest the author of {reference} to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/"
    )]
    Schema1 {
        /// The full reference (`docker.io/library/x:tag`).
        reference: String,
    },
    /// A manifest media type the client cannot read (distribution's words).
    #[error("unsupported manifest media type and no default available: {0}")]
    UnsupportedManifest(String),
    /// A descriptor whose media type dockerd refuses (moby's `unsupportedMediaTypeError`).
    #[error("unsupported media type {0}")]
    UnsupportedMediaType(String),
    /// A manifest or index that is not valid JSON of its type.
    #[error("failed to parse {what}: {detail}")]
    Malformed {
        /// What was being read ("manifest", "manifest list", "token response"...).
        what: &'static str,
        /// The parser's words.
        detail: String,
    },
    /// An index without an entry for the platform (dockerd's words).
    #[error("no matching manifest for {platform} in the manifest list entries")]
    NoMatchingPlatform {
        /// `os/arch[/variant]`.
        platform: String,
    },
    /// An invalid `--platform` value.
    #[error("{0}")]
    InvalidPlatform(String),
    /// A digest that is not `algorithm:hex` of a supported algorithm.
    #[error("invalid digest {0:?}")]
    InvalidDigest(String),
    /// A manifest whose bytes do not hash to the digest it was asked by (dockerd's words).
    #[error("manifest verification failed for digest {digest}")]
    ManifestVerification {
        /// The digest asked for.
        digest: String,
    },
    /// A blob whose bytes do not hash to its digest (dockerd's words).
    #[error("{kind} verification failed for digest {digest}")]
    BlobVerification {
        /// Layer, config or other blob.
        kind: BlobKind,
        /// The descriptor's digest.
        digest: String,
    },
    /// A blob body that ended before (or went past) its descriptor's size.
    #[error("{kind} {digest}: read {got} bytes, expected {expected}: unexpected EOF")]
    BlobSize {
        /// Layer, config or other blob.
        kind: BlobKind,
        /// The descriptor's digest.
        digest: String,
        /// Bytes received.
        got: u64,
        /// Bytes the descriptor announced.
        expected: u64,
    },
    /// A blob body broke off mid-stream.
    #[error("{kind} {digest}: {detail}")]
    BlobRead {
        /// Layer, config or other blob.
        kind: BlobKind,
        /// The descriptor's digest.
        digest: String,
        /// What the transport said.
        detail: String,
    },
    /// The caller's upload stream failed.
    #[error("reading the content to upload for {0}: {1}")]
    UploadSource(String, String),
    /// The registry's answer lacks what the protocol requires (a `Location`, a digest).
    #[error("{0}")]
    Protocol(String),
}

impl Error {
    /// The class dockerd gives this failure.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::Config(_)
            | Error::Certs { .. }
            | Error::Schema1 { .. }
            | Error::UnsupportedMediaType(_)
            | Error::InvalidPlatform(_)
            | Error::InvalidDigest(_) => ErrorKind::InvalidParameter,
            Error::NotFound { .. } | Error::NoMatchingPlatform { .. } => ErrorKind::NotFound,
            Error::LoginFailed { .. } => ErrorKind::Unauthorized,
            // dockerd answers 401 only for a registry's (or token server's) own UNAUTHORIZED
            // (moby's `statusCodeFromDistributionError`): the CLI then asks for credentials
            // and retries. Missing credentials are a plain failure (500), as there.
            Error::Request {
                source: RequestError::TokenRefused(_),
                ..
            } => ErrorKind::Unauthorized,
            Error::Registry { errors, .. } if errors.first().code == "UNAUTHORIZED" => {
                ErrorKind::Unauthorized
            }
            _ => ErrorKind::Unknown,
        }
    }

    /// Whether the next endpoint (a mirror's upstream, HTTP after HTTPS) may be tried after
    /// this failure: moby's `continueOnError`. A registry's own error moves on only from a
    /// mirror; a failed connection or an unreadable answer always does.
    pub fn allows_fallback(&self, mirror: bool) -> bool {
        match self {
            Error::Registry { .. } | Error::NotFound { .. } => mirror,
            Error::Request { source, .. } => match source {
                RequestError::Transport(_) => true,
                _ => mirror,
            },
            Error::UnexpectedStatus { .. } | Error::Malformed { .. } => true,
            Error::BlobVerification { .. }
            | Error::BlobSize { .. }
            | Error::BlobRead { .. }
            | Error::ManifestVerification { .. } => mirror,
            _ => false,
        }
    }
}

/// Go's spelling of a method in `url.Error` ("Get", "Head", "Post").
pub(crate) fn go_method(method: &str) -> String {
    let lower = method.to_ascii_lowercase();
    let mut chars = lower.chars();
    match chars.next() {
        Some(c) => c.to_ascii_uppercase().to_string() + chars.as_str(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errcode::RegistryError;

    #[test]
    fn messages_are_dockerds() {
        let e = Error::Request {
            method: "GET".into(),
            url: "https://registry-1.docker.io/v2/".into(),
            source: RequestError::Transport("dial tcp: connection refused".into()),
        };
        assert_eq!(
            e.to_string(),
            "Get \"https://registry-1.docker.io/v2/\": dial tcp: connection refused"
        );
        assert!(e.allows_fallback(false));
        let e = Error::NotFound {
            message: "manifest for busybox:nope not found".into(),
            cause: RegistryErrors(vec![RegistryError::new("MANIFEST_UNKNOWN")]),
        };
        assert_eq!(
            e.to_string(),
            "manifest for busybox:nope not found: manifest unknown: manifest unknown"
        );
        assert_eq!(e.kind(), ErrorKind::NotFound);
        assert!(!e.allows_fallback(false) && e.allows_fallback(true));
        let e = Error::LoginFailed {
            url: "http://127.0.0.1:5000/v2/".into(),
            status: "401 Unauthorized".into(),
        };
        assert_eq!(
            e.to_string(),
            "login attempt to http://127.0.0.1:5000/v2/ failed with status: 401 Unauthorized"
        );
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert_eq!(
            Error::BlobVerification {
                kind: BlobKind::Layer,
                digest: "sha256:ab".into()
            }
            .to_string(),
            "filesystem layer verification failed for digest sha256:ab"
        );
    }
}
