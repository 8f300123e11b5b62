//! The templates (minijinja, HTML autoescaped), embedded in the binary,
//! and what every page is given: the person signed in, the language and
//! its texts (`t`), the CSRF token, the path.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::Environment;
use percent_encoding::{NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};

use crate::Pages;
use crate::problem::PageError;
use crate::session::Session;

/// Every template, by name.
pub const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../templates/base.html")),
    ("macros.html", include_str!("../templates/macros.html")),
    ("start.html", include_str!("../templates/start.html")),
    ("form.html", include_str!("../templates/form.html")),
    ("progress.html", include_str!("../templates/progress.html")),
    ("flows.html", include_str!("../templates/flows.html")),
    ("login.html", include_str!("../templates/login.html")),
    (
        "console/base.html",
        include_str!("../templates/console/base.html"),
    ),
    (
        "console/home.html",
        include_str!("../templates/console/home.html"),
    ),
    (
        "console/applications.html",
        include_str!("../templates/console/applications.html"),
    ),
    (
        "console/application.html",
        include_str!("../templates/console/application.html"),
    ),
    (
        "console/queue.html",
        include_str!("../templates/console/queue.html"),
    ),
    (
        "console/resolve.html",
        include_str!("../templates/console/resolve.html"),
    ),
    (
        "console/overdue.html",
        include_str!("../templates/console/overdue.html"),
    ),
    (
        "console/plugins.html",
        include_str!("../templates/console/plugins.html"),
    ),
    (
        "console/plugin.html",
        include_str!("../templates/console/plugin.html"),
    ),
    (
        "console/bundles.html",
        include_str!("../templates/console/bundles.html"),
    ),
    (
        "console/bundle.html",
        include_str!("../templates/console/bundle.html"),
    ),
    (
        "console/dictionary.html",
        include_str!("../templates/console/dictionary.html"),
    ),
    (
        "console/grants.html",
        include_str!("../templates/console/grants.html"),
    ),
    (
        "console/changes.html",
        include_str!("../templates/console/changes.html"),
    ),
    (
        "console/audit.html",
        include_str!("../templates/console/audit.html"),
    ),
    (
        "console/upload.html",
        include_str!("../templates/console/upload.html"),
    ),
    (
        "console/systems.html",
        include_str!("../templates/console/systems.html"),
    ),
];

/// A template that does not parse (a bug, found by the unit tests).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ViewError(pub String);

/// The templates, parsed.
pub struct Views {
    env: Environment<'static>,
}

/// `s` made safe for a URL's path segment or query value.
pub fn url_encode(s: &str) -> String {
    utf8_percent_encode(s, NON_ALPHANUMERIC).to_string()
}

