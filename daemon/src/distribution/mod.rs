//! Registries: `docker pull`, `push`, `login` and distribution inspect, between the registry
//! client (`distribution`) and the image store (`graph`).

mod backend;
