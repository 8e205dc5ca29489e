//! wharfd as a service (moby's `cmd/dockerd` around `NewDaemon`): the API's listeners on every
//! `-H` (Unix, TCP with or without TLS, sockets passed by systemd), systemd's notify protocol,
//! stopping containers at shutdown, and reloading settings on SIGHUP.

pub mod listeners;
pub mod log;
pub mod notify;
pub mod reload;
pub mod tls;
