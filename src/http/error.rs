//! The console API's typed errors and their one mapping to HTTP statuses.
//!
//! Failures that come from the broker carry the Kafka error code the Kafka API would have
//! answered (through [`crate::error::BrokerError::code`] or the handler's response), so the
//! page shows the broker's own message and code name. The JSON body is always
//! `{"error": message, "code": i16|null, "error_name": string|null}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use kalfka_protocol::error_code::ErrorCode;

use crate::error::BrokerError;

/// Why a console API request failed.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// The broker is not attached yet (still starting).
    #[error("the broker is starting")]
    Starting,
    /// The request is malformed (bad JSON, bad query parameter).
    #[error("{0}")]
    BadRequest(String),
    /// The topic, group or partition does not exist.
    #[error("{0}")]
    NotFound(String),
    /// The broker refused, with the Kafka error code its Kafka API answers.
    #[error("{message}")]
    Kafka {
        /// The Kafka error code.
        code: ErrorCode,
        /// The broker's message (or the code's name when it gave none).
        message: String,
    },
    /// A task failed inside the endpoint.
    #[error("{0}")]
    Internal(String),
}

impl ApiError {
    /// `Ok` for a zero `code`, else the Kafka error with `message` (or the code's name).
    pub fn check(code: i16, message: Option<String>, what: &str) -> Result<(), ApiError> {
        if code == 0 {
            return Ok(());
        }
        let code = ErrorCode::from_code(code).unwrap_or(ErrorCode::UnknownServerError);
        let detail = message
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| code.name().to_string());
        Err(ApiError::Kafka {
            code,
            message: format!("{what}: {detail}"),
        })
    }

    fn status(&self) -> StatusCode {
        match self {
            ApiError::Starting => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::Kafka { code, .. } => match code {
                ErrorCode::UnknownTopicOrPartition
                | ErrorCode::GroupIdNotFound
                | ErrorCode::TransactionalIdNotFound => StatusCode::NOT_FOUND,
                ErrorCode::TopicAlreadyExists | ErrorCode::NonEmptyGroup => StatusCode::CONFLICT,
                c if c.is_retriable() => StatusCode::SERVICE_UNAVAILABLE,
                _ => StatusCode::BAD_REQUEST,
            },
        }
    }
}

impl From<BrokerError> for ApiError {
    fn from(e: BrokerError) -> Self {
        match e {
            BrokerError::UnknownTopicOrPartition => {
                ApiError::NotFound("unknown topic or partition".into())
            }
            e => ApiError::Kafka {
                code: e.code(),
                message: e.to_string(),
            },
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (code, name) = match &self {
            ApiError::Kafka { code, .. } => (Some(code.code()), Some(code.name())),
            _ => (None, None),
        };
        let body = serde_json::json!({
            "error": self.to_string(),
            "code": code,
            "error_name": name,
        });
        (self.status(), Json(body)).into_response()
    }
}

/// Decodes a JSON request body.
pub fn parse_body<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_json::from_slice(body).map_err(|e| ApiError::BadRequest(format!("request body: {e}")))
}
