//! The in-memory index: containers by ID (with Docker's truncindex prefix lookup) and by name.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use api::Error;
use api::backend::no_such_container;

use super::Container;

/// Every container, by ID and by name (with its leading `/`).
#[derive(Default)]
pub(crate) struct Index {
    by_id: BTreeMap<String, Arc<Container>>,
    by_name: HashMap<String, String>,
}

impl Index {
    /// moby's `GetContainer`: a full ID, then a name (with or without `/`), then a unique ID
    /// prefix. An ambiguous prefix is moby's 500.
    pub(crate) fn get(&self, term: &str) -> Result<Arc<Container>, Error> {
        if let Some(c) = self.by_id.get(term) {
            return Ok(Arc::clone(c));
        }
        let name = format!("/{}", term.strip_prefix('/').unwrap_or(term));
        if let Some(c) = self.by_name.get(&name).and_then(|id| self.by_id.get(id)) {
            return Ok(Arc::clone(c));
        }
        let is_prefix = !term.is_empty()
            && term
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
        if is_prefix {
            let mut hits = self
                .by_id
                .range(term.to_owned()..)
                .take_while(|(id, _)| id.starts_with(term))
                .take(2);
            match (hits.next(), hits.next()) {
                (Some((_, c)), None) => return Ok(Arc::clone(c)),
                (Some(_), Some(_)) => {
                    return Err(Error::system(format!(
                        "Multiple IDs found with provided prefix: {term}"
                    )));
                }
                _ => {}
            }
        }
        Err(no_such_container(term))
    }

    /// The ID of the container called `name` (with its `/`), if any.
    pub(crate) fn name_owner(&self, name: &str) -> Option<&str> {
        self.by_name.get(name).map(String::as_str)
    }

    /// 409 if `name` is taken, in Docker's words.
    pub(crate) fn check_name(&self, name: &str) -> Result<(), Error> {
        match self.name_owner(name) {
            Some(id) => Err(Error::conflict(format!(
                "Conflict. The container name \"{name}\" is already in use by container \"{id}\". \
                 You have to remove (or rename) that container to be able to reuse that name."
            ))),
            None => Ok(()),
        }
    }

    /// Adds a container under its ID and `name`.
    pub(crate) fn insert(&mut self, c: Arc<Container>, name: String) {
        self.by_name.insert(name, c.id.clone());
        self.by_id.insert(c.id.clone(), c);
    }

    /// Forgets a container (and its name, if the name is still its own).
    pub(crate) fn remove(&mut self, id: &str, name: &str) {
        self.by_id.remove(id);
        if self.by_name.get(name).is_some_and(|owner| owner == id) {
            self.by_name.remove(name);
        }
    }

    /// Whether an ID is in use.
    pub(crate) fn contains(&self, id: &str) -> bool {
        self.by_id.contains_key(id)
    }

    /// Every container.
    pub(crate) fn all(&self) -> Vec<Arc<Container>> {
        self.by_id.values().cloned().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::containers::record::Record;

    fn container(id: &str, name: &str) -> Arc<Container> {
        Container::new(Record::sample(id, name), "/nonexistent".into())
    }

    #[test]
    fn ids_names_and_prefixes_resolve_as_in_docker() {
        let mut ix = Index::default();
        let a = format!("abc1{}", "0".repeat(60));
        let b = format!("abc2{}", "0".repeat(60));
        ix.insert(container(&a, "/web"), "/web".into());
        ix.insert(container(&b, "/db"), "/db".into());
        assert_eq!(ix.get(&a).expect("full id").id, a);
        assert_eq!(ix.get("web").expect("name").id, a);
        assert_eq!(ix.get("/db").expect("name with slash").id, b);
        assert_eq!(ix.get("abc2").expect("prefix").id, b);
        let e = ix.get("abc").err().expect("ambiguous");
        assert_eq!(e.message, "Multiple IDs found with provided prefix: abc");
        let e = ix.get("nope").err().expect("unknown");
        assert_eq!(e.message, "No such container: nope");
        assert!(ix.get("").is_err());
        let e = ix.check_name("/web").expect_err("taken");
        assert!(e.message.starts_with(
            "Conflict. The container name \"/web\" is already in use by container \"abc1"
        ));
        ix.remove(&a, "/web");
        assert!(ix.get("web").is_err());
        assert!(ix.check_name("/web").is_ok());
    }
}
