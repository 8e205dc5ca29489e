//! What every test here starts from: a namespace, a registry in it, fixture images pushed.

use std::io::Read;
use std::path::Path;

use distribution::{
    BlobKind, Client, Credentials, Descriptor, Error, ImageRef, PlatformSpec, RegistryConfig,
    Resolved, Session,
};
use futures::StreamExt;
use testkit::fixtures::{self, Image};
use testkit::{NetNs, Registry};

/// A namespace and a plain registry holding `busybox:latest` and `layered:1`.
pub fn registry_with_images(tag: &str) -> (NetNs, Registry, tempfile::TempDir) {
    testkit::require_privileged();
    let ns = NetNs::new(tag).expect("a test namespace");
    let registry = Registry::builder().start(&ns).expect("the registry starts");
    let dir = push_fixtures(&ns, &registry);
    (ns, registry, dir)
}

/// Pushes `busybox:latest` and `layered:1` with skopeo; the archives stay in the returned dir.
pub fn push_fixtures(ns: &NetNs, registry: &Registry) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("a temp dir");
    for (image, reference) in [
        (fixtures::busybox().expect("busybox"), "busybox:latest"),
        (fixtures::layered().expect("layered"), "layered:1"),
    ] {
        let path = dir
            .path()
            .join(format!("{}.tar", reference.replace(':', "-")));
        image.write_docker_archive(&path).expect("an archive");
        registry
            .push_docker_archive(ns, &path, reference)
            .expect("skopeo pushes the fixture");
    }
    dir
}

/// A client with the default settings (loopback registries are insecure).
pub fn client() -> Client {
    Client::new(RegistryConfig::default()).expect("a client")
}

/// A client reading certificates from `certs_d`.
pub fn client_with_certs(certs_d: &Path) -> Client {
    Client::new(RegistryConfig::new(&[], &[], Some(certs_d.to_path_buf())).expect("settings"))
        .expect("a client")
}

/// Resolves `image` for this host's platform with `creds`.
pub async fn pull(c: &Client, image: &ImageRef, creds: &Credentials) -> Result<Resolved, Error> {
    c.resolve(image, creds, &PlatformSpec::host()).await
}

/// Reads a layer through the verified stream and returns its bytes.
pub async fn read_blob(session: &Session, d: &Descriptor) -> Result<Vec<u8>, distribution::Error> {
    let mut stream = session.blob(d, BlobKind::Layer).await?;
    let mut out = Vec::new();
    while let Some(chunk) = stream.next().await {
        out.extend_from_slice(&chunk?);
    }
    Ok(out)
}

/// A gzip layer's uncompressed bytes.
pub fn gunzip(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .read_to_end(&mut out)
        .expect("a gzip layer");
    out
}

/// The fixtures, for their IDs and diff IDs.
pub fn busybox() -> Image {
    fixtures::busybox().expect("busybox")
}

/// The layered fixture.
pub fn layered() -> Image {
    fixtures::layered().expect("layered")
}
