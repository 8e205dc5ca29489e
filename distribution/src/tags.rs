//! The tags of a repository (`GET /v2/<name>/tags/list`, following `Link: <…>; rel="next"`
//! pages), for `docker pull --all-tags`.

use hyper::Method;
use hyper::header::LINK;
use serde::Deserialize;

use crate::session::{Session, error_of, read_body};
use crate::{Error, ImageRef};

/// One page of the tag list.
#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

impl Session {
    /// Every tag of the session's repository, in the registry's order.
    pub async fn tags(&self) -> Result<Vec<String>, Error> {
        let mut url = self.url("tags/list");
        let mut all = Vec::new();
        loop {
            let response = self.get(Method::GET, &url, &[]).await?;
            if !response.status().is_success() {
                return Err(error_of(response).await);
            }
            let next = response
                .headers()
                .get(LINK)
                .and_then(|v| v.to_str().ok())
                .and_then(next_page);
            let body = read_body(response, &url).await?;
            let page: Page = serde_json::from_slice(&body).map_err(|e| Error::Malformed {
                what: "tag list",
                detail: e.to_string(),
            })?;
            all.extend(page.tags.unwrap_or_default());
            match next {
                Some(path) => url = crate::transport::resolve(&self.endpoint().v2(""), &path),
                None => return Ok(all),
            }
        }
    }
}

/// The target of a `Link: </v2/…?last=x&n=y>; rel="next"` header.
fn next_page(link: &str) -> Option<String> {
    link.split(',').find_map(|part| {
        let (target, params) = part.split_once(';')?;
        params.contains("rel=\"next\"").then(|| {
            target
                .trim()
                .trim_start_matches('<')
                .trim_end_matches('>')
                .to_owned()
        })
    })
}

impl crate::Client {
    /// Every tag of `image`'s repository, from the first endpoint that answers (its own tag is
    /// ignored).
    pub async fn tags(
        &self,
        image: &ImageRef,
        creds: &crate::Credentials,
    ) -> Result<Vec<String>, Error> {
        self.on_pull_endpoints(image, creds, |session| {
            Box::pin(async move { session.tags().await })
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::next_page;

    #[test]
    fn the_next_page_is_read_from_link() {
        assert_eq!(
            next_page(r#"</v2/busybox/tags/list?last=b&n=2>; rel="next""#).as_deref(),
            Some("/v2/busybox/tags/list?last=b&n=2")
        );
        assert_eq!(next_page(r#"</x>; rel="prev""#), None);
    }
}
