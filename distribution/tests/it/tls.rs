//! TLS: a registry with a certificate from a test CA that wants client certificates, reached
//! through a verified endpoint with the CA and the client pair from the certs directory; and
//! a loopback TLS registry reached as dockerd reaches an insecure one (HTTPS unverified).

use distribution::{Access, Credentials, Endpoint, ImageRef, PlatformSpec, Repository};
use testkit::{NetNs, Registry, TestPki};

use crate::common::{client, client_with_certs, pull, push_fixtures};

/// A TLS registry on 127.0.0.1:5443 (wanting client certificates or not) with the fixtures,
/// its PKI under the returned directory.
fn tls_registry(
    tag: &str,
    client_certs: bool,
) -> (NetNs, Registry, TestPki, Vec<tempfile::TempDir>) {
    testkit::require_privileged();
    let ns = NetNs::new(tag).expect("a namespace");
    let dir = tempfile::tempdir().expect("a temp dir");
    let pki = TestPki::create(dir.path()).expect("a test CA");
    let registry = Registry::builder()
        .addr("127.0.0.1:5443")
        .tls(&pki, client_certs)
        .start(&ns)
        .expect("the registry starts");
    let images = push_fixtures(&ns, &registry);
    (ns, registry, pki, vec![dir, images])
}

#[test]
#[ignore = "privileged"]
fn verified_tls_with_client_certificates_from_the_certs_dir() {
    let (ns, _registry, pki, dirs) = tls_registry("dist-tls", true);
    let dir = &dirs[0];
    let repo = Repository::split("127.0.0.1:5443/busybox");
    let image = ImageRef::tagged(repo.clone(), "latest");

    let full = dir.path().join("full");
    pki.install(&full, "127.0.0.1:5443", true).unwrap();
    let ca_only = dir.path().join("ca-only");
    pki.install(&ca_only, "127.0.0.1:5443", false).unwrap();
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).unwrap();

    ns.block_on(async {
        let endpoint = Endpoint::https("127.0.0.1:5443");
        let anon = Credentials::default();
        // The CA and the client pair: the pull goes through.
        let c = client_with_certs(&full);
        let s = c
            .session_at(endpoint.clone(), &repo, &anon, Access::Pull)
            .await
            .unwrap();
        let r = s.resolve(&image, &PlatformSpec::host()).await.unwrap();
        assert!(!s.config(&r.manifest.config).await.unwrap().is_empty());

        // Without the client pair the registry refuses the handshake.
        let e = client_with_certs(&ca_only)
            .session_at(endpoint.clone(), &repo, &anon, Access::Pull)
            .await
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("Get \"https://127.0.0.1:5443/v2/\": "),
            "{e}"
        );

        // Without the CA the registry's certificate is not trusted.
        let e = client_with_certs(&empty)
            .session_at(endpoint, &repo, &anon, Access::Pull)
            .await
            .unwrap_err();
        assert!(e.to_string().contains("UnknownIssuer"), "{e}");
    });
}

#[test]
#[ignore = "privileged"]
fn a_loopback_tls_registry_is_insecure_as_in_dockerd() {
    let (ns, _registry, _pki, _dirs) = tls_registry("dist-tls-insecure", false);
    ns.block_on(async {
        let image = ImageRef::tagged(Repository::split("127.0.0.1:5443/layered"), "1");
        let r = pull(&client(), &image, &Credentials::default())
            .await
            .unwrap();
        // HTTPS answered (its certificate unverified), so HTTP was never tried.
        assert_eq!(r.session.endpoint().base, "https://127.0.0.1:5443");
        assert_eq!(r.manifest.layers.len(), 4);
    });
}
