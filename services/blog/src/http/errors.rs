//! The Blog's errors as HTTP answers, mapped once.

use plinth_infra_edge::ApiError;
use plinth_infra_event_store::CommandError;

use crate::domain::{CommentError, PostError};

/// A post command's failure.
pub(crate) fn post(e: CommandError<PostError>) -> ApiError {
    match e {
        CommandError::Rejected(PostError::NotFound) => ApiError::NotFound("no such post".into()),
        CommandError::Rejected(e) => ApiError::Conflict(e.to_string()),
        other => store(&other),
    }
}

/// A comment command's failure.
pub(crate) fn comment(e: CommandError<CommentError>) -> ApiError {
    match e {
        CommandError::Rejected(CommentError::NotFound) => {
            ApiError::NotFound("no such comment".into())
        }
        CommandError::Rejected(e) => ApiError::Conflict(e.to_string()),
        other => store(&other),
    }
}

fn store<E: std::error::Error>(e: &CommandError<E>) -> ApiError {
    match e {
        CommandError::Conflict | CommandError::UniqueClaimTaken { .. } => {
            ApiError::Conflict(e.to_string())
        }
        CommandError::Unavailable(_) => ApiError::Unavailable(e.to_string()),
        _ => ApiError::Internal(e.to_string()),
    }
}

/// A read-model failure.
pub(crate) fn read(e: impl std::fmt::Display) -> ApiError {
    ApiError::Unavailable(format!("the blog's read model: {e}"))
}
