//! Pushing blobs (monolithic, streamed, in chunks, mounted) and a manifest, then checking with
//! skopeo that the registry holds exactly those digests.

use std::io::Write;

use bytes::Bytes;
use distribution::manifest::media;
use distribution::{Credentials, Descriptor, Digest, ImageManifest, Mount, Repository};
use futures::stream;

use crate::common::{client, layered};

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).expect("gzip into memory");
    e.finish().expect("gzip into memory")
}

/// The content as a stream of small pieces, as a layer compressed on the fly arrives.
fn pieces(
    bytes: &[u8],
) -> impl futures::Stream<Item = Result<Bytes, std::io::Error>> + Send + 'static {
    let chunks: Vec<Result<Bytes, std::io::Error>> = bytes
        .chunks(7 * 1024)
        .map(|c| Ok(Bytes::copy_from_slice(c)))
        .collect();
    stream::iter(chunks)
}

#[test]
#[ignore = "privileged"]
fn pushed_blobs_and_manifest_are_what_skopeo_sees() {
    testkit::require_privileged();
    let ns = testkit::NetNs::new("dist-push").unwrap();
    let registry = testkit::Registry::builder().start(&ns).unwrap();
    let fixture = layered();
    let layers: Vec<Vec<u8>> = fixture.layers.iter().map(|l| gzip(l)).collect();
    let addr = registry.addr().to_owned();
    let pushed = ns.block_on(async {
        let c = client();
        let repo = Repository::split(&format!("{addr}/pushed/layered"));
        let s = c
            .push_session(&repo, &Credentials::default())
            .await
            .unwrap();
        let mut descriptors = Vec::new();
        for (i, layer) in layers.iter().enumerate() {
            let digest = Digest::sha256(layer);
            assert_eq!(s.blob_exists(&digest).await.unwrap(), None);
            let up = match i {
                // Digest known: one monolithic PUT.
                0 => s
                    .upload_blob(pieces(layer), Some(&digest), None)
                    .await
                    .unwrap(),
                // Digest computed on the way: a streamed PATCH, then PUT ?digest=.
                1 => s.upload_blob(pieces(layer), None, None).await.unwrap(),
                // In chunks with their ranges.
                _ => {
                    let start = s.start_upload().await.unwrap().with_chunk_size(1000);
                    s.upload_blob(pieces(layer), None, Some(start))
                        .await
                        .unwrap()
                }
            };
            assert_eq!(up.digest, digest);
            assert_eq!(up.size, layer.len() as u64);
            assert_eq!(
                s.blob_exists(&digest).await.unwrap(),
                Some(layer.len() as u64)
            );
            descriptors.push(Descriptor::new(media::DOCKER_LAYER, up.size, up.digest));
        }
        let config_digest = Digest::sha256(&fixture.config);
        let config = s
            .upload_blob(pieces(&fixture.config), Some(&config_digest), None)
            .await
            .unwrap();
        let manifest = ImageManifest::docker_schema2(
            Descriptor::new(media::DOCKER_CONFIG, config.size, config.digest),
            descriptors.clone(),
        );
        let digest = s.put_manifest("1", &manifest).await.unwrap();
        assert_eq!(digest, Digest::sha256(&manifest.to_bytes()));

        // A second repository mounts the first's layer instead of uploading it.
        let other = Repository::split(&format!("{addr}/other/layered"));
        let s2 = c
            .push_session(&other, &Credentials::default())
            .await
            .unwrap();
        let mounted = s2.mount_blob(&descriptors[0].digest, &repo).await.unwrap();
        assert!(matches!(mounted, Mount::Mounted), "{mounted:?}");
        assert!(
            s2.blob_exists(&descriptors[0].digest)
                .await
                .unwrap()
                .is_some()
        );
        // A blob the source does not have opens an upload instead.
        let absent = Digest::sha256(b"absent");
        assert!(matches!(
            s2.mount_blob(&absent, &repo).await.unwrap(),
            Mount::Upload(_)
        ));
        (digest, descriptors)
    });
    let (digest, descriptors) = pushed;
    let seen = registry.inspect(&ns, "pushed/layered:1").unwrap();
    assert_eq!(seen["Digest"].as_str().unwrap(), digest.as_str());
    let layers: Vec<&str> = seen["Layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    let ours: Vec<&str> = descriptors.iter().map(|d| d.digest.as_str()).collect();
    assert_eq!(layers, ours);
    let raw = registry.raw_manifest(&ns, "pushed/layered:1").unwrap();
    assert_eq!(Digest::sha256(&raw), digest, "the registry keeps our bytes");
}
