//! What registries need on the wire: credentials (`AuthConfig`, also sent base64-encoded in
//! the `X-Registry-Auth` header), `POST /auth`'s answer and `GET /distribution/{name}/json`'s.

use serde::{Deserialize, Serialize};

/// `AuthConfig`: credentials for one registry, as `docker login` and the `X-Registry-Auth`
/// header carry them. Never logged (its `Debug` hides the secrets).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct AuthConfig {
    /// The user name.
    #[serde(rename = "username", default, skip_serializing_if = "String::is_empty")]
    pub username: String,
    /// The password.
    #[serde(rename = "password", default, skip_serializing_if = "String::is_empty")]
    pub password: String,
    /// Deprecated, ignored.
    #[serde(rename = "email", default, skip_serializing_if = "String::is_empty")]
    pub email: String,
    /// The registry (`https://index.docker.io/v1/` for Docker Hub, else `host[:port]`).
    #[serde(
        rename = "serveraddress",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub server_address: String,
    /// A refresh token a registry gave at a previous login, used instead of the password.
    #[serde(
        rename = "identitytoken",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub identity_token: String,
    /// A bearer token for the registry, sent as it is.
    #[serde(
        rename = "registrytoken",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    pub registry_token: String,
}

impl std::fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let set = |s: &str| if s.is_empty() { "" } else { "<set>" };
        f.debug_struct("AuthConfig")
            .field("username", &self.username)
            .field("password", &set(&self.password))
            .field("server_address", &self.server_address)
            .field("identity_token", &set(&self.identity_token))
            .field("registry_token", &set(&self.registry_token))
            .finish()
    }
}

impl AuthConfig {
    /// The `X-Registry-Auth` header's credentials: base64url (padded or not) of the JSON. As
    /// dockerd, anything that does not decode is no credentials at all.
    pub fn from_header(value: &str) -> Option<AuthConfig> {
        let value = value.trim();
        if value.is_empty() {
            return None;
        }
        let bytes = decode_base64url(value)?;
        serde_json::from_slice(&bytes).ok()
    }

    /// The `X-Registry-Config` header of `POST /build`: base64url of a JSON map of registry
    /// to credentials. As dockerd, a header that does not decode is no credentials at all.
    pub fn map_from_header(value: &str) -> std::collections::BTreeMap<String, AuthConfig> {
        decode_base64url(value.trim())
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default()
    }

    /// Whether it carries anything to authenticate with.
    pub fn is_empty(&self) -> bool {
        self.username.is_empty()
            && self.password.is_empty()
            && self.identity_token.is_empty()
            && self.registry_token.is_empty()
    }
}

/// Base64 with the URL alphabet (`-`, `_`) as the CLI sends it, padding optional; the
/// standard alphabet (`+`, `/`) is taken too, as some clients send that. `None` if malformed.
fn decode_base64url(s: &str) -> Option<Vec<u8>> {
    use base64::Engine;
    use base64::alphabet::{STANDARD, URL_SAFE};
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    let config =
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent);
    GeneralPurpose::new(&URL_SAFE, config)
        .decode(s)
        .or_else(|_| GeneralPurpose::new(&STANDARD, config).decode(s))
        .ok()
}

/// `POST /auth`'s answer (`SystemAuthResponse`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct AuthResponse {
    /// `Login Succeeded`.
    #[serde(rename = "Status")]
    pub status: String,
    /// A token to use instead of the password next time, if the registry gave one.
    #[serde(rename = "IdentityToken", skip_serializing_if = "String::is_empty")]
    pub identity_token: String,
}

/// `OCIDescriptor`: a blob or manifest a registry holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct OciDescriptor {
    /// Its media type.
    #[serde(rename = "mediaType")]
    pub media_type: String,
    /// `sha256:…`.
    #[serde(rename = "digest")]
    pub digest: String,
    /// Its size in bytes.
    #[serde(rename = "size")]
    pub size: i64,
}

/// `OCIPlatform`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct OciPlatform {
    /// `amd64`, `arm64`, ...
    #[serde(rename = "architecture")]
    pub architecture: String,
    /// `linux`, ...
    #[serde(rename = "os")]
    pub os: String,
    /// The OS version, if the index gives one.
    #[serde(rename = "os.version", skip_serializing_if = "String::is_empty")]
    pub os_version: String,
    /// OS features, if the index gives any.
    #[serde(rename = "os.features", skip_serializing_if = "Vec::is_empty")]
    pub os_features: Vec<String>,
    /// The CPU variant (`v7`, `v8`), if any.
    #[serde(rename = "variant", skip_serializing_if = "String::is_empty")]
    pub variant: String,
}

/// `GET /distribution/{name}/json`'s answer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(schemars::JsonSchema))]
pub struct DistributionInspect {
    /// The manifest (or index) the name resolves to.
    #[serde(rename = "Descriptor")]
    pub descriptor: OciDescriptor,
    /// The platforms it serves.
    #[serde(rename = "Platforms")]
    pub platforms: Vec<OciPlatform>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_auth_header_decodes_as_dockerd_reads_it() {
        // What the CLI sends: base64url of the JSON, padded.
        let json = r#"{"username":"u","password":"p?>","serveraddress":"127.0.0.1:5000"}"#;
        // The JSON with a trailing space, so that its encoding is padded.
        let std = "eyJ1c2VybmFtZSI6InUiLCJwYXNzd29yZCI6InA/PiIsInNlcnZlcmFkZHJlc3MiOiIxMjcuMC4wLjE6NTAwMCJ9IA==";
        let url = std.replace('/', "_");
        let unpadded = url.trim_end_matches('=').to_owned();
        for header in [url.clone(), unpadded, std.to_owned()] {
            let a = AuthConfig::from_header(&header).expect("decodes");
            assert_eq!(
                (a.username.as_str(), a.password.as_str()),
                ("u", "p?>"),
                "{header}"
            );
            assert_eq!(a.server_address, "127.0.0.1:5000");
        }
        assert_eq!(
            serde_json::from_str::<AuthConfig>(json)
                .expect("json")
                .password,
            "p?>"
        );
        for bad in ["", "!!!", "e30", "bm90IGpzb24"] {
            let a = AuthConfig::from_header(bad);
            assert!(a.is_none_or(|a| a.is_empty()), "{bad}");
        }
        let shown = format!("{:?}", AuthConfig::from_header(&url).expect("decodes"));
        assert!(!shown.contains("p?>"), "{shown}");
    }

    #[test]
    fn the_registry_config_header_is_a_map_by_registry() {
        use base64::Engine;
        let json = r#"{"127.0.0.1:5000":{"username":"u","password":"p"},"https://index.docker.io/v1/":{}}"#;
        let header = base64::engine::general_purpose::URL_SAFE.encode(json);
        let map = AuthConfig::map_from_header(&header);
        assert_eq!(map["127.0.0.1:5000"].username, "u");
        assert!(map["https://index.docker.io/v1/"].is_empty());
        // What the CLI sends without logins (`{}`), and what does not decode: no credentials.
        assert!(AuthConfig::map_from_header("e30=").is_empty());
        assert!(AuthConfig::map_from_header("!!!").is_empty());
    }
}
