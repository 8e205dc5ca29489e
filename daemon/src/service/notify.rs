//! systemd's notify protocol (`Type=notify`): `READY=1` once restored and listening,
//! `STOPPING=1` when shutdown begins. Without `NOTIFY_SOCKET` (not under systemd) both do
//! nothing.

use sd_notify::NotifyState;

/// Tells the service manager the daemon is ready: restored and listening.
pub fn ready() {
    send(&[NotifyState::Ready]);
}

/// Tells the service manager the daemon is shutting down.
pub fn stopping() {
    send(&[NotifyState::Stopping]);
}

fn send(state: &[NotifyState]) {
    // NOTIFY_SOCKET stays set: STOPPING=1 comes later through the same socket.
    if let Err(e) = sd_notify::notify(false, state) {
        tracing::warn!(error = %e, "cannot notify the service manager");
    }
}
