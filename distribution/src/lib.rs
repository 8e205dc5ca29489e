//! The client side of the Docker Registry HTTP API V2 (the OCI distribution spec), as dockerd
//! speaks it: where a registry is reached ([`RegistryConfig::endpoints`]), the challenge flow
//! (Basic and bearer tokens, [`Credentials`] handed in per call), manifests and indexes with
//! dockerd's platform choice, blobs streamed and verified against their digest
//! ([`BlobStream`]), uploads and manifest pushes, and `docker login` ([`Client::login`]).
//! Failures carry dockerd's words ([`Error`]) and class ([`ErrorKind`]).
//!
//! It knows no HTTP server, no image store and no layer format: the daemon decides what to
//! fetch and where the bytes go.
//!
//! A pull:
//!
//! ```no_run
//! # async fn pull() -> Result<(), distribution::Error> {
//! use distribution::{Client, Credentials, ImageRef, PlatformSpec, RegistryConfig, Repository};
//! use futures::StreamExt;
//!
//! let client = Client::new(RegistryConfig::default())?;
//! let image = ImageRef::tagged(Repository::split("127.0.0.1:5000/busybox"), "latest");
//! let resolved = client
//!     .resolve(&image, &Credentials::default(), &PlatformSpec::host())
//!     .await?;
//! let config = resolved.session.config(&resolved.manifest.config).await?;
//! for layer in &resolved.manifest.layers {
//!     let mut blob = resolved.session.blob(layer, distribution::BlobKind::Layer).await?;
//!     while let Some(chunk) = blob.next().await {
//!         let _bytes = chunk?; // the last item is an error unless the digest matched
//!     }
//! }
//! # let _ = config;
//! # Ok(())
//! # }
//! ```

pub mod auth;
mod blob;
mod client;
pub mod config;
mod digest;
pub mod endpoint;
pub mod errcode;
mod error;
mod fetch;
mod login;
pub mod manifest;
mod pull;
mod push;
pub mod reference;
mod session;
mod tags;
mod tls;
mod transport;

pub use auth::{Access, Credentials};
pub use blob::BlobStream;
pub use client::{Client, DEFAULT_USER_AGENT};
pub use config::RegistryConfig;
pub use digest::{Digest, Hasher};
pub use endpoint::{Endpoint, Tls};
pub use error::{BlobKind, Error, ErrorKind, RequestError};
pub use fetch::{Fetched, fetch};
pub use login::{LoginOk, login_host};
pub use manifest::platform::PlatformSpec;
pub use manifest::{Descriptor, ImageIndex, ImageManifest, Manifest, Platform};
pub use pull::{FetchedManifest, Resolved, translate_pull_error};
pub use push::{Mount, UploadStart, Uploaded};
pub use reference::{ImageRef, Repository, Target};
pub use session::Session;
