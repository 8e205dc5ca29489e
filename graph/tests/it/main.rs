//! Integration tests of the image store. They run as root here (devices, chown, trusted
//! xattrs); nothing is mounted.

mod changes;
mod container_commit;
mod crash;
mod escape;
mod helpers;
mod load;
mod ops;
mod prefix;
mod pull;
mod pull_crash;
mod push;
mod remote;
mod roundtrip;
mod untag;
mod whiteout;
