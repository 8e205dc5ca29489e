//! The classification table, row by row: every daemon failure and every kind of leaf failure,
//! with the status and the message a client gets.

use std::io;

use api::types::ContainerStatus;
use mobyport::signal::SignalError;

use super::Error;

fn io_error() -> io::Error {
    io::Error::from(io::ErrorKind::PermissionDenied)
}

/// Every row: the failure, the status, the client's message.
fn rows() -> Vec<(Error, u16, String)> {
    let denied = io_error().to_string();
    let start = |exit_code: i32| {
        Error::Exec(execdriver::Error::Start {
            exit_code,
            message: "runc create failed: exec: \"x\": executable file not found in $PATH".into(),
        })
    };
    let started = execdriver::docker_start_message(
        "runc create failed: exec: \"x\": executable file not found in $PATH",
    );
    let net = |e: netdriver::Error| Error::Network(e);
    let image = |e: graph::Error| Error::Image(e);
    vec![
        // The daemon's own.
        (
            Error::NoSuchContainer("web".into()),
            404,
            "No such container: web".into(),
        ),
        (
            Error::NotRunning("d37c".into()),
            409,
            "Container d37c is not running".into(),
        ),
        (
            Error::CannotRemove {
                name: "/web".into(),
                state: ContainerStatus::Running,
            },
            409,
            "cannot remove container \"/web\": container is running: stop the container before \
             removing or force remove"
                .into(),
        ),
        (
            Error::CannotRemove {
                name: "/web".into(),
                state: ContainerStatus::Paused,
            },
            409,
            "cannot remove container \"/web\": container is paused and must be unpaused first"
                .into(),
        ),
        (
            Error::NoSuchVolume("data".into()),
            404,
            "get data: no such volume".into(),
        ),
        (
            Error::NoSuchNetwork("web".into()),
            404,
            "network web not found".into(),
        ),
        (Error::NotFound("gone".into()), 404, "gone".into()),
        (Error::Invalid("bad".into()), 400, "bad".into()),
        (Error::Conflict("busy".into()), 409, "busy".into()),
        (Error::NotModified("done".into()), 304, "done".into()),
        (Error::NotImplemented("later".into()), 501, "later".into()),
        (Error::System("broken".into()), 500, "broken".into()),
        (
            Error::Io {
                context: "creating /x".into(),
                source: io_error(),
            },
            500,
            format!("creating /x: {denied}"),
        ),
        (
            Error::Signal(SignalError::Invalid("NOPE".into())),
            400,
            "invalid signal: NOPE".into(),
        ),
        (
            Error::Signal(SignalError::Unsupported(99)),
            400,
            "the linux daemon does not support signal 99".into(),
        ),
        // graph.
        (
            image(graph::Error::NotFound("busybox:latest".into())),
            404,
            "No such image: busybox:latest".into(),
        ),
        (
            image(graph::Error::ReferenceNotFound),
            404,
            "reference does not exist".into(),
        ),
        (
            image(graph::Error::InvalidReference(
                "invalid reference format".into(),
            )),
            400,
            "invalid reference format".into(),
        ),
        (
            image(graph::Error::Ambiguous("ab".into())),
            400,
            "Multiple IDs found with provided prefix: ab".into(),
        ),
        (
            image(graph::Error::Conflict("in use".into())),
            409,
            "in use".into(),
        ),
        (
            image(graph::Error::BadInput("not a tar".into())),
            400,
            "not a tar".into(),
        ),
        (
            image(graph::Error::DiffIdMismatch {
                index: 0,
                expected: "a".into(),
                actual: "b".into(),
            }),
            400,
            "invalid diffID for layer 0: expected \"a\", got \"b\"".into(),
        ),
        (
            image(graph::Error::Unsupported("no such driver".into())),
            501,
            "no such driver".into(),
        ),
        (
            image(graph::Error::Io {
                context: "reading /l".into(),
                source: io_error(),
            }),
            500,
            format!("reading /l: {denied}"),
        ),
        (
            image(graph::Error::Store("corrupt".into())),
            500,
            "metadata store: corrupt".into(),
        ),
        // netdriver.
        (
            net(netdriver::Error::NotFound("no bridge".into())),
            404,
            "no bridge".into(),
        ),
        (
            net(netdriver::Error::Conflict("port taken".into())),
            409,
            "port taken".into(),
        ),
        (
            net(netdriver::Error::InvalidParameter("bad ip".into())),
            400,
            "bad ip".into(),
        ),
        (
            net(netdriver::Error::Exhausted("no address left".into())),
            503,
            "no address left".into(),
        ),
        (
            net(netdriver::Error::Forbidden("pool overlaps".into())),
            403,
            "pool overlaps".into(),
        ),
        (
            net(netdriver::Error::System {
                context: "adding a route".into(),
                source: io_error().into(),
            }),
            500,
            format!("adding a route: {denied}"),
        ),
        (
            Error::Publish {
                name: "web".into(),
                endpoint: "e1".into(),
                source: netdriver::Error::Conflict("port 80 is taken".into()),
            },
            409,
            "driver failed programming external connectivity on endpoint web (e1): port 80 is \
             taken"
                .into(),
        ),
        (
            Error::Publish {
                name: "web".into(),
                endpoint: "e1".into(),
                source: netdriver::Error::Exhausted("no port left".into()),
            },
            503,
            "driver failed programming external connectivity on endpoint web (e1): no port left"
                .into(),
        ),
        // execdriver.
        (
            Error::Exec(execdriver::Error::NotFound("no state".into())),
            404,
            "no state".into(),
        ),
        (
            Error::Exec(execdriver::Error::Conflict("running".into())),
            409,
            "running".into(),
        ),
        (
            Error::Exec(execdriver::Error::InvalidParameter("no such user".into())),
            400,
            "no such user".into(),
        ),
        (start(127), 400, started.clone()),
        (start(126), 400, started.clone()),
        (start(128), 500, started),
        (
            Error::Exec(execdriver::Error::Runtime("runc failed".into())),
            500,
            "runc failed".into(),
        ),
        (
            Error::Exec(execdriver::Error::Io {
                context: "opening the log".into(),
                source: io_error(),
            }),
            500,
            format!("opening the log: {denied}"),
        ),
    ]
}

#[test]
fn every_failure_has_its_status_and_message() {
    for (e, status, message) in rows() {
        let shown = format!("{e:?}");
        let api = api::Error::from(e);
        assert_eq!(api.kind.status().as_u16(), status, "{shown}");
        assert_eq!(api.message, message, "{shown}");
    }
}

#[test]
fn the_cause_goes_on_to_the_log() {
    let e = api::Error::from(Error::Io {
        context: "creating /x".into(),
        source: io_error(),
    });
    assert_eq!(e.causes().to_string(), io_error().to_string());
    // A failed start: the client reads dockerd's wrapping, the log the runtime's own words.
    let e = api::Error::from(Error::Exec(execdriver::Error::Start {
        exit_code: 127,
        message: "exec: \"x\": not found".into(),
    }));
    assert_eq!(e.causes().to_string(), "exec: \"x\": not found");
}

#[tokio::test]
async fn a_task_that_did_not_finish_is_a_system_failure() {
    let task = tokio::spawn(std::future::pending::<()>());
    task.abort();
    let source = task.await.expect_err("aborted");
    let e = api::Error::from(Error::Task {
        what: "blocking task",
        source,
    });
    assert_eq!(e.kind, api::ErrorKind::System);
    assert!(
        e.message.starts_with("blocking task failed: task "),
        "{}",
        e.message
    );
}
