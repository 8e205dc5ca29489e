//! Pulling what skopeo pushed: manifests by tag and by digest, configs and layers verified,
//! dockerd's words for what is missing, corrupted blobs caught, platforms chosen from an index.

use distribution::{Credentials, Digest, Error, ErrorKind, ImageRef, Manifest, Repository};
use testkit::oci_index;

use crate::common::{busybox, client, gunzip, layered, pull, read_blob, registry_with_images};

fn image(registry: &testkit::Registry, name: &str, tag: &str) -> ImageRef {
    ImageRef::tagged(
        Repository::split(&format!("{}/{name}", registry.addr())),
        tag,
    )
}

#[test]
#[ignore = "privileged"]
fn pulls_manifest_config_and_layers_verified() {
    let (ns, registry, _dir) = registry_with_images("dist-pull");
    let inspected = registry.inspect(&ns, "layered:1").unwrap();
    let fixture = layered();
    let img = image(&registry, "layered", "1");
    ns.block_on(async {
        let c = client();
        let r = pull(&c, &img, &Credentials::default()).await.unwrap();
        // The repo digest is the manifest's, as the registry knows it.
        assert_eq!(r.digest.as_str(), inspected["Digest"].as_str().unwrap());
        assert_eq!(r.manifest_digest, r.digest);
        assert!(r.index.is_none());
        assert_eq!(
            r.session.endpoint().base,
            format!("http://{}", registry.addr()),
            "after HTTPS failed"
        );
        // The config is the fixture's own bytes: the image ID is dockerd's.
        let config = r.session.config(&r.manifest.config).await.unwrap();
        assert_eq!(Digest::sha256(&config).to_string(), fixture.id());
        assert_eq!(config.as_ref(), fixture.config.as_slice());
        // Every layer streams, verified, and unpacks to the fixture's diff ID.
        assert_eq!(r.manifest.layers.len(), 4);
        for (layer, diff_id) in r.manifest.layers.iter().zip(fixture.diff_ids()) {
            let bytes = read_blob(&r.session, layer).await.unwrap();
            assert_eq!(Digest::sha256(&bytes), layer.digest);
            assert_eq!(Digest::sha256(&gunzip(&bytes)).to_string(), diff_id);
        }
        // By digest: the same manifest, verified against the digest asked.
        let by_digest = ImageRef::digested(img.repository.clone(), r.digest.clone());
        let again = pull(&c, &by_digest, &Credentials::default()).await.unwrap();
        assert_eq!(again.manifest, r.manifest);
        assert_eq!(again.digest, r.digest);
    });
}

#[test]
#[ignore = "privileged"]
fn missing_manifests_in_dockerds_words() {
    let (ns, registry, _dir) = registry_with_images("dist-missing");
    let addr = registry.addr().to_owned();
    ns.block_on(async {
        let c = client();
        for (name, tag) in [("busybox", "nope"), ("nothing", "latest")] {
            let e = pull(&c, &image(&registry, name, tag), &Credentials::default())
                .await
                .unwrap_err();
            assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
            assert_eq!(
                e.to_string(),
                format!(
                    "manifest for {addr}/{name}:{tag} not found: manifest unknown: manifest unknown"
                )
            );
        }
        // A digest nobody pushed.
        let ghost = ImageRef::digested(
            Repository::split(&format!("{addr}/busybox")),
            Digest::sha256(b"ghost"),
        );
        let e = pull(&c, &ghost, &Credentials::default()).await.unwrap_err();
        assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    });
}

#[test]
#[ignore = "privileged"]
fn an_unreachable_registry_says_so() {
    testkit::require_privileged();
    let ns = testkit::NetNs::new("dist-down").unwrap();
    ns.block_on(async {
        let img = ImageRef::tagged(Repository::split("127.0.0.1:5999/busybox"), "latest");
        let e = pull(&client(), &img, &Credentials::default())
            .await
            .unwrap_err();
        let text = e.to_string();
        // The last endpoint tried (plain HTTP) and why it failed, as dockerd reports it.
        assert!(
            text.starts_with("Get \"http://127.0.0.1:5999/v2/\": ")
                && text.contains("onnection refused"),
            "{text}"
        );
    });
}

