//! Getting a bearer token from the realm a challenge names, as distribution's token handler
//! does: a GET with Basic credentials (or none) and `service`, `scope`, `account`, and for a
//! login `offline_token=true&client_id=docker`; or, holding a refresh token (an identity
//! token), an OAuth2 POST with `grant_type=refresh_token`.

use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::BodyExt;
use hyper::header::{AUTHORIZATION, CONTENT_TYPE};
use hyper::{Method, Request};
use serde::Deserialize;

use super::Credentials;
use super::challenge::Challenge;
use crate::endpoint::Tls;
use crate::errcode;
use crate::error::RequestError;
use crate::transport::{Transport, basic_auth, body};

/// The OAuth2 client ID dockerd sends.
const CLIENT_ID: &str = "docker";
/// distribution's floor for a token's lifetime.
const MIN_TOKEN_LIFETIME: Duration = Duration::from_secs(60);

/// A bearer token and when to ask for a new one.
#[derive(Clone)]
pub(crate) struct Token {
    /// The token.
    pub token: String,
    /// When it is no longer used (a little before it expires).
    pub expires: Instant,
    /// A refresh token the server handed out (for `docker login`'s identity token).
    pub refresh_token: Option<String>,
}

#[derive(Deserialize)]
struct TokenResponse {
    #[serde(default)]
    token: String,
    #[serde(default)]
    access_token: String,
    #[serde(default)]
    expires_in: u64,
    #[serde(default)]
    refresh_token: String,
}

/// Asks the challenge's realm for a token for `scopes`. `offline` asks for a refresh token
/// too (a login).
pub(crate) async fn fetch(
    transport: &Transport,
    tls: &Tls,
    challenge: &Challenge,
    creds: &Credentials,
    scopes: &[String],
    offline: bool,
) -> Result<Token, RequestError> {
    let realm = challenge.param("realm").ok_or_else(|| {
        RequestError::TokenStatus("no realm specified for token auth challenge".into())
    })?;
    let service = challenge.param("service").unwrap_or_default();
    let request = if !creds.identity_token.is_empty() {
        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", creds.identity_token.as_str()),
            ("service", service),
            ("client_id", CLIENT_ID),
        ];
        let scope = scopes.join(" ");
        if !scope.is_empty() {
            form.push(("scope", &scope));
        }
        if offline {
            form.push(("access_type", "offline"));
        }
        let encoded = serde_urlencoded::to_string(&form)
            .map_err(|e| RequestError::TokenDecode(e.to_string()))?;
        Request::builder()
            .method(Method::POST)
            .uri(realm)
            .header(
                CONTENT_TYPE,
                "application/x-www-form-urlencoded; charset=utf-8",
            )
            .body(body::full(Bytes::from(encoded)))
    } else {
        let mut query: Vec<(&str, &str)> = Vec::new();
        if !service.is_empty() {
            query.push(("service", service));
        }
        for s in scopes {
            query.push(("scope", s));
        }
        if !creds.username.is_empty() {
            query.push(("account", &creds.username));
        }
        if offline {
            query.push(("offline_token", "true"));
            query.push(("client_id", CLIENT_ID));
        }
        let encoded = serde_urlencoded::to_string(&query)
            .map_err(|e| RequestError::TokenDecode(e.to_string()))?;
        let sep = if realm.contains('?') { '&' } else { '?' };
        let mut b = Request::builder()
            .method(Method::GET)
            .uri(format!("{realm}{sep}{encoded}"));
        if !creds.username.is_empty() || !creds.password.is_empty() {
            b = b.header(AUTHORIZATION, basic_auth(&creds.username, &creds.password));
        }
        b.body(body::empty())
    }
    .map_err(|e| RequestError::Transport(format!("invalid token realm {realm:?}: {e}")))?;

    let response = transport.send(tls, request).await?;
    let status = response.status();
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|e| RequestError::Transport(e.to_string()))?
        .to_bytes();
    if !status.is_success() {
        return Err(match errcode::parse(status.as_u16(), &bytes) {
            Some(errors) => RequestError::TokenRefused(errors),
            None if status.as_u16() == 401 => {
                RequestError::TokenRefused(errcode::RegistryErrors(vec![
                    errcode::RegistryError::new("UNAUTHORIZED"),
                ]))
            }
            None => RequestError::TokenStatus(status.to_string()),
        });
    }
    let parsed: TokenResponse =
        serde_json::from_slice(&bytes).map_err(|e| RequestError::TokenDecode(e.to_string()))?;
    let token = if parsed.token.is_empty() {
        parsed.access_token
    } else {
        parsed.token
    };
    if token.is_empty() {
        return Err(RequestError::NoToken);
    }
    let lifetime = Duration::from_secs(parsed.expires_in).max(MIN_TOKEN_LIFETIME);
    Ok(Token {
        token,
        // Renew a little early so a request never goes out with a token about to lapse.
        expires: Instant::now() + lifetime - Duration::from_secs(5),
        refresh_token: (!parsed.refresh_token.is_empty()).then_some(parsed.refresh_token),
    })
}
