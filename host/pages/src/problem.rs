//! Why a page could not be shown or a post was refused, as a page: the
//! status, a title and what to do. A call the API refused for want of a
//! session sends the browser to the sign-in page instead.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

/// Why a page failed.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// No one is signed in, or the token expired: sign in, then come back.
    #[error("sign in to see {next}")]
    SignIn {
        /// The page to come back to.
        next: String,
    },
    /// A post without this browser's CSRF token.
    #[error("the form is stale or was not sent from this site: reload the page and send it again")]
    Csrf,
    /// Nothing there.
    #[error("{0}")]
    NotFound(String),
    /// The request was not usable.
    #[error("{0}")]
    Invalid(String),
    /// The API refused, with its status and words.
    #[error("{title}: {detail}")]
    Refused {
        /// The API's status.
        status: StatusCode,
        /// Its title.
        title: String,
        /// Its detail.
        detail: String,
    },
    /// A template could not be rendered (a bug).
    #[error("the page could not be rendered: {0}")]
    Render(String),
}

impl PageError {
    /// The API's refusal, or, for a 401, the way to sign in.
    pub fn from_answer(answer: &crate::backend::Answer, next: &str) -> Self {
        if answer.status == StatusCode::UNAUTHORIZED {
            return PageError::SignIn { next: next.into() };
        }
        PageError::Refused {
            status: answer.status,
            title: answer.title(),
            detail: answer.detail(),
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            PageError::SignIn { .. } => StatusCode::SEE_OTHER,
            PageError::Csrf => StatusCode::FORBIDDEN,
            PageError::NotFound(_) => StatusCode::NOT_FOUND,
            PageError::Invalid(_) => StatusCode::BAD_REQUEST,
            PageError::Refused { status, .. } => *status,
            PageError::Render(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let PageError::SignIn { next } = &self {
            let to = format!("/login?next={}", crate::render::url_encode(next));
            return Redirect::to(&to).into_response();
        }
        let status = self.status();
        if let PageError::Render(e) = &self {
            tracing::error!(error = %e, "a page could not be rendered");
        }
        let body = crate::render::error_page(status, &self.to_string());
        let mut response = (status, body).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        response
    }
}
