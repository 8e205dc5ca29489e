//! Credentials and the `WWW-Authenticate` challenge flow: Basic, and Bearer tokens from the
//! registry's token server (distribution's `registry/client/auth`, as dockerd uses it).

pub mod challenge;
pub(crate) mod token;

use std::fmt;

pub use challenge::Challenge;

/// The credentials of one request, as the CLI sends them in `X-Registry-Auth` (`username`,
/// `password`, `identitytoken`, `registrytoken`). Handed in per call, never stored by the
/// client beyond the session that uses them, and never printed (`Debug` hides them).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials {
    /// The user name (Basic auth, and the token server's `account`).
    pub username: String,
    /// The password.
    pub password: String,
    /// A refresh token a previous `docker login` returned (`IdentityToken`): exchanged for
    /// access tokens with an OAuth2 `refresh_token` grant instead of the password.
    pub identity_token: String,
    /// A bearer token sent as it is to the registry, without asking a token server.
    pub registry_token: String,
}

impl Credentials {
    /// User name and password.
    pub fn basic(username: &str, password: &str) -> Credentials {
        Credentials {
            username: username.to_owned(),
            password: password.to_owned(),
            ..Credentials::default()
        }
    }

    /// Whether nothing is set (an anonymous request).
    pub fn is_empty(&self) -> bool {
        self.username.is_empty()
            && self.password.is_empty()
            && self.identity_token.is_empty()
            && self.registry_token.is_empty()
    }
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The user name is not secret, but everything else is: show only what is set.
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .field("password", &!self.password.is_empty())
            .field("identity_token", &!self.identity_token.is_empty())
            .field("registry_token", &!self.registry_token.is_empty())
            .finish()
    }
}

/// What a session may do in a repository, as token scopes name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Read (`pull`).
    Pull,
    /// Read and write (`pull,push`).
    Push,
}

/// The token scope for `actions` on a repository `path`: `repository:library/nginx:pull`.
pub fn repository_scope(path: &str, access: Access) -> String {
    let actions = match access {
        Access::Pull => "pull",
        Access::Push => "pull,push",
    };
    format!("repository:{path}:{actions}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let mut c = Credentials::basic("me", "s3cret");
        c.identity_token = "tok3n".into();
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("tok3n"),
            "{shown}"
        );
        assert!(shown.contains("me"));
        assert!(Credentials::default().is_empty() && !c.is_empty());
        assert_eq!(
            repository_scope("library/x", Access::Push),
            "repository:library/x:pull,push"
        );
    }
}
