//! The web console: one HTML page, one script and one stylesheet, compiled into the binary
//! (`include_str!`), so the console works offline with nothing but the broker.
//!
//! Routes: `GET /` (the page) and `GET /console/{file}` (`app.js`, `app.css`). The page is a
//! hand-written script (no framework, no build step, no CDN) that reads and changes the
//! broker only through the JSON API under `/api/v1` (see [`super`]); its views are hash
//! routes (`#/`, `#/topics`, `#/topics/NAME`, `#/groups`, `#/groups/ID`, `#/transactions`).

use axum::extract::Path;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

/// The page.
const INDEX: &str = include_str!("console/index.html");
/// The script.
const APP_JS: &str = include_str!("console/app.js");
/// The stylesheet.
const APP_CSS: &str = include_str!("console/app.css");

/// Every asset by file name, with its content type.
pub const ASSETS: &[(&str, &str, &str)] = &[
    ("index.html", "text/html; charset=utf-8", INDEX),
    ("app.js", "text/javascript; charset=utf-8", APP_JS),
    ("app.css", "text/css; charset=utf-8", APP_CSS),
];

/// `GET /`.
pub async fn index() -> Response {
    serve("index.html")
}

/// `GET /console/{file}`.
pub async fn asset(Path(file): Path<String>) -> Response {
    serve(&file)
}

fn serve(file: &str) -> Response {
    match ASSETS.iter().find(|(name, _, _)| *name == file) {
        Some((_, content_type, body)) => (
            [
                (header::CONTENT_TYPE, *content_type),
                (header::CACHE_CONTROL, "no-cache"),
            ],
            *body,
        )
            .into_response(),
        None => (StatusCode::NOT_FOUND, "no such console file\n").into_response(),
    }
}
