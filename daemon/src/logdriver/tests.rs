use super::*;

fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

fn subject<'a>(labels: &'a BTreeMap<String, String>, env: &'a [String]) -> Subject<'a> {
    Subject {
        id: "0123456789abcdef0123",
        name: "web",
        image_name: "busybox",
        image_id: "sha256:fedcba9876543210",
        labels,
        env,
    }
}

#[test]
fn create_time_checks_in_dockerds_words() {
    let ok = opts(&[("max-size", "1k"), ("max-file", "3"), ("mode", "blocking")]);
    assert_eq!(validate_opts("json-file", &ok), Ok(()));
    assert_eq!(
        validate_opts("json-file", &opts(&[("x", "1")])),
        Err("unknown log opt 'x' for json-file log driver".into())
    );
    assert_eq!(
        validate_opts("local", &opts(&[("labels", "a")])),
        Err("unknown log opt 'labels' for log driver local".into())
    );
    assert_eq!(
        validate_opts("gelf", &BTreeMap::new()),
        Err("logger: no log driver named 'gelf' is registered".into())
    );
    assert_eq!(validate_opts("none", &opts(&[("x", "1")])), Ok(()));
    assert_eq!(
        validate_opts("json-file", &opts(&[("mode", "fast")])),
        Err("logger: logging mode not supported: fast".into())
    );
    assert_eq!(
        validate_opts("json-file", &opts(&[("max-buffer-size", "1m")])),
        Err("logger: max-buffer-size option is only supported with 'mode=non-blocking'".into())
    );
    // syslog checks its address, facility and format at create.
    let syslog = |pairs: &[(&str, &str)]| validate_opts("syslog", &opts(pairs));
    assert_eq!(
        syslog(&[
            ("syslog-address", "udp://1.2.3.4:514"),
            ("syslog-facility", "local3")
        ]),
        Ok(())
    );
    assert_eq!(
        syslog(&[("syslog-address", "1.2.3.4")]),
        Err("syslog-address should be in form proto://address, got 1.2.3.4".into())
    );
    assert_eq!(
        syslog(&[("syslog-address", "unix:///no/such.sock")]),
        Err("stat /no/such.sock: no such file or directory".into())
    );
    assert_eq!(
        syslog(&[("syslog-facility", "24")]),
        Err("invalid syslog facility".into())
    );
    assert_eq!(
        syslog(&[("syslog-format", "json")]),
        Err("Invalid syslog format".into())
    );
    // Values are checked at start, not at create, as in dockerd.
    assert_eq!(
        validate_opts("json-file", &opts(&[("max-size", "x")])),
        Ok(())
    );
}

#[test]
fn the_daemons_default_fills_in() {
    let default = LogConfig {
        kind: "json-file".into(),
        config: Some(opts(&[("max-size", "10m"), ("max-file", "2")])),
    };
    let mut c = LogConfig {
        kind: String::new(),
        config: Some(opts(&[("max-file", "5")])),
    };
    merge_and_verify(&mut c, &default).unwrap();
    assert_eq!(c.kind, "json-file");
    assert_eq!(
        c.config,
        Some(opts(&[("max-size", "10m"), ("max-file", "5")]))
    );
    // Another driver does not get the default's options.
    let mut c = LogConfig {
        kind: "local".into(),
        config: None,
    };
    merge_and_verify(&mut c, &default).unwrap();
    assert_eq!(c.config, Some(BTreeMap::new()));
}

#[test]
fn start_time_settings() {
    let (labels, env) = (
        BTreeMap::from([
            ("app".to_owned(), "x".to_owned()),
            ("tier".to_owned(), "y".to_owned()),
        ]),
        vec!["A=1".to_owned(), "B=2".to_owned()],
    );
    let s = subject(&labels, &env);
    let got = settings(
        "json-file",
        &opts(&[
            ("max-size", "1k"),
            ("max-file", "3"),
            ("compress", "true"),
            ("labels", "app,missing"),
            ("env-regex", "^B"),
            ("tag", "{{.Name}}/{{ .ID }}"),
        ]),
        &s,
    )
    .unwrap();
    assert_eq!(
        (got.max_size, got.max_file, got.compress),
        (Some(1000), 3, true)
    );
    assert_eq!(
        got.attrs,
        BTreeMap::from([
            ("app".to_owned(), "x".to_owned()),
            ("B".to_owned(), "2".to_owned()),
            ("tag".to_owned(), "web/0123456789ab".to_owned()),
        ])
    );
    let err =
        |driver: &str, pairs: &[(&str, &str)]| settings(driver, &opts(pairs), &s).unwrap_err();
    assert_eq!(
        err("json-file", &[("max-size", "abc")]),
        "invalid size: 'abc'"
    );
    assert_eq!(
        err("json-file", &[("max-size", "0")]),
        "max-size must be a positive number"
    );
    assert_eq!(
        err("json-file", &[("max-file", "0")]),
        "max-file cannot be less than 1"
    );
    assert_eq!(
        err("json-file", &[("max-file", "x")]),
        "strconv.Atoi: parsing \"x\": invalid syntax"
    );
    assert_eq!(
        err("json-file", &[("compress", "true")]),
        "compress cannot be true when max-file is less than 2 or max-size is not set"
    );
    assert_eq!(
        err("local", &[("max-file", "1")]),
        "compression cannot be enabled when max file count is 1"
    );
    let local = settings("local", &BTreeMap::new(), &s).unwrap();
    assert_eq!(
        (local.format, local.max_size, local.max_file, local.compress),
        (LogFormat::Local, Some(20 << 20), 5, true)
    );
    assert_eq!(
        settings("none", &BTreeMap::new(), &s).unwrap().format,
        LogFormat::None
    );
    assert!(err("json-file", &[("tag", "{{.Bogus}}")]).contains("Bogus"));
}
