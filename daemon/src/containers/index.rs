//! The in-memory index: containers by ID (with Docker's truncindex prefix lookup) and by name.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use super::Container;
use crate::error::Error;

/// Every container, by ID and by name (with its leading `/`).
#[derive(Default)]
pub(crate) struct Index {
    by_id: BTreeMap<String, Arc<Container>>,
    by_name: HashMap<String, String>,
}

impl Index {
    /// moby's `GetContainer`: a full ID, then a name (with or without `/`), then a unique ID
    /// prefix. An ambiguous prefix is the client's mistake: a 400 in the words of moby 24+.
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
                    return Err(Error::Invalid(format!(
                        "multiple IDs found with provided prefix: {term}"
                    )));
                }
                _ => {}
            }
        }
        Err(Error::NoSuchContainer(term.to_owned()))
    }

    /// Reserves `name` (with its `/`) for the container `id` is about to be, atomically (moby's
    /// `ReserveName`): a 409 in Docker's words if another container holds it or is being
    /// created under it.
    pub(crate) fn reserve(&mut self, name: &str, id: &str) -> Result<(), Error> {
        if let Some(owner) = self.by_name.get(name) {
            return Err(Error::Conflict(format!(
                "Conflict. The container name \"{name}\" is already in use by container \"{owner}\". \
                 You have to remove (or rename) that container to be able to reuse that name."
            )));
        }
        self.by_name.insert(name.to_owned(), id.to_owned());
        Ok(())
    }

    /// Gives up a reservation of `name` for `id` (a create that failed).
    pub(crate) fn release(&mut self, name: &str, id: &str) {
        if self.by_name.get(name).is_some_and(|owner| owner == id) {
            self.by_name.remove(name);
        }
    }

    /// Adds a container under its ID and `name` (reserved for it before).
    pub(crate) fn insert(&mut self, c: Arc<Container>, name: String) {
        self.by_name.insert(name, c.id.clone());
        self.by_id.insert(c.id.clone(), c);
    }

    /// Forgets a container (and its name, if the name is still its own).
    pub(crate) fn remove(&mut self, id: &str, name: &str) {
        self.by_id.remove(id);
        self.release(name, id);
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
        assert!(matches!(e, Error::Invalid(_)));
        assert_eq!(
            e.to_string(),
            "multiple IDs found with provided prefix: abc"
        );
        let e = ix.get("nope").err().expect("unknown");
        assert_eq!(e.to_string(), "No such container: nope");
        assert!(ix.get("").is_err());
        let e = ix.reserve("/web", "new").expect_err("taken");
        assert!(e.to_string().starts_with(
            "Conflict. The container name \"/web\" is already in use by container \"abc1"
        ));
        ix.remove(&a, "/web");
        assert!(ix.get("web").is_err());
        // A reservation holds the name before the container exists, and only its own
        // release gives it up.
        ix.reserve("/web", "new").expect("free");
        assert!(
            ix.get("web").is_err(),
            "a reserved name names no container yet"
        );
        assert!(ix.reserve("/web", "other").is_err());
        ix.release("/web", "other");
        assert!(ix.reserve("/web", "other").is_err());
        ix.release("/web", "new");
        ix.reserve("/web", "other").expect("released");
    }
}
