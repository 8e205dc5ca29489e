//! A daemon with the busybox image loaded, driven through its API: what the tests of races,
//! hostile input and create's refusals share.

use std::time::Duration;

use serde_json::Value;
use testkit::fixtures;
use testkit::{HttpResponse, NetNs, Wharfd, require_privileged};

pub(crate) const BIN: &str = env!("CARGO_BIN_EXE_wharfd");

/// Fields drop in order: the daemon, the earlier daemons on the same state (the first owns
/// its temp dir), then the namespace.
pub(crate) struct Env {
    pub(crate) d: Wharfd,
    earlier: Vec<Wharfd>,
    ns: NetNs,
}

impl Env {
    /// A daemon of its own in a namespace of its own, with busybox loaded.
    pub(crate) fn new(tag: &str) -> Env {
        require_privileged();
        let ns = NetNs::new(tag).expect("netns");
        let d = Wharfd::builder(BIN).start(&ns).expect("wharfd starts");
        let archive = d.dir().join("busybox.tar");
        fixtures::busybox()
            .expect("busybox fixture")
            .write_docker_archive(&archive)
            .expect("write fixture");
        d.docker_ok(&["load", "-i", archive.to_str().expect("utf-8")]);
        Env {
            d,
            earlier: Vec::new(),
            ns,
        }
    }

    /// One request with an optional JSON body; the whole answer.
    pub(crate) fn request(&self, method: &str, path: &str, body: Option<&Value>) -> HttpResponse {
        let body = body.map(|b| serde_json::to_vec(b).expect("json"));
        self.d
            .request(method, path, body.as_deref())
            .unwrap_or_else(|e| panic!("{method} {path}: {e:#}\n--- wharfd log:\n{}", self.d.log()))
    }

    /// Creates a container from `body`; its ID and warnings.
    pub(crate) fn create_warned(&self, body: &Value) -> (String, Vec<String>) {
        let r = self.request("POST", "/containers/create", Some(body));
        assert_eq!(r.status, 201, "create {body}: {}", r.text());
        let v = r.json().expect("json");
        let warnings = v["Warnings"]
            .as_array()
            .expect("Warnings")
            .iter()
            .map(|w| w.as_str().expect("warning").to_owned())
            .collect();
        (v["Id"].as_str().expect("Id").to_owned(), warnings)
    }

    /// Creates a container from `body`; its ID.
    pub(crate) fn create(&self, body: &Value) -> String {
        self.create_warned(body).0
    }

    /// Starts `id` and waits for its exit code.
    pub(crate) fn run(&self, id: &str) -> i64 {
        let r = self.request("POST", &format!("/containers/{id}/start"), None);
        assert_eq!(r.status, 204, "start: {}\n{}", r.text(), self.d.log());
        let r = self.request("POST", &format!("/containers/{id}/wait"), None);
        assert_eq!(r.status, 200, "wait: {}", r.text());
        r.json().expect("json")["StatusCode"]
            .as_i64()
            .expect("StatusCode")
    }

    /// Stops the daemon and starts it again on the same state.
    pub(crate) fn restart(&mut self) {
        self.d.terminate(Duration::from_secs(10)).expect("stops");
        self.start_again();
    }

    /// Starts a daemon on the state of the stopped one.
    fn start_again(&mut self) {
        let dir = self.d.dir().to_path_buf();
        let next = Wharfd::builder(BIN)
            .dir(&dir)
            .start(&self.ns)
            .expect("wharfd restarts");
        self.earlier.push(std::mem::replace(&mut self.d, next));
    }

    /// SIGKILLs the daemon, as a crash would, and starts it again on the same state.
    pub(crate) fn kill_and_restart(&mut self) {
        self.d.kill().expect("killed");
        self.start_again();
    }
}
