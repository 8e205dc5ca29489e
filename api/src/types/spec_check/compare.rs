//! Walks one of our types' JSON schemas (schemars, as serde writes or reads the type) beside the
//! spec's schema (Swagger 2.0) for the same thing, and notes every place where they disagree.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

/// What a schema says of a value once references and `null` alternatives are resolved.
#[derive(Debug, Clone)]
struct Shape {
    /// `string`, `integer`, `number`, `boolean`, `array`, `object`, or `None`: anything.
    kind: Option<String>,
    /// May be `null`.
    nullable: bool,
    /// The resolved schema (properties, items, enum...).
    schema: Value,
}

/// One walk over a set of our types, all generated with the same contract.
pub struct Comparison<'a> {
    /// Our named schemas (`$defs`).
    ours: &'a Map<String, Value>,
    /// The whole spec, for its `#/definitions/...` references.
    spec: &'a Value,
    /// True for what we write: then a field we write as `null` must be one the spec allows to
    /// be null. What we read may accept more than the spec sends.
    serialize: bool,
    /// Our named types the walk reached.
    pub visited: BTreeSet<String>,
    /// The disagreements, `Path.To.Field: what`.
    pub found: Vec<String>,
    /// The spec's fields that our types do not have (not a disagreement: left out on purpose
    /// or not done yet; what is sent must be right, not complete).
    pub omitted: Vec<String>,
}

impl<'a> Comparison<'a> {
    /// A walk over `ours` (`$defs`), against `spec`.
    pub fn new(ours: &'a Map<String, Value>, spec: &'a Value, serialize: bool) -> Self {
        Comparison {
            ours,
            spec,
            serialize,
            visited: BTreeSet::new(),
            found: Vec::new(),
            omitted: Vec::new(),
        }
    }

    /// Compares our schema `ours` with the spec's `spec` at `path`.
    pub fn compare(&mut self, path: &str, ours: &Value, spec: &Value) {
        self.node(path, ours, spec, false, 0);
    }

    fn node(&mut self, path: &str, ours: &Value, spec: &Value, written: bool, depth: usize) {
        assert!(depth < 32, "{path}: the schemas nest too deep");
        let o = self.ours_shape(ours);
        let s = self.spec_shape(spec);
        let (Some(ok), Some(sk)) = (o.kind.clone(), s.kind.clone()) else {
            // `serde_json::Value` on our side, or a free-form value in the spec.
            return;
        };
        // Go writes a nil slice, map or pointer as null, whether the spec says so or not.
        let null_ok = s.nullable || sk == "array" || sk == "object";
        if self.serialize && written && o.nullable && !null_ok {
            self.found.push(format!(
                "{path}: may be null, the spec's {sk} is not x-nullable"
            ));
        }
        if ok != sk {
            self.found.push(format!("{path}: {ok}, the spec says {sk}"));
            return;
        }
        match ok.as_str() {
            "string" => self.strings(path, &o.schema, &s.schema),
            "array" => {
                let items = |v: &Value| v.get("items").cloned().unwrap_or(Value::Bool(true));
                let (oi, si) = (items(&o.schema), items(&s.schema));
                self.node(&format!("{path}[]"), &oi, &si, true, depth + 1);
            }
            "object" => self.objects(path, &o.schema, &s.schema, depth),
            _ => {}
        }
    }

    /// Our enum's values must be the spec's.
    fn strings(&mut self, path: &str, ours: &Value, spec: &Value) {
        let (Some(ov), Some(sv)) = (ours.get("enum"), spec.get("enum")) else {
            return;
        };
        let spec_values: Vec<&Value> = sv.as_array().into_iter().flatten().collect();
        for v in ov.as_array().into_iter().flatten() {
            if !spec_values.contains(&v) {
                self.found
                    .push(format!("{path}: {v}, not one of the spec's values"));
            }
        }
    }

