//! Logins and authorized pulls against registries with Basic (htpasswd) and bearer (token
//! server) auth: right credentials pass, wrong ones are refused with dockerd's words, and an
//! identity token from a login replaces the password later.

use distribution::{Credentials, ErrorKind, ImageRef, Repository};
use testkit::registry::{PASSWORD, USER};
use testkit::{NetNs, Registry, TokenServer};

use crate::common::{client, pull, push_fixtures};

/// A token straight from the token server (a plain HTTP/1.0 GET with the test credentials),
/// from inside the namespace (the caller's thread is there).
fn fetch_token(realm: &str, scope: &str) -> String {
    use base64::Engine as _;
    use std::io::{Read, Write};
    let rest = realm.strip_prefix("http://").expect("an http realm");
    let (host, path) = rest.split_once('/').expect("a path");
    let mut conn = std::net::TcpStream::connect(host).expect("the token server answers");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}"));
    let service = testkit::registry::SERVICE;
    write!(
        conn,
        "GET /{path}?service={service}&scope={scope} HTTP/1.0\r\nAuthorization: Basic {basic}\r\n\r\n"
    )
    .expect("sending the token request");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).expect("reading the token");
    let body = answer.split_once("\r\n\r\n").expect("a body").1;
    let v: serde_json::Value = serde_json::from_str(body).expect("a token response");
    v["token"].as_str().expect("a token").to_owned()
}

fn busybox_ref(registry: &Registry) -> ImageRef {
    ImageRef::tagged(
        Repository::split(&format!("{}/busybox", registry.addr())),
        "latest",
    )
}

#[test]
#[ignore = "privileged"]
fn basic_auth_login_and_pull() {
    testkit::require_privileged();
    let ns = NetNs::new("dist-basic").unwrap();
    let registry = Registry::builder().htpasswd().start(&ns).unwrap();
    let _dir = push_fixtures(&ns, &registry);
    let addr = registry.addr().to_owned();
    let img = busybox_ref(&registry);
    ns.block_on(async {
        let c = client();
        let ok = c
            .login(&addr, &Credentials::basic(USER, PASSWORD))
            .await
            .unwrap();
        assert_eq!(ok.status, "Login Succeeded");
        assert_eq!(ok.identity_token, None);

        let e = c
            .login(&addr, &Credentials::basic(USER, "wrong"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert_eq!(
            e.to_string(),
            format!("login attempt to http://{addr}/v2/ failed with status: 401 Unauthorized")
        );

        // No credentials at all is a plain failure for dockerd (500), not a 401 that would
        // make the CLI ask for a login.
        let e = pull(&c, &img, &Credentials::default()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unknown);
        assert_eq!(
            e.to_string(),
            format!("Get \"http://{addr}/v2/busybox/manifests/latest\": no basic auth credentials")
        );

        let e = pull(&c, &img, &Credentials::basic(USER, "wrong"))
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert_eq!(e.to_string(), "unauthorized: authentication required");

        let r = pull(&c, &img, &Credentials::basic(USER, PASSWORD))
            .await
            .unwrap();
        let layer = &r.manifest.layers[0];
        let bytes = crate::common::read_blob(&r.session, layer).await.unwrap();
        assert_eq!(bytes.len() as u64, layer.size);
    });
}

#[test]
#[ignore = "privileged"]
fn bearer_token_login_identity_token_and_pull() {
    testkit::require_privileged();
    let ns = NetNs::new("dist-token").unwrap();
    let tokens = TokenServer::start(&ns, USER, PASSWORD).unwrap();
    let registry = Registry::builder().token(&tokens).start(&ns).unwrap();
    let _dir = push_fixtures(&ns, &registry);
    let addr = registry.addr().to_owned();
    let img = busybox_ref(&registry);
    let tokens_realm = tokens.realm();
    let identity = ns.block_on(async {
        let c = client();
        // A login asks for a refresh token and gets it back as the identity token.
        let ok = c.login(&addr, &Credentials::basic(USER, PASSWORD)).await.unwrap();
        assert_eq!(ok.status, "Login Succeeded");
        let identity = ok.identity_token.clone().expect("an identity token");

        let e = c.login(&addr, &Credentials::basic(USER, "wrong")).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized);
        assert_eq!(
            e.to_string(),
            format!("Get \"http://{addr}/v2/\": unauthorized: incorrect username or password")
        );

        // Anonymous: the token grants nothing, and the pull is denied in dockerd's words.
        let e = pull(&c, &img, &Credentials::default())
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("pull access denied for {addr}/busybox, repository does not exist or may require 'docker login': denied: requested access to the resource is denied")
        );

        // With the password, and then with the identity token alone.
        for creds in [
            Credentials::basic(USER, PASSWORD),
            Credentials {
                identity_token: identity.clone(),
                ..Credentials::default()
            },
        ] {
            let r = pull(&c, &img, &creds).await.unwrap();
            let config = r.session.config(&r.manifest.config).await.unwrap();
            assert!(!config.is_empty());
        }
        // A made-up identity token is refused.
        // A registry token (the CLI's `registrytoken`) goes to the registry as it is.
        let token = fetch_token(&tokens_realm, "repository:busybox:pull");
        let r = pull(
            &c,
            &img,
            &Credentials {
                registry_token: token,
                ..Credentials::default()
            },
        )
        .await
        .unwrap();
        assert!(!r.manifest.layers.is_empty());
        let made_up = Credentials {
            identity_token: "made-up".into(),
            ..Credentials::default()
        };
        let e = pull(&c, &img, &made_up).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Unauthorized, "{e}");
        identity
    });
    let log = tokens.requests();
    assert!(
        log.iter()
            .any(|l| l.contains("offline_token=true") && l.contains("client_id=docker")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|l| l.starts_with("POST grant_type=refresh_token")
                && l.contains("scope=repository:busybox:pull")),
        "{log:?}"
    );
    assert!(
        log.iter()
            .all(|l| !l.contains(PASSWORD) && !l.contains(&identity)),
        "secrets reached the log: {log:?}"
    );
}
