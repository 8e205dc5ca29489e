//! `docker save`: write images as a docker-archive, as dockerd 20.10 does.
//!
//! Layout (entries in the order Go's directory walk gives them):
//!
//! ```text
//! <v1 id>/            one directory per layer, named by its legacy v1 ID
//! <v1 id>/VERSION     "1.0"
//! <v1 id>/json        legacy v1 image JSON
//! <v1 id>/layer.tar   the layer, byte for byte as loaded (hashes to its diff ID),
//!                     or a symlink to an earlier copy of the same diff
//! <image id>.json     the image config, exact bytes
//! manifest.json       [{"Config","RepoTags","Layers"(,"Parent")}]
//! repositories        {"name":{"tag":"<top v1 id>"}} (only if there are tags)
//! ```

use std::collections::{BTreeMap, HashMap};
use std::io::{BufWriter, Write};

use super::gotar::GoTar;
use crate::catalog::{PrefixMatch, normalize_prefix};
use crate::config::ImageConfig;
use crate::digest::{ChainId, Digest, ImageId, chain_ids};
use crate::error::{Error, Result};
use crate::gojson::{self, Obj};
use crate::reference::{AnyReference, Reference};
use crate::store::ImageStore;
use jiff::Timestamp;

/// One archive entry to write.
enum Item {
    Dir,
    File(Vec<u8>),
    Layer {
        cache_id: String,
        size: u64,
        diff_id: Digest,
    },
    Symlink(String),
}

struct Planned {
    path: String,
    item: Item,
    mtime: i64,
}

impl ImageStore {
    /// Writes the named images (references, IDs or ID prefixes) to `out` as a docker-archive.
    /// A repository name without tag saves all its tags. Every layer is verified against its
    /// diff ID while it is written; a mismatch ends the stream with an error.
    pub fn save(&self, names: &[&str], out: &mut dyn Write) -> Result<()> {
        let selected = self.select_for_save(names)?;
        let mut items: Vec<Planned> = Vec::new();
        let mut manifest = Vec::new();
        let mut repositories: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        let mut saved_v1: HashMap<String, ()> = HashMap::new();
        let mut diff_paths: HashMap<Digest, String> = HashMap::new();
        let mut parent_links: Vec<(ImageId, Option<ImageId>)> = Vec::new();
        let now = Timestamp::now().as_second();

        for (id, refs) in &selected {
            let raw = self
                .catalog
                .config(id)?
                .ok_or_else(|| Error::NotFound(id.to_string()))?;
            let cfg = ImageConfig::parse(&raw)?;
            let diff_ids = cfg.diff_ids().to_vec();
            if diff_ids.is_empty() {
                return Err(Error::Unsupported(
                    "empty export - not implemented".to_string(),
                ));
            }
            let created = cfg.created_time().map_or(0, gojson::unix);
            let chains = chain_ids(&diff_ids);
            let mut parent_v1: Option<String> = None;
            let mut layer_paths = Vec::new();
            for (i, chain) in chains.iter().enumerate() {
                let top = i + 1 == chains.len();
                let (v1_id, json) = v1_layer(&cfg, top, chain, parent_v1.as_deref());
                layer_paths.push(format!("{v1_id}/layer.tar"));
                if saved_v1.insert(v1_id.clone(), ()).is_none() {
                    self.plan_layer(
                        &mut items,
                        &mut diff_paths,
                        &v1_id,
                        json,
                        chain,
                        created,
                        now,
                    )?;
                }
                parent_v1 = Some(v1_id);
            }
            let top_v1 = parent_v1.unwrap_or_default();
            let mut repo_tags = Vec::new();
            for r in refs {
                if let Some(tag) = r.tag() {
                    repositories
                        .entry(r.familiar_name())
                        .or_default()
                        .insert(tag.to_string(), top_v1.clone());
                    repo_tags.push(r.familiar());
                }
            }
            items.push(Planned {
                path: format!("{}.json", id.hex()),
                item: Item::File(raw),
                mtime: created,
            });
            manifest.push((id.clone(), repo_tags, layer_paths));
            let parent = self.catalog.image(id)?.and_then(|r| r.parent);
            parent_links.push((id.clone(), parent));
        }

        let manifest_json = manifest_json(&manifest, &parent_links);
        items.push(Planned {
            path: "manifest.json".to_string(),
            item: Item::File(manifest_json.into_bytes()),
            mtime: 0,
        });
        if !repositories.is_empty() {
            let mut o = Obj::default();
            for (name, tags) in &repositories {
                let mut t = Obj::default();
                for (tag, v1) in tags {
                    t.str(tag, v1);
                }
                o.raw(name, t.render_sorted());
            }
            items.push(Planned {
                path: "repositories".to_string(),
                item: Item::File(format!("{}\n", o.render_sorted()).into_bytes()),
                mtime: 0,
            });
        }
        // Go's filepath.Walk order: compare path components.
        items.sort_by(|a, b| a.path.split('/').cmp(b.path.split('/')));
        self.write_items(items, out)
    }

