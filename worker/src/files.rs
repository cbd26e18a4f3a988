//! Uploaded files in R2 (binding `FILES`), under one key layout shared by everything that
//! writes or removes them: `{form_id}/{submission_id}/{file_index}`. A submission's files and a
//! form's files are each one prefix, so erasure and retention remove them by listing.

use worker::{Bucket, Env};

use crate::error::ApiResult;

/// The R2 binding that holds uploaded files.
pub const BINDING: &str = "FILES";

/// Keys R2 lists and deletes per call (its limit for both).
const PAGE: u32 = 1000;

/// `{form_id}/{submission_id}/`: every file of one submission.
pub fn submission_prefix(form_id: &str, submission_id: &str) -> String {
    format!("{form_id}/{submission_id}/")
}

/// `{form_id}/`: every file of one form.
pub fn form_prefix(form_id: &str) -> String {
    format!("{form_id}/")
}

/// The files bucket; `None` when the deployment has no `FILES` binding (nothing was stored
/// there, so nothing is to be removed).
pub fn bucket(env: &Env) -> Option<Bucket> {
    env.bucket(BINDING).ok()
}

/// Deletes every object whose key starts with `prefix`, a page at a time; returns how many.
/// Safe to repeat: a crash halfway leaves the rest for the next call.
pub async fn delete_prefix(bucket: &Bucket, prefix: &str) -> ApiResult<u64> {
    let mut deleted = 0;
    loop {
        // Always the first page: what was deleted is no longer listed.
        let page = bucket.list().prefix(prefix).limit(PAGE).execute().await?;
        let keys: Vec<String> = page.objects().iter().map(|o| o.key()).collect();
        if keys.is_empty() {
            return Ok(deleted);
        }
        deleted += keys.len() as u64;
        bucket.delete_multiple(keys).await?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_end_with_a_slash_so_one_id_never_matches_another() {
        assert_eq!(submission_prefix("contact", "sub_1"), "contact/sub_1/");
        assert_eq!(form_prefix("contact"), "contact/");
        assert!(!"contact2/sub_1/0".starts_with(&form_prefix("contact")));
        assert!(!"contact/sub_10/0".starts_with(&submission_prefix("contact", "sub_1")));
    }
}
