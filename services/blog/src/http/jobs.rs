//! The Blog's background job: publishing a post at the time its author chose
//! (`blog.publish`, enqueued by `POST /v1/blog/posts/{id}/publish {at}`). Idempotent: a post
//! published already is left as it is, so a run repeated after a worker's crash changes nothing.

use async_trait::async_trait;
use chrono::Utc;
use plinth_domain_core::{Actor, CommandMetadata};
use plinth_infra_event_store::CommandError;
use plinth_infra_module::{JobError, JobHandler, JobRun, Jobs};
use uuid::Uuid;

use super::Blog;
use crate::domain::{PostCommand, PostError};
use crate::job_kinds::PUBLISH;

/// The Blog's jobs.
pub(crate) fn jobs(blog: Blog) -> Jobs {
    Jobs::default().handler(PUBLISH, std::sync::Arc::new(Publish(blog)))
}

struct Publish(Blog);

#[async_trait]
impl JobHandler for Publish {
    async fn run(&self, job: &JobRun) -> Result<(), JobError> {
        let post = job
            .payload
            .get("post_id")
            .and_then(|id| id.as_str())
            .and_then(|id| Uuid::try_parse(id).ok())
            .ok_or_else(|| JobError::Fail(format!("{PUBLISH} needs a post_id")))?;
        let command = PostCommand::Publish {
            tenant_id: job.tenant.clone(),
            at: Utc::now(),
        };
        let metadata = CommandMetadata::new(
            job.tenant.clone(),
            Actor::Service("blog scheduled publishing".into()),
            job.job_id,
        );
        match self
            .0
            .posts
            .execute(&post.to_string(), command, &metadata)
            .await
        {
            Ok(_) | Err(CommandError::Rejected(PostError::AlreadyPublished)) => Ok(()),
            Err(CommandError::Rejected(PostError::NotFound)) => {
                Err(JobError::Fail(format!("post {post} is gone")))
            }
            Err(e) => Err(JobError::Retry(e.to_string())),
        }
    }
}
