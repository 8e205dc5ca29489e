//! The daemon's side of `api::metrics::ApiObserver`: requests by route and status, container
//! actions by the route that asks for them, and the bytes `docker load` sends.

use std::time::Duration;

use super::METRICS;

/// Records what the API measured into the daemon's metrics.
#[derive(Debug, Default)]
pub struct ApiMetrics;

/// dockerd's container action for a route, if the route is one.
fn action(method: &str, route: &str) -> Option<&'static str> {
    Some(match (method, route) {
        ("POST", "/containers/create") => "create",
        ("POST", "/containers/{id}/start") => "start",
        ("POST", "/containers/{id}/stop") => "stop",
        ("POST", "/containers/{id}/restart") => "restart",
        ("POST", "/containers/{id}/kill") => "kill",
        ("POST", "/containers/{id}/pause") => "pause",
        ("POST", "/containers/{id}/unpause") => "unpause",
        ("DELETE", "/containers/{id}") => "delete",
        ("POST", "/commit") => "commit",
        _ => return None,
    })
}

impl api::metrics::ApiObserver for ApiMetrics {
    fn request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        let m = &*METRICS;
        let labels = vec![
            ("method".to_owned(), method.to_owned()),
            ("route".to_owned(), route.to_owned()),
        ];
        m.api_seconds
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        let mut with_status = labels;
        with_status.push(("status".to_owned(), status.to_string()));
        m.api_requests.get_or_create(&with_status).inc();
        if let Some(a) = action(method, route)
            && status < 400
        {
            m.container_actions
                .get_or_create(&vec![("action".to_owned(), a.to_owned())])
                .observe(elapsed.as_secs_f64());
        }
    }

    fn request_bytes(&self, route: &str, n: u64) {
        if route == "/images/load" {
            METRICS.load_bytes.inc_by(n);
        }
    }
}
