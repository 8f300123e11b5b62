//! Who is signed in to the pages, in which language, and the CSRF token
//! of their forms.
//!
//! - The session is the person's bearer token in the `onething_session`
//!   cookie: HttpOnly (no script reads it), Secure (unless the setting
//!   says otherwise), SameSite=Strict, for as long as the token lasts.
//!   The API verifies it on every call, as it would any bearer token.
//! - Every form carries a CSRF token, the HMAC (under a key of this
//!   process) of a random `onething_csrf` cookie; a post without the
//!   matching token is refused. Scripts send it as `X-CSRF-Token`.
//! - The language is the `onething_lang` cookie (set by `/lang/en`,
//!   `/lang/zh`), else the browser's `Accept-Language`, Chinese when it
//!   names neither.
//!
//! Signing in: with a token (an operator's, an officer's, or one from the
//! identity provider), or, when the host trusts a development issuer,
//! as any person or officer it mints a token for.

use std::net::SocketAddr;
use std::time::Duration;

use axum::Form;
use axum::extract::{ConnectInfo, FromRequestParts, Path, Query, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use cookie::{Cookie, SameSite};
use hmac::{Hmac, Mac};
use onething_identity::dev::TokenClaims;
use onething_model::text::Lang;
use serde::Deserialize;
use serde_json::json;
use sha2::Sha256;

use crate::Pages;
use crate::problem::PageError;

/// The cookie holding the bearer token.
pub const SESSION_COOKIE: &str = "onething_session";
/// The cookie the CSRF tokens are derived from.
pub const CSRF_COOKIE: &str = "onething_csrf";
/// The cookie holding the language chosen.
pub const LANG_COOKIE: &str = "onething_lang";

/// A request's session: who (their token), the language, the CSRF token
/// its forms must carry.
#[derive(Debug, Clone)]
pub struct Session {
    /// The bearer token, when someone is signed in.
    pub token: Option<String>,
    /// The language of the page.
    pub lang: Lang,
    /// The CSRF token of this browser.
    pub csrf: String,
    /// The browser's address.
    pub peer: Option<SocketAddr>,
    /// The path asked for (to come back to after signing in).
    pub path: String,
}

/// The random value a CSRF token is derived from, when the browser came
/// without one (set by [`ensure_csrf_cookie`]).
#[derive(Debug, Clone)]
struct FreshCsrf(String);

fn cookies(headers: &HeaderMap) -> impl Iterator<Item = Cookie<'static>> + '_ {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| Cookie::split_parse(v.to_owned()).filter_map(Result::ok))
}

fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    cookies(headers)
        .find(|c| c.name() == name)
        .map(|c| c.value().to_owned())
        .filter(|v| !v.is_empty())
}

fn csrf_of(key: &[u8; 32], seed: &str) -> String {
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(key) else {
        return String::new();
    };
    mac.update(seed.as_bytes());
    hex::encode(&mac.finalize().into_bytes()[..20])
}

fn random_hex() -> String {
    let mut bytes = [0u8; 20];
    // Without randomness the cookie is empty and every post is refused.
    if getrandom::fill(&mut bytes).is_err() {
        return String::new();
    }
    hex::encode(bytes)
}

impl FromRequestParts<Pages> for Session {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, pages: &Pages) -> Result<Self, Self::Rejection> {
        let headers = &parts.headers;
        let lang = match cookie_value(headers, LANG_COOKIE).as_deref() {
            Some("en") => Lang::En,
            Some("zh") => Lang::Zh,
            _ => Lang::from_accept_language(
                headers
                    .get(header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok()),
            ),
        };
        let seed = cookie_value(headers, CSRF_COOKIE)
            .or_else(|| parts.extensions.get::<FreshCsrf>().map(|f| f.0.clone()))
            .unwrap_or_default();
        let csrf = if seed.is_empty() {
            String::new()
        } else {
            csrf_of(&pages.csrf_key, &seed)
        };
        Ok(Session {
            token: cookie_value(headers, SESSION_COOKIE),
            lang,
            csrf,
            peer: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|c| c.0),
            path: parts
                .uri
                .path_and_query()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_else(|| "/".into()),
        })
    }
}