    #[allow(clippy::too_many_arguments)]
    fn plan_layer(
        &self,
        items: &mut Vec<Planned>,
        diff_paths: &mut HashMap<Digest, String>,
        v1_id: &str,
        json: String,
        chain: &ChainId,
        created: i64,
        now: i64,
    ) -> Result<()> {
        let rec = self
            .catalog
            .layer(chain)?
            .ok_or_else(|| Error::Store(format!("layer {chain} is missing")))?;
        let layer_path = format!("{v1_id}/layer.tar");
        let existing = diff_paths.get(&rec.diff_id).cloned();
        // Docker only dates the directory and its files when it writes the layer itself.
        let mtime = if existing.is_some() { now } else { created };
        items.push(Planned {
            path: v1_id.to_string(),
            item: Item::Dir,
            mtime,
        });
        items.push(Planned {
            path: format!("{v1_id}/VERSION"),
            item: Item::File(b"1.0".to_vec()),
            mtime,
        });
        items.push(Planned {
            path: format!("{v1_id}/json"),
            item: Item::File(json.into_bytes()),
            mtime,
        });
        let item = match existing {
            Some(first) => Item::Symlink(format!("../{first}")),
            None => {
                diff_paths.insert(rec.diff_id.clone(), layer_path.clone());
                Item::Layer {
                    cache_id: rec.cache_id,
                    size: rec.tar_size,
                    diff_id: rec.diff_id,
                }
            }
        };
        items.push(Planned {
            path: layer_path,
            item,
            mtime,
        });
        Ok(())
    }

    fn write_items(&self, items: Vec<Planned>, out: &mut dyn Write) -> Result<()> {
        let mut tar = GoTar::new(BufWriter::with_capacity(256 * 1024, out));
        for p in items {
            match p.item {
                Item::Dir => tar.dir(&p.path, p.mtime)?,
                Item::File(data) => tar.file(&p.path, &data, p.mtime)?,
                Item::Symlink(target) => tar.symlink(&p.path, &target, p.mtime)?,
                Item::Layer {
                    cache_id,
                    size,
                    diff_id,
                } => {
                    tar.begin_file(&p.path, size, p.mtime)?;
                    self.layers
                        .write_tar(&cache_id, &diff_id, size, tar.writer())?;
                    tar.pad(size)?;
                }
            }
        }
        tar.finish()?;
        Ok(())
    }

    /// Resolves `save`'s names the way Docker's `parseNames` does; images keep the order they
    /// were first named in.
    fn select_for_save(&self, names: &[&str]) -> Result<Vec<(ImageId, Vec<Reference>)>> {
        let mut out: Vec<(ImageId, Vec<Reference>)> = Vec::new();
        let mut add = |id: ImageId, r: Option<Reference>| {
            let r = r.filter(|r| r.digest().is_none());
            match out.iter_mut().find(|(i, _)| *i == id) {
                Some((_, refs)) => refs.extend(r.filter(|r| !refs.contains(r))),
                None => out.push((id, r.into_iter().collect())),
            }
        };
        for name in names {
            match AnyReference::parse(name)? {
                AnyReference::Id(id) => {
                    if self.catalog.image(&id)?.is_none() {
                        return Err(Error::NotFound(id.to_string()));
                    }
                    add(id, None);
                }
                AnyReference::Named(r) if r.familiar_name() == "sha256" || r.is_name_only() => {
                    let by_name = if r.is_name_only() {
                        self.catalog.references_by_name(&r.name())?
                    } else {
                        Vec::new()
                    };
                    if by_name.is_empty() {
                        add(self.search_prefix(name)?, None);
                    }
                    for (reference, id) in by_name {
                        add(id, Some(reference));
                    }
                }
                AnyReference::Named(r) => {
                    let id = self
                        .catalog
                        .reference(&r)?
                        .ok_or(Error::ReferenceNotFound)?;
                    add(id, Some(r));
                }
            }
        }
        Ok(out)
    }