    fn objects(&mut self, path: &str, ours: &Value, spec: &Value, depth: usize) {
        let props = |v: &Value| v.get("properties").and_then(Value::as_object).cloned();
        let map = |v: &Value| match v.get("additionalProperties") {
            Some(Value::Bool(false)) | None => None,
            Some(v) => Some(v.clone()),
        };
        let (op, sp) = (props(ours), props(spec));
        let (om, sm) = (map(ours), map(spec));
        match (op, sp) {
            (Some(op), Some(sp)) => {
                let required: Vec<&Value> = ours
                    .get("required")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .collect();
                for (name, o) in &op {
                    let at = format!("{path}.{name}");
                    match sp.get(name) {
                        Some(s) => {
                            let written = required.contains(&&Value::String(name.clone()));
                            self.node(&at, o, s, written, depth + 1);
                        }
                        None => self.found.push(format!("{at}: not in the spec")),
                    }
                }
                for name in sp.keys().filter(|n| !op.contains_key(*n)) {
                    self.omitted.push(format!("{path}.{name}"));
                }
            }
            (Some(op), None) if sm.is_some() && !op.is_empty() => {
                self.found
                    .push(format!("{path}: fields, the spec says a map"));
            }
            (None, Some(sp)) if om.is_some() && !sp.is_empty() => {
                self.found
                    .push(format!("{path}: a map, the spec says fields"));
            }
            _ => {
                if let (Some(om), Some(sm)) = (om, sm) {
                    self.node(&format!("{path}{{}}"), &om, &sm, true, depth + 1);
                }
            }
        }
    }

    /// Our schema with `$ref`s followed, `null` alternatives and tagged enums folded.
    fn ours_shape(&mut self, v: &Value) -> Shape {
        if let Some(r) = v.get("$ref").and_then(Value::as_str) {
            let name = r.trim_start_matches("#/$defs/");
            self.visited.insert(name.to_owned());
            let def = self
                .ours
                .get(name)
                .unwrap_or_else(|| panic!("schemars made no definition {name}"))
                .clone();
            return self.ours_shape(&def);
        }
        if let Some(alts) = v
            .get("anyOf")
            .or_else(|| v.get("oneOf"))
            .and_then(Value::as_array)
        {
            let not_null: Vec<&Value> = alts.iter().filter(|a| a["type"] != "null").collect();
            let nullable = not_null.len() < alts.len();
            if let [one] = not_null.as_slice() {
                let mut shape = self.ours_shape(one);
                shape.nullable |= nullable;
                return shape;
            }
            let mut merged = self.merge_alternatives(&not_null);
            merged.nullable |= nullable;
            return merged;
        }
        match v.get("type") {
            Some(Value::String(t)) => shape(Some(t.clone()), false, v),
            Some(Value::Array(ts)) => {
                let nullable = ts.iter().any(|t| t == "null");
                let kind = ts.iter().find(|t| *t != "null").and_then(Value::as_str);
                shape(kind.map(str::to_owned), nullable, v)
            }
            _ => shape(None, false, v),
        }
    }

    /// A Rust enum's alternatives as one schema: unit variants as a string enum, externally
    /// tagged ones as an object whose fields are the tags.
    fn merge_alternatives(&mut self, alts: &[&Value]) -> Shape {
        if alts.iter().all(|a| a.get("const").is_some()) {
            let values: Vec<Value> = alts.iter().map(|a| a["const"].clone()).collect();
            let schema = serde_json::json!({ "type": "string", "enum": values });
            return shape(Some("string".into()), false, &schema);
        }
        let mut properties = Map::new();
        for a in alts {
            let s = self.ours_shape(a);
            if let Some(p) = s.schema.get("properties").and_then(Value::as_object) {
                properties.extend(p.clone());
            }
        }
        let schema = serde_json::json!({ "type": "object", "properties": properties });
        shape(Some("object".into()), false, &schema)
    }