impl Session {
    /// Refuse a post whose CSRF token is not this browser's.
    pub fn check_csrf(&self, given: Option<&str>) -> Result<(), PageError> {
        use subtle_eq::eq;
        match given {
            Some(given) if !self.csrf.is_empty() && eq(given, &self.csrf) => Ok(()),
            _ => Err(PageError::Csrf),
        }
    }

    /// Whether someone is signed in.
    pub fn signed_in(&self) -> bool {
        self.token.is_some()
    }
}

/// A comparison whose time does not depend on where two strings differ.
mod subtle_eq {
    use subtle::ConstantTimeEq as _;

    pub fn eq(a: &str, b: &str) -> bool {
        a.as_bytes().ct_eq(b.as_bytes()).into()
    }
}

/// Give a browser that has none its CSRF cookie (every page sets it once).
pub async fn ensure_csrf_cookie(
    State(pages): State<Pages>,
    mut request: Request,
    next: Next,
) -> Response {
    let fresh = cookie_value(request.headers(), CSRF_COOKIE)
        .is_none()
        .then(random_hex);
    if let Some(seed) = &fresh {
        request.extensions_mut().insert(FreshCsrf(seed.clone()));
    }
    let mut response = next.run(request).await;
    if let Some(seed) = fresh {
        let cookie = build_cookie(&pages, CSRF_COOKIE, seed, None);
        if let Ok(value) = HeaderValue::from_str(&cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

fn build_cookie(pages: &Pages, name: &'static str, value: String, max_age: Option<i64>) -> String {
    let mut cookie = Cookie::build((name, value))
        .path("/")
        .http_only(true)
        .same_site(SameSite::Strict)
        .secure(pages.settings.secure_cookies);
    if let Some(secs) = max_age {
        cookie = cookie.max_age(cookie::time::Duration::seconds(secs));
    }
    cookie.build().to_string()
}

/// A response that also sets a cookie.
fn with_cookie(mut response: Response, cookie: String) -> Response {
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(header::SET_COOKIE, value);
    }
    response
}

/// Only a path on this site is a place to come back to.
fn local_path(next: Option<&str>) -> String {
    match next {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.contains('\\') => p.to_owned(),
        _ => "/".into(),
    }
}

/// What the sign-in page was asked.
#[derive(Debug, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
}

/// `GET /login`: sign in with a token, or as anyone the development
/// issuer vouches for.
pub async fn login_page(
    State(pages): State<Pages>,
    session: Session,
    Query(q): Query<LoginQuery>,
) -> Result<Response, PageError> {
    let departments = departments(&pages, &session).await;
    pages.views.page(
        "login.html",
        &session,
        json!({
            "next": local_path(q.next.as_deref()),
            "dev_issuer": pages.dev_issuer.is_some(),
            "departments": departments,
        }),
    )
}

/// The departments of the bundles served (for the development issuer's
/// officer sign-in).
async fn departments(pages: &Pages, session: &Session) -> Vec<String> {
    let answer = pages.api.get(session, "/api/bundles").await;
    let mut all: Vec<String> = answer.json["bundles"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|b| b["departments"].as_array().cloned().unwrap_or_default())
        .filter_map(|d| d.as_str().map(str::to_owned))
        .collect();
    all.sort();
    all.dedup();
    all
}

/// A sign-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    csrf: Option<String>,
    /// `token`, `applicant` or `officer`.
    how: String,
    token: Option<String>,
    name: Option<String>,
    id_number: Option<String>,
    department: Option<String>,
    next: Option<String>,
}