    fn search_prefix(&self, name: &str) -> Result<ImageId> {
        let prefix = normalize_prefix(name).ok_or_else(|| Error::NotFound(name.to_string()))?;
        match self.catalog.find_prefix(prefix)? {
            PrefixMatch::Unique(id) => Ok(id),
            PrefixMatch::Ambiguous => Err(Error::Ambiguous(name.to_string())),
            PrefixMatch::None => Err(Error::NotFound(name.to_string())),
        }
    }
}

/// The legacy v1 ID and `json` of one layer, as `saveImage` computes them: the top layer
/// carries the image's v1 fields, lower ones only a zero creation time (and, in the file but not
/// in the ID, the OS).
fn v1_layer(
    cfg: &ImageConfig,
    top: bool,
    chain: &ChainId,
    parent: Option<&str>,
) -> (String, String) {
    let lower = |os: Option<&str>| {
        let mut o = Obj::default();
        o.raw("created", gojson::time(Some("1970-01-01T00:00:00Z")))
            .raw(
                "container_config",
                gojson::container_config(&Default::default()),
            )
            .str_omit("os", os);
        o
    };
    let json_str = |v: &str| {
        let mut s = String::new();
        gojson::string(&mut s, v);
        s
    };
    // `v1.CreateID`: the v1 fields as a map, plus layer_id and parent, keys sorted.
    let mut id_obj = if top {
        gojson::v1_image(cfg)
    } else {
        lower(None)
    };
    id_obj.set("layer_id", json_str(chain.as_str()));
    if let Some(p) = parent {
        id_obj.set("parent", json_str(&format!("sha256:{p}")));
    }
    let v1_id = Digest::of(id_obj.render_sorted().as_bytes())
        .hex()
        .to_string();
    let file = if top {
        gojson::v1_image(cfg)
    } else {
        lower(cfg.os.as_deref())
    };
    let file = gojson::with_ids(file, Some(&v1_id), parent);
    (v1_id, file.render())
}

fn manifest_json(
    items: &[(ImageId, Vec<String>, Vec<String>)],
    parents: &[(ImageId, Option<ImageId>)],
) -> String {
    let mut out = String::from("[");
    for (i, (id, tags, layers)) in items.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let mut o = Obj::default();
        o.str("Config", &format!("{}.json", id.hex()));
        o.raw(
            "RepoTags",
            if tags.is_empty() {
                "null".to_string()
            } else {
                gojson::str_list(Some(tags))
            },
        );
        o.raw("Layers", gojson::str_list(Some(layers)));
        // Docker keeps a parent link only if the parent is saved too.
        let parent = parents
            .iter()
            .find(|(c, _)| c == id)
            .and_then(|(_, p)| p.clone())
            .filter(|p| items.iter().any(|(x, _, _)| x == p));
        if let Some(p) = parent {
            o.str("Parent", p.as_str());
        }
        out.push_str(&o.render());
    }
    out.push_str("]\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The busybox image of the reference traces (`image-inspect.txt`, `save.txt`): dockerd
    /// 20.10 saved its only layer as `6ce54ed5…/` with a `json` of 0o1434 bytes.
    #[test]
    fn v1_id_matches_dockerd() {
        let config = br#"{"architecture":"amd64","comment":"anchor busybox from Debian busybox-static","config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":["sh"],"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null},"container_config":{"Hostname":"","Domainname":"","User":"","AttachStdin":false,"AttachStdout":false,"AttachStderr":false,"Tty":false,"OpenStdin":false,"StdinOnce":false,"Env":null,"Cmd":null,"Image":"","Volumes":null,"WorkingDir":"","Entrypoint":null,"OnBuild":null,"Labels":null},"created":"2026-11-28T04:29:59.565977961Z","docker_version":"20.10.24+dfsg1","history":[{"created":"2026-11-28T04:29:59.565977961Z","comment":"anchor busybox from Debian busybox-static"}],"os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:6db308d1c5490cea315ea46e06d2c460f398ae88f97e32eca1cc97bd22a545d7"]}}"#;
        let cfg = ImageConfig::parse(config).expect("config");
        let chain = cfg.diff_ids()[0].clone();
        let (v1, json) = v1_layer(&cfg, true, &chain, None);
        assert_eq!(
            v1,
            "6ce54ed5c893c773d0f3d21a262ac623c45bcc5b061e8a6635a2f63517b11d6c"
        );
        assert_eq!(json.len(), 0o1434, "the tar header size field is octal");
    }
}