#[test]
#[ignore = "privileged"]
fn corrupted_and_truncated_blobs_fail_at_the_end_of_the_stream() {
    let (ns, registry, _dir) = registry_with_images("dist-corrupt");
    let img = image(&registry, "busybox", "latest");
    ns.block_on(async {
        let c = client();
        let r = pull(&c, &img, &Credentials::default()).await.unwrap();
        let layer = &r.manifest.layers[0];
        let data = registry.blob_data(layer.digest.as_str());
        let good = std::fs::read(&data).unwrap();

        // Same length, other bytes: the digest check fails.
        let mut bad = good.clone();
        let mid = bad.len() / 2;
        bad[mid] ^= 0xff;
        std::fs::write(&data, &bad).unwrap();
        let e = read_blob(&r.session, layer).await.unwrap_err();
        assert!(matches!(e, Error::BlobVerification { .. }), "{e:?}");
        assert_eq!(
            e.to_string(),
            format!(
                "filesystem layer verification failed for digest {}",
                layer.digest
            )
        );

        // Cut short: the size check fails, even though the registry's Content-Length agrees.
        std::fs::write(&data, &good[..good.len() / 3]).unwrap();
        let e = read_blob(&r.session, layer).await.unwrap_err();
        assert!(matches!(e, Error::BlobSize { .. }), "{e:?}");

        // A config that does not match its digest is refused too.
        let config_data = registry.blob_data(r.manifest.config.digest.as_str());
        let mut config = std::fs::read(&config_data).unwrap();
        config[0] = b' ';
        std::fs::write(&config_data, &config).unwrap();
        let e = r.session.config(&r.manifest.config).await.unwrap_err();
        assert_eq!(
            e.to_string(),
            format!(
                "image config verification failed for digest {}",
                r.manifest.config.digest
            )
        );

        // Restored, it passes again.
        std::fs::write(&data, &good).unwrap();
        assert_eq!(read_blob(&r.session, layer).await.unwrap(), good);
    });
}

#[test]
#[ignore = "privileged"]
fn a_multi_platform_index_gives_each_platform_its_image() {
    testkit::require_privileged();
    let ns = testkit::NetNs::new("dist-index").unwrap();
    let registry = testkit::Registry::builder().start(&ns).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let base = busybox();
    let amd64 = oci_index::for_platform(&base, "linux", "amd64", "").unwrap();
    let arm64 = oci_index::for_platform(&base, "linux", "arm64", "v8").unwrap();
    let armv7 = oci_index::for_platform(&base, "linux", "arm", "v7").unwrap();
    let archive = dir.path().join("multi.oci.tar");
    oci_index::write_oci_index_archive(
        &archive,
        "multi",
        &[
            (&arm64, "linux/arm64/v8"),
            (&amd64, "linux/amd64"),
            (&armv7, "linux/arm/v7"),
        ],
    )
    .unwrap();
    registry
        .push_oci_archive(&ns, &archive, "multi", "multi:1")
        .unwrap();
    let index_bytes = registry.raw_manifest(&ns, "multi:1").unwrap();
    let img = image(&registry, "multi", "1");
    ns.block_on(async {
        let c = client();
        for (platform, expected) in [
            ("linux/amd64", &amd64),
            ("linux/arm64", &arm64),
            ("linux/arm/v7", &armv7),
            ("linux/arm/v8", &armv7),
        ] {
            let r = c
                .resolve(&img, &Credentials::default(), &platform.parse().unwrap())
                .await
                .unwrap();
            // The repo digest is the index's; the manifest is the platform's.
            assert_eq!(r.digest, Digest::sha256(&index_bytes), "{platform}");
            let index = r.index.as_ref().expect("an index");
            assert!(matches!(index.manifest, Manifest::Index(_)));
            assert_ne!(r.manifest_digest, r.digest);
            let config = r.session.config(&r.manifest.config).await.unwrap();
            assert_eq!(
                Digest::sha256(&config).to_string(),
                expected.id(),
                "{platform}"
            );
        }
        let host = pull(&c, &img, &Credentials::default()).await.unwrap();
        if std::env::consts::ARCH == "x86_64" {
            assert_eq!(
                Digest::sha256(&host.session.config(&host.manifest.config).await.unwrap())
                    .to_string(),
                amd64.id()
            );
        }
        let e = c
            .resolve(
                &img,
                &Credentials::default(),
                &"linux/s390x".parse().unwrap(),
            )
            .await
            .unwrap_err();
        assert_eq!(
            e.to_string(),
            "no matching manifest for linux/s390x in the manifest list entries"
        );
        assert_eq!(e.kind(), ErrorKind::NotFound);
    });
}