/// `POST /login`: check the token with the API, then keep it.
pub async fn login_post(
    State(pages): State<Pages>,
    session: Session,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    session.check_csrf(form.csrf.as_deref())?;
    let trimmed = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_owned)
    };
    let token = match form.how.as_str() {
        "token" => trimmed(&form.token).ok_or_else(|| {
            PageError::Invalid(crate::text::of(session.lang, "login_no_token").into())
        })?,
        "applicant" | "officer" => {
            let issuer = pages.dev_issuer.as_ref().ok_or_else(|| {
                PageError::Invalid(crate::text::of(session.lang, "login_no_dev_issuer").into())
            })?;
            let name = trimmed(&form.name);
            let (subject, id_number, department) = if form.how == "applicant" {
                let id = trimmed(&form.id_number).ok_or_else(|| {
                    PageError::Invalid(crate::text::of(session.lang, "login_no_id_number").into())
                })?;
                (format!("person-{id}"), Some(id), None)
            } else {
                let d = trimmed(&form.department).ok_or_else(|| {
                    PageError::Invalid(crate::text::of(session.lang, "login_no_department").into())
                })?;
                let who = name.clone().unwrap_or_else(|| "officer".into());
                (format!("officer-{d}-{who}"), None, Some(d))
            };
            issuer
                .mint(
                    &TokenClaims {
                        subject,
                        id_number,
                        name,
                        department,
                    },
                    Duration::from_secs(pages.settings.session_secs),
                )
                .map_err(|e| PageError::Invalid(e.to_string()))?
        }
        other => return Err(PageError::Invalid(format!("no way to sign in {other:?}"))),
    };
    let probe = Session {
        token: Some(token.clone()),
        ..session.clone()
    };
    let me = pages.api.get(&probe, "/api/me").await;
    if !me.ok() {
        return Err(PageError::Refused {
            status: StatusCode::UNAUTHORIZED,
            title: crate::text::of(session.lang, "login_refused").into(),
            detail: me.detail(),
        });
    }
    let lasts = me.json["expires_at"]
        .as_i64()
        .map(|at| at - chrono::Utc::now().timestamp())
        .filter(|secs| *secs > 0)
        .unwrap_or(pages.settings.session_secs as i64);
    let next = match (form.next.as_deref(), me.json["kind"].as_str()) {
        (Some(n), _) if n != "/" && n != "/login" => local_path(Some(n)),
        (_, Some("applicant")) | (_, None) => "/".into(),
        _ => "/console".into(),
    };
    Ok(with_cookie(
        Redirect::to(&next).into_response(),
        build_cookie(&pages, SESSION_COOKIE, token, Some(lasts)),
    ))
}

/// A post with only its CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    csrf: Option<String>,
}

/// `POST /logout`: forget the token.
pub async fn logout(
    State(pages): State<Pages>,
    session: Session,
    Form(form): Form<CsrfOnly>,
) -> Result<Response, PageError> {
    session.check_csrf(form.csrf.as_deref())?;
    Ok(with_cookie(
        Redirect::to("/").into_response(),
        build_cookie(&pages, SESSION_COOKIE, String::new(), Some(0)),
    ))
}

/// Where to go back to after switching the language.
#[derive(Debug, Deserialize)]
pub struct Back {
    back: Option<String>,
}

/// `GET /lang/{zh|en}`: show the pages in that language from now on.
pub async fn switch_lang(
    State(pages): State<Pages>,
    Path(lang): Path<String>,
    Query(q): Query<Back>,
) -> Result<Response, PageError> {
    let lang = match lang.as_str() {
        "zh" | "en" => lang,
        other => {
            return Err(PageError::NotFound(format!(
                "no language {other:?}: the pages are in zh and en"
            )));
        }
    };
    Ok(with_cookie(
        Redirect::to(&local_path(q.back.as_deref())).into_response(),
        build_cookie(&pages, LANG_COOKIE, lang, Some(365 * 24 * 3600)),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csrf_tokens_depend_on_the_key_and_the_seed() {
        let a = csrf_of(&[1; 32], "seed");
        assert_eq!(a, csrf_of(&[1; 32], "seed"));
        assert_ne!(a, csrf_of(&[2; 32], "seed"));
        assert_ne!(a, csrf_of(&[1; 32], "other"));
        assert_eq!(a.len(), 40);
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path(Some("/bundles/newborn")), "/bundles/newborn");
        assert_eq!(local_path(Some("//evil.example/")), "/");
        assert_eq!(local_path(Some("https://evil.example/")), "/");
        assert_eq!(local_path(Some("/\\evil")), "/");
        assert_eq!(local_path(None), "/");
    }

    #[test]
    fn equal_tokens_compare_equal_and_others_do_not() {
        assert!(subtle_eq::eq("abc", "abc"));
        assert!(!subtle_eq::eq("abc", "abd"));
        assert!(!subtle_eq::eq("abc", "abcd"));
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; onething_lang=en; onething_session=tok"),
        );
        assert_eq!(cookie_value(&headers, LANG_COOKIE).as_deref(), Some("en"));
        assert_eq!(
            cookie_value(&headers, SESSION_COOKIE).as_deref(),
            Some("tok")
        );
        assert_eq!(cookie_value(&headers, CSRF_COOKIE), None);
    }
}
