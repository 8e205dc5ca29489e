//! `POST /build`: dockerd's classic builder (what the CLI without buildx uses).

use std::collections::BTreeMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{RawQuery, State};
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::post;

use super::image::{byte_stream, json_lines};
use crate::backend::BuildOptions;
use crate::extract::bool_value;
use crate::types::AuthConfig;
use crate::{Backend, Error};

pub(super) fn routes<B: Backend>() -> Router<Arc<B>> {
    Router::new().route("/build", post(image_build::<B>))
}

/// `POST /build`.
async fn image_build<B: Backend>(
    State(b): State<Arc<B>>,
    RawQuery(q): RawQuery,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, Error> {
    let mut opts = parse(q.as_deref().unwrap_or(""))?;
    if let Some(v) = headers
        .get("X-Registry-Config")
        .and_then(|v| v.to_str().ok())
    {
        opts.auth_configs = AuthConfig::map_from_header(v);
    }
    Ok(json_lines(b.build(byte_stream(body), opts).await?))
}

/// moby's `newImageBuildOptions`: repeated keys (`t`), JSON maps, moby's booleans, numbers
/// refused in its words.
fn parse(query: &str) -> Result<BuildOptions, Error> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_str(query).map_err(|e| Error::invalid(e.to_string()))?;
    let one = |key: &str| {
        pairs
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    let all = |key: &str| -> Vec<String> {
        pairs
            .iter()
            .filter(|(k, v)| k == key && !v.is_empty())
            .map(|(_, v)| v.clone())
            .collect()
    };
    let flag = |key: &str| bool_value(&one(key));
    let int = |key: &str| -> Result<i64, Error> {
        match one(key).as_str() {
            "" => Ok(0),
            v => v
                .parse()
                .map_err(|_| Error::invalid(format!("invalid value for {key}: {v:?}"))),
        }
    };
    let json = |key: &str| -> Result<Option<serde_json::Value>, Error> {
        match one(key).as_str() {
            "" => Ok(None),
            v => serde_json::from_str(v)
                .map(Some)
                .map_err(|e| Error::invalid(e.to_string())),
        }
    };
    let build_args: BTreeMap<String, Option<String>> = match json("buildargs")? {
        None => BTreeMap::new(),
        Some(v) => serde_json::from_value(v).map_err(|e| Error::invalid(e.to_string()))?,
    };
    let labels: BTreeMap<String, String> = match json("labels")? {
        None => BTreeMap::new(),
        Some(v) => serde_json::from_value(v).map_err(|e| Error::invalid(e.to_string()))?,
    };
    refuse_unsupported(&one)?;
    let rm = one("rm");
    Ok(BuildOptions {
        dockerfile: one("dockerfile"),
        tags: all("t"),
        build_args,
        labels,
        target: one("target"),
        no_cache: flag("nocache"),
        // moby: `rm` is true unless given as false.
        remove: rm.is_empty() || bool_value(&rm),
        force_remove: flag("forcerm"),
        quiet: flag("q"),
        network_mode: one("networkmode"),
        platform: one("platform"),
        extra_hosts: all("extrahosts")
            .iter()
            .flat_map(|h| h.split(',').map(str::to_owned).collect::<Vec<_>>())
            .collect(),
        shm_size: int("shmsize")?,
        memory: int("memory")?,
        memory_swap: int("memswap")?,
        cpu_shares: int("cpushares")?,
        cpuset_cpus: one("cpusetcpus"),
        cpu_period: int("cpuperiod")?,
        cpu_quota: int("cpuquota")?,
        remote: one("remote"),
        cache_from: match json("cachefrom")? {
            None | Some(serde_json::Value::Null) => Vec::new(),
            Some(v) => serde_json::from_value(v).map_err(|e| Error::invalid(e.to_string()))?,
        },
        pull: flag("pull"),
        auth_configs: BTreeMap::new(),
    })
}

/// What the classic builder here does not do is refused, naming the option, rather than
/// dropped: `squash` in dockerd's words (it needs experimental mode there), BuildKit
/// (`version=2`), `ulimits`, `cpusetmems` and an isolation other than `default`.
fn refuse_unsupported(one: &dyn Fn(&str) -> String) -> Result<(), Error> {
    if bool_value(&one("squash")) {
        return Err(Error::invalid(
            "squash is only supported with experimental mode",
        ));
    }
    if one("version") == "2" {
        return Err(Error::invalid(
            "version=2 (BuildKit) is not supported: this daemon has the classic builder only",
        ));
    }
    let given = |key: &str| !matches!(one(key).trim(), "" | "null" | "[]" | "{}");
    for (key, flag) in [("ulimits", "--ulimit"), ("cpusetmems", "--cpuset-mems")] {
        if given(key) {
            return Err(Error::invalid(format!(
                "{key} ({flag}) is not supported by wharf's builder"
            )));
        }
    }
    let isolation = one("isolation");
    if !matches!(isolation.to_ascii_lowercase().as_str(), "" | "default") {
        return Err(Error::invalid(format!(
            "Invalid isolation: {isolation:?} - linux only supports 'default'"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clis_query() {
        let o = parse(
            "buildargs=%7B%22GREETING%22%3A%22hey%22%2C%22N%22%3Anull%7D&dockerfile=Dockerfile\
             &t=built%3A1&t=built%3A2&target=base&version=1&rm=0&q=1&memory=5",
        )
        .expect("parses");
        assert_eq!(o.tags, ["built:1", "built:2"]);
        assert_eq!(o.build_args["GREETING"].as_deref(), Some("hey"));
        assert_eq!(o.build_args["N"], None);
        assert_eq!(
            (o.target.as_str(), o.remove, o.quiet),
            ("base", false, true)
        );
        assert_eq!(o.memory, 5);
        let o = parse("cachefrom=%5B%22a%22%2C%22b%3A1%22%5D").expect("parses");
        assert_eq!(o.cache_from, ["a", "b:1"]);
        assert!(parse("").expect("parses").remove);
        assert!(parse("memory=x").is_err());
    }

    #[test]
    fn what_the_builder_does_not_do_is_refused_by_name() {
        let refusal = |q: &str| parse(q).expect_err(q).message;
        assert_eq!(
            refusal("squash=1"),
            "squash is only supported with experimental mode"
        );
        assert!(refusal("version=2").contains("BuildKit"));
        assert!(refusal("ulimits=%5B%7B%22Name%22%3A%22nofile%22%7D%5D").starts_with("ulimits"));
        assert!(refusal("cpusetmems=0").starts_with("cpusetmems"));
        assert!(refusal("isolation=hyperv").starts_with("Invalid isolation"));
        // What the CLI sends when none of them is asked for.
        parse("cachefrom=%5B%5D&ulimits=null&isolation=&version=1").expect("accepted");
    }
}
