//! The `filters` query parameter: JSON `map[string][]string`, or the legacy
//! `map[string]map[string]bool` that older clients send.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::Error;

/// Parsed filters: each key with the values given for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filters(BTreeMap<String, Vec<String>>);

impl Filters {
    /// Parses the raw `filters` parameter; absent or empty means no filter.
    pub fn parse(raw: Option<&str>) -> Result<Self, Error> {
        let Some(raw) = raw.filter(|r| !r.trim().is_empty()) else {
            return Ok(Filters::default());
        };
        let bad = || Error::invalid(format!("invalid filter: {raw}"));
        let Value::Object(map) = serde_json::from_str::<Value>(raw).map_err(|_| bad())? else {
            return Err(bad());
        };
        let mut out = BTreeMap::new();
        for (key, value) in map {
            let values = match value {
                Value::Array(items) => items
                    .into_iter()
                    .map(|v| v.as_str().map(str::to_owned).ok_or_else(bad))
                    .collect::<Result<Vec<_>, _>>()?,
                Value::Object(m) => m
                    .into_iter()
                    .filter(|(_, on)| on.as_bool().unwrap_or(false))
                    .map(|(k, _)| k)
                    .collect(),
                _ => return Err(bad()),
            };
            out.insert(key, values);
        }
        Ok(Filters(out))
    }

    /// Refuses keys outside `allowed`, with Docker's message.
    pub fn only(&self, allowed: &[&str]) -> Result<(), Error> {
        match self.0.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(Error::invalid(format!("invalid filter '{k}'"))),
            None => Ok(()),
        }
    }

    /// The values given for `key` (empty when the key is absent).
    pub fn get(&self, key: &str) -> &[String] {
        self.0.get(key).map_or(&[], Vec::as_slice)
    }

    /// True when `key` is absent, or when any of its values satisfies `pred`.
    pub fn any(&self, key: &str, pred: impl Fn(&str) -> bool) -> bool {
        let values = self.get(key);
        values.is_empty() || values.iter().any(|v| pred(v))
    }

    /// moby's `MatchKVList`: true when `key` is absent, or when `labels` has every one of its
    /// values (`name`: the label is set; `name=value`: set to that value).
    pub fn match_kv_list(&self, key: &str, labels: Option<&BTreeMap<String, String>>) -> bool {
        let wanted = self.get(key);
        if wanted.is_empty() {
            return true;
        }
        let Some(labels) = labels.filter(|l| !l.is_empty()) else {
            return false;
        };
        wanted.iter().all(|w| match w.split_once('=') {
            Some((name, value)) => labels.get(name).is_some_and(|v| v == value),
            None => labels.contains_key(w.as_str()),
        })
    }

    /// The label filters every list and prune applies, as moby's: `label` (every one must
    /// match, [`Filters::match_kv_list`]) and `label!` (`--filter label!=...`: none may match
    /// all of them; a list refuses the key before it gets here).
    pub fn match_labels(&self, labels: Option<&BTreeMap<String, String>>) -> bool {
        self.match_kv_list("label", labels)
            && (self.get("label!").is_empty() || !self.match_kv_list("label!", labels))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_encodings_parse() {
        let f = Filters::parse(Some(r#"{"name":["br","ho"],"driver":["bridge"]}"#)).unwrap();
        assert_eq!(f.get("name"), ["br", "ho"]);
        let f = Filters::parse(Some(r#"{"dangling":{"true":true}}"#)).unwrap();
        assert_eq!(f.get("dangling"), ["true"]);
        assert!(Filters::parse(None).unwrap().get("x").is_empty());
        assert!(Filters::parse(Some("not json")).is_err());
        assert!(Filters::parse(Some(r#"{"a":1}"#)).is_err());
    }

    #[test]
    fn unknown_keys_are_refused_and_absent_keys_match() {
        let f = Filters::parse(Some(r#"{"colour":["red"]}"#)).unwrap();
        assert_eq!(
            f.only(&["name"]).unwrap_err().message,
            "invalid filter 'colour'"
        );
        assert!(f.any("name", |_| false));
        assert!(!f.any("colour", |v| v == "blue"));
    }

    #[test]
    fn labels_match_as_moby_matches_them() {
        let labels: BTreeMap<String, String> = [("app", "web"), ("tier", "")]
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let matches = |raw: &str, labels: Option<&BTreeMap<String, String>>| {
            Filters::parse(Some(raw)).unwrap().match_labels(labels)
        };
        // No label filter: everything matches, with or without labels.
        assert!(matches("{}", None));
        // `key`, `key=value`, `key=` (set to the empty value).
        assert!(matches(r#"{"label":["app"]}"#, Some(&labels)));
        assert!(matches(r#"{"label":["app=web"]}"#, Some(&labels)));
        assert!(matches(r#"{"label":["tier="]}"#, Some(&labels)));
        assert!(!matches(r#"{"label":["app=db"]}"#, Some(&labels)));
        assert!(!matches(r#"{"label":["colour"]}"#, Some(&labels)));
        // Every value must match (moby's `MatchKVList`), not any one of them.
        assert!(matches(r#"{"label":["app","tier"]}"#, Some(&labels)));
        assert!(!matches(r#"{"label":["app","colour"]}"#, Some(&labels)));
        // A label filter never matches an object without labels.
        assert!(!matches(r#"{"label":["app"]}"#, None));
        assert!(!matches(r#"{"label":["app"]}"#, Some(&BTreeMap::new())));
        // `label!`: excluded when every one of its values matches.
        assert!(!matches(r#"{"label!":["app=web"]}"#, Some(&labels)));
        assert!(matches(r#"{"label!":["app=db"]}"#, Some(&labels)));
        assert!(matches(r#"{"label!":["app"]}"#, None));
        assert!(!matches(
            r#"{"label":["tier"],"label!":["app"]}"#,
            Some(&labels)
        ));
    }
}
