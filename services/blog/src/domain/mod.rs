//! The Blog's domain: the `Post` and `Comment` aggregates and their values. Pure: no I/O.

mod comment;
mod post;
mod values;

pub use comment::{
    Comment, CommentAdded, CommentCommand, CommentDeleted, CommentEdited, CommentError,
    CommentEvent,
};
pub use post::{Post, PostCommand, PostCreated, PostEdited, PostError, PostEvent, PostFact};
pub use values::{Tag, Tags, Text, Title, ValueError};

#[cfg(test)]
mod tests;