/// A time in ms since the epoch, as the pages show it (UTC).
fn when(ms: minijinja::Value) -> String {
    i64::try_from(ms)
        .ok()
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.format("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_default()
}

impl Views {
    /// Parse every template.
    pub fn load() -> Result<Self, ViewError> {
        let mut env = Environment::new();
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        for (name, source) in TEMPLATES {
            env.add_template(name, source)
                .map_err(|e| ViewError(format!("template {name}: {e}")))?;
        }
        env.add_filter("when", when);
        env.add_filter("pathpart", |s: String| url_encode(&s));
        env.add_filter("json", |v: minijinja::Value| {
            serde_json::to_string(&v).unwrap_or_default()
        });
        Ok(Self { env })
    }

    /// Render `name` with `context`.
    pub fn render(&self, name: &str, context: &Value) -> Result<String, PageError> {
        self.env
            .get_template(name)
            .and_then(|t| t.render(context))
            .map_err(|e| PageError::Render(format!("{name}: {e:#}")))
    }

    /// A whole page: `context` plus what every page is given.
    pub fn page(
        &self,
        name: &str,
        session: &Session,
        context: Value,
    ) -> Result<Response, PageError> {
        self.page_as(name, session, &Value::Null, context)
    }

    /// A whole page for the person `me` (`GET /api/me`).
    pub fn page_as(
        &self,
        name: &str,
        session: &Session,
        me: &Value,
        mut context: Value,
    ) -> Result<Response, PageError> {
        if let Value::Object(map) = &mut context {
            map.insert("t".into(), json!(crate::text::table(session.lang)));
            let short = match session.lang {
                onething_model::text::Lang::Zh => "zh",
                onething_model::text::Lang::En => "en",
            };
            map.insert("lang".into(), json!(short));
            map.insert("lang_tag".into(), json!(session.lang.tag()));
            map.insert("csrf".into(), json!(session.csrf));
            map.insert("path".into(), json!(session.path));
            map.insert("path_encoded".into(), json!(url_encode(&session.path)));
            map.insert("signed_in".into(), json!(session.signed_in()));
            let me = if me.is_object() {
                me.clone()
            } else {
                json!({})
            };
            map.insert("me".into(), me);
        }
        let html = self.render(name, &context)?;
        let mut response = html.into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        response.headers_mut().insert(
            header::CONTENT_LANGUAGE,
            HeaderValue::from_static(session.lang.tag()),
        );
        Ok(response)
    }
}

impl Pages {
    /// Who is signed in, as the API says (`null` when no one, or the
    /// token no longer holds).
    pub async fn me(&self, session: &Session) -> Value {
        if !session.signed_in() {
            return Value::Null;
        }
        let answer = self.api.get(session, "/api/me").await;
        if answer.ok() {
            answer.json
        } else {
            Value::Null
        }
    }

    /// A page for whoever is signed in.
    pub async fn page(
        &self,
        name: &str,
        session: &Session,
        context: Value,
    ) -> Result<Response, PageError> {
        let me = self.me(session).await;
        self.views.page_as(name, session, &me, context)
    }
}

/// The page of an error, in both languages (an error may come before the
/// language is known).
pub fn error_page(status: StatusCode, detail: &str) -> String {
    let escape = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    format!(
        "<!doctype html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>{code} · 一网通办 OneThing</title><link rel=\"stylesheet\" href=\"/assets/onething.css\"></head>\n<body><main id=\"main\" class=\"narrow\"><h1>出错了 <span lang=\"en\">Something went wrong</span></h1><p class=\"status\">{code}</p><p class=\"detail\">{detail}</p><p><a href=\"/\">返回首页 <span lang=\"en\">Back to the start page</span></a></p></main></body></html>\n",
        code = escape(&status.to_string()),
        detail = escape(detail),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_file_is_embedded() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut files = Vec::new();
        for dir in [root.clone(), root.join("console")] {
            for entry in std::fs::read_dir(&dir).expect("templates dir") {
                let path = entry.expect("entry").path();
                if path.extension().is_some_and(|e| e == "html") {
                    let name = path
                        .strip_prefix(&root)
                        .expect("inside")
                        .to_string_lossy()
                        .into_owned();
                    files.push(name);
                }
            }
        }
        for name in &files {
            assert!(
                TEMPLATES.iter().any(|(n, _)| n == name),
                "templates/{name} is not in TEMPLATES"
            );
        }
        assert_eq!(files.len(), TEMPLATES.len());
    }

    #[test]
    fn every_template_parses() {
        Views::load().expect("templates");
    }

    #[test]
    fn values_are_escaped() {
        let views = Views::load().expect("templates");
        let session = Session {
            token: None,
            lang: onething_model::text::Lang::En,
            csrf: "c".into(),
            peer: None,
            path: "/".into(),
        };
        let page = views
            .page(
                "start.html",
                &session,
                json!({"bundles": [{"id": "x", "title": "<script>alert(1)</script>", "departments": [], "steps": []}], "themes": []}),
            )
            .expect("page");
        let bytes = futures_body(page);
        assert!(!bytes.contains("<script>alert(1)"), "{bytes}");
        assert!(bytes.contains("&lt;script&gt;"), "{bytes}");
    }

    fn futures_body(response: Response) -> String {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
                .await
                .expect("body");
            String::from_utf8(bytes.to_vec()).expect("utf-8")
        })
    }

    #[test]
    fn an_error_page_escapes_its_detail() {
        let page = error_page(StatusCode::BAD_REQUEST, "<b>x</b>");
        assert!(page.contains("&lt;b&gt;x&lt;/b&gt;"));
    }

    #[test]
    fn times_are_shown_in_utc() {
        assert_eq!(when(minijinja::Value::from(0)), "1970-01-01 00:00 UTC");
        assert_eq!(when(minijinja::Value::from("x")), "");
    }
}

#[cfg(test)]
mod console_tests {
    use super::*;

    #[test]
    fn a_version_page_says_what_was_done() {
        let views = Views::load().expect("templates");
        let html = views
            .render(
                "console/grants.html",
                &json!({"t": crate::text::table(onething_model::text::Lang::En), "done": "x.toml: grants 1", "grants": {"grants": []}, "versions": {}, "me": {}}),
            )
            .expect("page");
        assert!(html.contains("id=\"done\""), "{html}");
        assert_eq!(html.matches("id=\"upload-form\"").count(), 1, "{html}");
    }
}