    /// The spec's schema with `$ref`s followed and `allOf` merged.
    fn spec_shape(&self, v: &Value) -> Shape {
        let nullable = v.get("x-nullable") == Some(&Value::Bool(true));
        if let Some(r) = v.get("$ref").and_then(Value::as_str) {
            let name = r.trim_start_matches("#/definitions/");
            let mut s = self.spec_shape(&self.spec["definitions"][name]);
            s.nullable |= nullable;
            return s;
        }
        if let Some(parts) = v.get("allOf").and_then(Value::as_array) {
            let mut properties = Map::new();
            let mut kind = None;
            for part in parts {
                let s = self.spec_shape(part);
                if let Some(p) = s.schema.get("properties").and_then(Value::as_object) {
                    properties.extend(p.clone());
                }
                kind = kind.or(s.kind);
            }
            if parts.len() == 1 {
                let mut s = self.spec_shape(&parts[0]);
                s.nullable |= nullable;
                return s;
            }
            let schema = serde_json::json!({ "type": "object", "properties": properties });
            return shape(kind.or(Some("object".into())), nullable, &schema);
        }
        let kind = match v.get("type").and_then(Value::as_str) {
            Some(t) => Some(t.to_owned()),
            None if v.get("properties").is_some() => Some("object".into()),
            None => None,
        };
        shape(kind, nullable, v)
    }
}

fn shape(kind: Option<String>, nullable: bool, schema: &Value) -> Shape {
    Shape {
        kind,
        nullable,
        schema: schema.clone(),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn names_types_and_nulls_that_drift_are_found() {
        let ours = json!({
            "Thing": {
                "type": "object",
                "properties": {
                    "Id": { "type": "integer" },
                    "Nmae": { "type": "string" },
                    "Size": { "type": ["integer", "null"] },
                    "Skipped": { "type": ["integer", "null"] },
                    "Labels": { "type": ["object", "null"], "additionalProperties": { "type": "string" } },
                    "Ports": { "type": "array", "items": { "$ref": "#/$defs/Port" } },
                    "State": { "oneOf": [{ "const": "running" }, { "const": "sleeping" }] },
                    "Any": true
                },
                "required": ["Id", "Nmae", "Size", "Labels", "Ports", "State", "Any"]
            },
            "Port": {
                "type": "object",
                "properties": { "PrivatePort": { "type": "string" } },
                "required": ["PrivatePort"]
            }
        });
        let spec = json!({
            "definitions": {
                "Thing": {
                    "type": "object",
                    "properties": {
                        "Id": { "type": "string" },
                        "Name": { "type": "string" },
                        "Size": { "type": "integer" },
                        "Skipped": { "type": "integer" },
                        "Labels": { "type": "object", "additionalProperties": { "type": "string" } },
                        "Ports": { "type": "array", "items": { "$ref": "#/definitions/Port" } },
                        "State": { "type": "string", "enum": ["running", "exited"] },
                        "Any": { "type": "integer" }
                    }
                },
                "Port": { "properties": { "PrivatePort": { "type": "integer" } } }
            }
        });
        let defs = ours.as_object().expect("an object");
        let mut walk = Comparison::new(defs, &spec, true);
        walk.compare(
            "Thing",
            &json!({ "$ref": "#/$defs/Thing" }),
            &json!({ "$ref": "#/definitions/Thing" }),
        );
        walk.found.sort();
        assert_eq!(
            walk.found,
            [
                "Thing.Id: integer, the spec says string",
                "Thing.Nmae: not in the spec",
                "Thing.Ports[].PrivatePort: string, the spec says integer",
                "Thing.Size: may be null, the spec's integer is not x-nullable",
                "Thing.State: \"sleeping\", not one of the spec's values",
            ]
        );
        assert_eq!(walk.omitted, ["Thing.Name"]);
        assert!(walk.visited.contains("Thing") && walk.visited.contains("Port"));
    }
}
