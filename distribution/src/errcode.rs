//! The registry's error bodies (`{"errors": [{"code", "message", "detail"}]}`), read and worded
//! as distribution's Go client words them, because dockerd passes those words to the user
//! ("manifest unknown: manifest unknown", "denied: requested access to the resource is denied").

use std::fmt;

use serde::Deserialize;

/// One error a registry reported, its code already mapped to distribution's known codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryError {
    /// The code, upper case as on the wire (`MANIFEST_UNKNOWN`); a code distribution does not
    /// know is `UNKNOWN`, as its client reads it.
    pub code: String,
    /// The message the registry sent, else the code's own message.
    pub message: String,
}

impl RegistryError {
    /// An error of `code` with that code's standard message.
    pub fn new(code: &str) -> Self {
        let code = if message_of(code).is_some() {
            code
        } else {
            "UNKNOWN"
        };
        RegistryError {
            code: code.to_owned(),
            message: message_of(code).unwrap_or("unknown error").to_owned(),
        }
    }

    /// The same code with another message.
    pub fn with_message(mut self, message: impl Into<String>) -> Self {
        self.message = message.into();
        self
    }
}

impl fmt::Display for RegistryError {
    /// Go's `errcode.Error.Error()`: the code in lower case with spaces, then the message.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let code = self.code.to_lowercase().replace('_', " ");
        write!(f, "{code}: {}", self.message)
    }
}

/// Every error of one response; never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegistryErrors(pub Vec<RegistryError>);

impl RegistryErrors {
    /// The first error (dockerd decides on it and logs the others).
    pub fn first(&self) -> &RegistryError {
        &self.0[0]
    }

    /// Whether any error has this code.
    pub fn has(&self, code: &str) -> bool {
        self.0.iter().any(|e| e.code == code)
    }
}

impl fmt::Display for RegistryErrors {
    /// Go's `errcode.Errors.Error()`: one error alone, several under "errors:".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.as_slice() {
            [one] => write!(f, "{one}"),
            all => {
                writeln!(f, "errors:")?;
                for e in all {
                    writeln!(f, "{e}")?;
                }
                Ok(())
            }
        }
    }
}

/// The message distribution gives each code it knows (its `errcode` and `api/v2` descriptors).
fn message_of(code: &str) -> Option<&'static str> {
    Some(match code {
        "UNKNOWN" => "unknown error",
        "UNSUPPORTED" => "The operation is unsupported.",
        "UNAUTHORIZED" => "authentication required",
        "DENIED" => "requested access to the resource is denied",
        "UNAVAILABLE" => "service unavailable",
        "TOOMANYREQUESTS" => "too many requests",
        "DIGEST_INVALID" => "provided digest did not match uploaded content",
        "SIZE_INVALID" => "provided length did not match content length",
        "NAME_INVALID" => "invalid repository name",
        "TAG_INVALID" => "manifest tag did not match URI",
        "NAME_UNKNOWN" => "repository name not known to registry",
        "MANIFEST_UNKNOWN" => "manifest unknown",
        "MANIFEST_INVALID" => "manifest invalid",
        "MANIFEST_UNVERIFIED" => "manifest failed signature verification",
        "MANIFEST_BLOB_UNKNOWN" | "BLOB_UNKNOWN" => "blob unknown to registry",
        "BLOB_UPLOAD_UNKNOWN" => "blob upload unknown to registry",
        "BLOB_UPLOAD_INVALID" => "blob upload invalid",
        "PAGINATION_NUMBER_INVALID" => "invalid number of results requested",
        "RANGE_INVALID" => "invalid content range",
        _ => return None,
    })
}

#[derive(Deserialize)]
struct Body {
    errors: Option<Vec<WireError>>,
    details: Option<String>,
}

#[derive(Deserialize)]
struct WireError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    message: String,
}

/// What a 4xx/5xx body said, as distribution's `parseHTTPErrorResponse` reads it: the errors,
/// or (Docker Hub's token server) a `details` string, or nothing usable.
pub fn parse(status: u16, body: &[u8]) -> Option<RegistryErrors> {
    let parsed: Body = serde_json::from_slice(body).ok()?;
    if let Some(details) = parsed.details.filter(|d| !d.is_empty()) {
        let code = match status {
            401 => "UNAUTHORIZED",
            429 => "TOOMANYREQUESTS",
            _ => "UNKNOWN",
        };
        return Some(RegistryErrors(vec![
            RegistryError::new(code).with_message(details),
        ]));
    }
    let errors: Vec<RegistryError> = parsed
        .errors?
        .into_iter()
        .map(|w| {
            let e = RegistryError::new(&w.code);
            if w.message.is_empty() {
                e
            } else {
                e.with_message(w.message)
            }
        })
        .collect();
    (!errors.is_empty()).then_some(RegistryErrors(errors))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_read_and_worded_as_distribution() {
        let body = br#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"manifest unknown","detail":{"Tag":"x"}}]}"#;
        let e = parse(404, body).unwrap();
        assert_eq!(e.to_string(), "manifest unknown: manifest unknown");
        assert!(e.has("MANIFEST_UNKNOWN"));

        let e = parse(401, br#"{"errors":[{"code":"UNAUTHORIZED"}]}"#).unwrap();
        assert_eq!(e.to_string(), "unauthorized: authentication required");

        let e = parse(401, br#"{"details":"incorrect username or password"}"#).unwrap();
        assert_eq!(
            e.to_string(),
            "unauthorized: incorrect username or password"
        );

        let e = parse(400, br#"{"errors":[{"code":"WHATEVER","message":"m"}]}"#).unwrap();
        assert_eq!(e.to_string(), "unknown: m");

        let two = br#"{"errors":[{"code":"DENIED"},{"code":"NAME_UNKNOWN"}]}"#;
        assert_eq!(
            parse(403, two).unwrap().to_string(),
            "errors:\ndenied: requested access to the resource is denied\nname unknown: repository name not known to registry\n"
        );
        assert!(parse(404, b"404 page not found").is_none());
        assert!(parse(404, br#"{"errors":[]}"#).is_none());
    }
}
