use super::*;

const REF: &str = "127.0.0.1:5000/x:1";

fn d(n: u8) -> Digest {
    Digest::sha256(&[n])
}

#[test]
fn image_manifests_by_header_or_by_content() {
    let m = ImageManifest::docker_schema2(
        Descriptor::new(media::DOCKER_CONFIG, 10, d(1)),
        vec![Descriptor::new(media::DOCKER_LAYER, 20, d(2))],
    );
    let bytes = m.to_bytes();
    assert_eq!(
        parse(media::DOCKER_MANIFEST, &bytes, REF).unwrap(),
        Manifest::Image(Box::new(m.clone()))
    );
    assert_eq!(
        parse("application/json; charset=utf-8", &bytes, REF).unwrap(),
        Manifest::Image(Box::new(m))
    );
    let oci = br#"{"schemaVersion":2,"config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":1,"digest":"sha256:4bf5122f344554c53bde2ebb8cd2b7e3d1600ad631c385a5d7cce23c7785459a"},"layers":[]}"#;
    match parse("", oci, REF).unwrap() {
        Manifest::Image(m) => assert_eq!(m.media_type, media::OCI_MANIFEST),
        other => panic!("{other:?}"),
    }
}

#[test]
fn schema2_bytes_are_dockerds() {
    let m = ImageManifest::docker_schema2(
        Descriptor::new(media::DOCKER_CONFIG, 10, d(1)),
        vec![Descriptor::new(media::DOCKER_LAYER, 20, d(2))],
    );
    let text = String::from_utf8(m.to_bytes().to_vec()).unwrap();
    let expected = format!(
        "{{\n   \"schemaVersion\": 2,\n   \"mediaType\": \"{}\",\n   \"config\": {{\n      \"mediaType\": \"{}\",\n      \"size\": 10,\n      \"digest\": \"{}\"\n   }},\n   \"layers\": [\n      {{\n         \"mediaType\": \"{}\",\n         \"size\": 20,\n         \"digest\": \"{}\"\n      }}\n   ]\n}}",
        media::DOCKER_MANIFEST,
        media::DOCKER_CONFIG,
        d(1),
        media::DOCKER_LAYER,
        d(2)
    );
    assert_eq!(text, expected);
}

#[test]
fn indexes_and_refusals() {
    let index = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","manifests":[{{"mediaType":"{}","size":5,"digest":"{}","platform":{{"architecture":"arm","os":"linux","variant":"v7"}}}}]}}"#,
        media::DOCKER_MANIFEST_LIST,
        media::DOCKER_MANIFEST,
        d(3)
    );
    match parse(media::DOCKER_MANIFEST_LIST, index.as_bytes(), REF).unwrap() {
        Manifest::Index(i) => {
            assert_eq!(i.manifests.len(), 1);
            let p = i.manifests[0].platform.as_ref().unwrap();
            assert_eq!(
                (p.os.as_str(), p.architecture.as_str(), p.variant.as_str()),
                ("linux", "arm", "v7")
            );
        }
        other => panic!("{other:?}"),
    }
    let e = parse(
        media::SCHEMA1_SIGNED,
        br#"{"schemaVersion":1}"#,
        "docker.io/library/x:1",
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "Docker Image Format v1 and Docker Image manifest version 2, schema 1 support has been removed. Suggest the author of docker.io/library/x:1 to upgrade the image to the OCI Format or Docker Image manifest v2, schema 2. More information at https://docs.docker.com/go/deprecated-image-specs/"
    );
    assert!(matches!(
        parse(
            "application/json",
            br#"{"schemaVersion":1,"fsLayers":[]}"#,
            REF
        ),
        Err(Error::Schema1 { .. })
    ));
    assert!(matches!(
        parse("text/html", b"{}", REF),
        Err(Error::UnsupportedManifest(_))
    ));
    assert!(matches!(
        parse(media::DOCKER_MANIFEST, b"not json", REF),
        Err(Error::Malformed { .. })
    ));
    let mismatched = format!(
        r#"{{"schemaVersion":2,"mediaType":"{}","config":{{}},"layers":[]}}"#,
        media::OCI_MANIFEST
    );
    assert!(parse(media::DOCKER_MANIFEST, mismatched.as_bytes(), REF).is_err());
    let bad_digest = br#"{"schemaVersion":2,"config":{"size":1,"digest":"sha256:zz"},"layers":[]}"#;
    assert!(parse(media::OCI_MANIFEST, bad_digest, REF).is_err());
}
