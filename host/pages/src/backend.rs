//! The pages' way to the API: a request into the API's router, in
//! process, with the signed-in person's token and language, answered as
//! JSON. Every rule on who may read or do what stays in the API.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use serde_json::Value;
use tower::ServiceExt as _;

use crate::session::Session;

/// The largest API answer a page reads (the event history of a long
/// application, a catalogue): far above any real one.
const ANSWER_BYTES: usize = 64 << 20;

/// The API router, called in process.
#[derive(Clone)]
pub struct Api(Router);

/// An API answer.
#[derive(Debug)]
pub struct Answer {
    /// Its status.
    pub status: StatusCode,
    /// Its body as JSON (`null` when it is not JSON).
    pub json: Value,
    /// Its headers.
    pub headers: axum::http::HeaderMap,
    /// Its body as it came.
    pub bytes: Bytes,
}

impl Answer {
    /// Whether the status is 2xx.
    pub fn ok(&self) -> bool {
        self.status.is_success()
    }

    /// The problem's detail (problem+json), or the status.
    pub fn detail(&self) -> String {
        self.json
            .get("detail")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| self.status.to_string())
    }

    /// The problem's title, or the status.
    pub fn title(&self) -> String {
        self.json
            .get("title")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .unwrap_or_else(|| self.status.to_string())
    }
}

impl Api {
    /// Over the API's router.
    pub fn new(router: Router) -> Self {
        Self(router)
    }

    /// The router, for the paths no page serves.
    pub fn router(&self) -> Router {
        self.0.clone()
    }

    /// `GET path`.
    pub async fn get(&self, session: &Session, path: &str) -> Answer {
        self.call(session, Method::GET, path, None).await
    }

    /// `POST path` with a JSON body.
    pub async fn post_json(&self, session: &Session, path: &str, body: &Value) -> Answer {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        self.call(
            session,
            Method::POST,
            path,
            Some(("application/json", bytes.into())),
        )
        .await
    }

    /// `method path` with a JSON body.
    pub async fn send_json(
        &self,
        session: &Session,
        method: Method,
        path: &str,
        body: &Value,
    ) -> Answer {
        let bytes = serde_json::to_vec(body).unwrap_or_default();
        self.call(
            session,
            method,
            path,
            Some(("application/json", bytes.into())),
        )
        .await
    }

    /// `POST path` with a body of `media_type` (a material, a component).
    pub async fn post_bytes(
        &self,
        session: &Session,
        path: &str,
        media_type: &str,
        body: Bytes,
        extra: &[(&'static str, String)],
    ) -> Answer {
        self.call_with(session, Method::POST, path, Some((media_type, body)), extra)
            .await
    }

    /// A request's whole answer, unread (a live event stream).
    pub async fn stream(
        &self,
        session: &Session,
        path: &str,
        last_event_id: Option<HeaderValue>,
    ) -> axum::response::Response {
        let mut request = self.request(session, Method::GET, path, None, &[]);
        if let Some(id) = last_event_id {
            request.headers_mut().insert("last-event-id", id);
        }
        match self.0.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        }
    }

    async fn call(
        &self,
        session: &Session,
        method: Method,
        path: &str,
        body: Option<(&str, Bytes)>,
    ) -> Answer {
        self.call_with(session, method, path, body, &[]).await
    }

    async fn call_with(
        &self,
        session: &Session,
        method: Method,
        path: &str,
        body: Option<(&str, Bytes)>,
        extra: &[(&'static str, String)],
    ) -> Answer {
        let request = self.request(session, method, path, body, extra);
        let response = match self.0.clone().oneshot(request).await {
            Ok(response) => response,
            Err(never) => match never {},
        };
        let (parts, body) = response.into_parts();
        let bytes = axum::body::to_bytes(body, ANSWER_BYTES)
            .await
            .unwrap_or_default();
        let json = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        Answer {
            status: parts.status,
            json,
            headers: parts.headers,
            bytes,
        }
    }

    fn request(
        &self,
        session: &Session,
        method: Method,
        path: &str,
        body: Option<(&str, Bytes)>,
        extra: &[(&'static str, String)],
    ) -> Request<Body> {
        let mut builder = Request::builder()
            .method(method)
            .uri(path)
            .header(header::ACCEPT_LANGUAGE, session.lang.tag())
            .header(header::ACCEPT, "application/json");
        if let Some(token) = &session.token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        for (name, value) in extra {
            builder = builder.header(*name, value);
        }
        let body = match body {
            Some((media_type, bytes)) => {
                builder = builder.header(header::CONTENT_TYPE, media_type);
                Body::from(bytes)
            }
            None => Body::empty(),
        };
        let mut request = builder
            .body(body)
            .unwrap_or_else(|_| Request::new(Body::empty()));
        // The API's rate limits count per client address: the browser's.
        if let Some(peer) = session.peer {
            request.extensions_mut().insert(ConnectInfo(peer));
        }
        request
    }
}
