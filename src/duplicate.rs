//! Duplicate submissions: the same post arriving twice within a few seconds.
//!
//! A visitor who double-clicks a slow form's submit button sends the form twice: the browser
//! aborts the first request when the second starts, but the first reached the server and was
//! stored. Both would be delivered, with different event ids, so a receiver cannot tell them
//! apart. A post is a duplicate of an earlier one when it comes from the same client, carries
//! the same content (the same fields and the same files, whatever the order of the fields), and
//! arrives within the form's window; the adapter then stores nothing and answers with the first
//! post's result.
//!
//! This module decides: the [`fingerprint`] of a post (what "the same" means) and the window
//! maths ([`is_duplicate`], [`expired`]). Storing fingerprints is the adapter's.

use alloc::string::String;
use alloc::vec::Vec;

use sha2::{Digest, Sha256};

use crate::encoding::hex_encode;
use crate::form::{Fields, FileInfo};

/// The window a new form gets, in seconds: long enough for a slow double-click or a reload
/// that re-posts, short enough that a visitor sending the same message again on purpose a
/// minute later is heard.
pub const DEFAULT_WINDOW_SECONDS: u32 = 10;
/// The longest window a form may set (an hour).
pub const MAX_WINDOW_SECONDS: u32 = 3_600;

/// A post's identity for duplicate detection: SHA-256, lowercase hex, over the client key, the
/// fields (sorted by name; a repeated name's values in the order sent) and the files (field,
/// file name, content type, size and the SHA-256 of their bytes, sorted). Every part is
/// length-prefixed, so no two different posts share an encoding. Call it on the fields as
/// parsed, before anything (a honeypot, a captcha token) is taken out of them: a double-click
/// sends the very same token twice.
#[must_use]
pub fn fingerprint(client: &str, fields: &Fields, files: &[FileInfo]) -> String {
    let mut hash = Sha256::new();
    let mut part = |bytes: &[u8]| {
        hash.update((bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    };
    part(b"formhook duplicate v1");
    part(client.as_bytes());
    let mut names: Vec<(&String, &serde_json::Value)> = fields.iter().collect();
    names.sort_by(|a, b| a.0.cmp(b.0));
    part(&(names.len() as u64).to_le_bytes());
    for (name, value) in names {
        part(name.as_bytes());
        match value {
            serde_json::Value::String(text) => part(text.as_bytes()),
            // Arrays of repeated names and JSON bodies' values: their JSON text, which keeps
            // the order they were sent in.
            other => part(serde_json::to_string(other).unwrap_or_default().as_bytes()),
        }
    }
    let mut sorted: Vec<&FileInfo> = files.iter().collect();
    sorted.sort_by(|a, b| {
        (&a.field, &a.filename, &a.sha256).cmp(&(&b.field, &b.filename, &b.sha256))
    });
    part(&(sorted.len() as u64).to_le_bytes());
    for file in sorted {
        part(file.field.as_bytes());
        part(file.filename.as_bytes());
        part(file.content_type.as_bytes());
        part(&file.size.to_le_bytes());
        part(file.sha256.as_bytes());
    }
    hex_encode(&hash.finalize())
}

/// Whether a post at `now_ms` repeats one first seen at `first_ms` under a window of
/// `window_seconds` (0 turns detection off). A clock that stepped back (`now_ms < first_ms`)
/// reads as no time passed.
#[must_use]
pub const fn is_duplicate(first_ms: u64, now_ms: u64, window_seconds: u32) -> bool {
    window_seconds > 0 && now_ms.saturating_sub(first_ms) < window_ms(window_seconds)
}

/// Whether a fingerprint first seen at `first_ms` can be forgotten at `now_ms` under a window of
/// `window_seconds`: no post can be its duplicate any more.
#[must_use]
pub const fn expired(first_ms: u64, now_ms: u64, window_seconds: u32) -> bool {
    now_ms.saturating_sub(first_ms) >= window_ms(window_seconds)
}

/// When a fingerprint first seen at `first_ms` expires (Unix ms): when to prune it.
#[must_use]
pub const fn expires_at(first_ms: u64, window_seconds: u32) -> u64 {
    first_ms.saturating_add(window_ms(window_seconds))
}

/// Fingerprints first seen at or before this time (Unix ms) can be forgotten at `now_ms`: the
/// bound of one range delete, equivalent to [`expired`] row by row for times up to `now_ms`.
#[must_use]
pub const fn forget_up_to(now_ms: u64, window_seconds: u32) -> u64 {
    now_ms.saturating_sub(window_ms(window_seconds))
}

/// When to forget fingerprints next, given the oldest one kept (first seen at `oldest_ms`):
/// when it expires, but not sooner than half a window (at least a second) from `now_ms`, so
/// that a steady stream of posts is pruned in batches, not once per post. Forgetting late is
/// harmless: [`is_duplicate`] reads the window itself.
#[must_use]
pub const fn next_prune_ms(
    oldest_ms: Option<u64>,
    now_ms: u64,
    window_seconds: u32,
) -> Option<u64> {
    let Some(oldest) = oldest_ms else {
        return None;
    };
    let half = window_ms(window_seconds) / 2;
    let spacing = if half < 1000 { 1000 } else { half };
    let due = expires_at(oldest, window_seconds);
    let earliest = now_ms.saturating_add(spacing);
    Some(if due > earliest { due } else { earliest })
}

const fn window_ms(window_seconds: u32) -> u64 {
    window_seconds as u64 * 1000
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::form::{parse, Limits};
    use alloc::string::ToString;

    const T0: u64 = 1_700_000_000_000;

    fn post(body: &str) -> Fields {
        let form = parse(
            "application/x-www-form-urlencoded",
            body.as_bytes(),
            &Limits::default(),
        );
        form.map(|f| f.fields).unwrap_or_default()
    }

    fn file(field: &str, name: &str, sha: &str) -> FileInfo {
        FileInfo {
            field: field.to_string(),
            filename: name.to_string(),
            content_type: "text/plain".to_string(),
            size: 3,
            sha256: sha.to_string(),
            range: 0..0,
        }
    }

    #[test]
    fn the_range_bound_forgets_exactly_what_expired_forgets() {
        for window in [0, 1, 10, 3600] {
            let bound = forget_up_to(T0, window);
            // Times up to now (a first sighting "in the future", after the clock stepped back, is
            // kept by the range until the clock passes it).
            for first in [T0 - 3_600_001, bound - 1, bound, bound + 1, T0]
                .into_iter()
                .filter(|f| *f <= T0)
            {
                assert_eq!(
                    first <= bound,
                    expired(first, T0, window),
                    "window {window}, first {first}"
                );
            }
        }
    }

    #[test]
    fn pruning_waits_for_the_oldest_and_comes_in_batches() {
        assert_eq!(next_prune_ms(None, T0, 10), None);
        // The oldest expires in 9 s: then.
        assert_eq!(next_prune_ms(Some(T0 - 1_000), T0, 10), Some(T0 + 9_000));
        // It expires in 1 ms: not before half a window.
        assert_eq!(next_prune_ms(Some(T0 - 9_999), T0, 10), Some(T0 + 5_000));
        // Expired already, a 1 s window: one second from now.
        assert_eq!(next_prune_ms(Some(T0 - 60_000), T0, 1), Some(T0 + 1_000));
        assert_eq!(next_prune_ms(Some(T0), T0, 0), Some(T0 + 1_000));
    }

    #[test]
    fn the_same_post_has_the_same_fingerprint_whatever_the_field_order() {
        let a = fingerprint("203.0.113.7", &post("name=Ada&email=a%40x.io"), &[]);
        let b = fingerprint("203.0.113.7", &post("email=a%40x.io&name=Ada"), &[]);
        assert_eq!(a, b);
        assert_eq!(a.len(), 64);
    }

    #[test]
    fn another_client_value_order_or_file_is_another_post() {
        let base = fingerprint("c1", &post("tag=a&tag=b"), &[]);
        assert_ne!(base, fingerprint("c2", &post("tag=a&tag=b"), &[]));
        // Repeated names keep their order: a list in another order is other content.
        assert_ne!(base, fingerprint("c1", &post("tag=b&tag=a"), &[]));
        assert_ne!(base, fingerprint("c1", &post("tag=a&tag=b&x="), &[]));
        let with_file = fingerprint("c1", &post("tag=a&tag=b"), &[file("cv", "a.txt", "11")]);
        assert_ne!(base, with_file);
        let other_bytes = fingerprint("c1", &post("tag=a&tag=b"), &[file("cv", "a.txt", "22")]);
        assert_ne!(with_file, other_bytes);
        let two = [file("a", "1.txt", "11"), file("b", "2.txt", "22")];
        let swapped = [file("b", "2.txt", "22"), file("a", "1.txt", "11")];
        assert_eq!(
            fingerprint("c1", &Fields::new(), &two),
            fingerprint("c1", &Fields::new(), &swapped)
        );
    }

    #[test]
    fn parts_are_length_prefixed() {
        // "ab" + "c" and "a" + "bc" would hash alike if parts were only concatenated.
        assert_ne!(
            fingerprint("ab", &post("c=1"), &[]),
            fingerprint("a", &post("bc=1"), &[])
        );
        assert_ne!(
            fingerprint("c", &post("a=b%3D"), &[]),
            fingerprint("c", &post("a%3Db="), &[])
        );
    }

    #[test]
    fn window_maths() {
        assert!(is_duplicate(T0, T0, 10));
        assert!(is_duplicate(T0, T0 + 9_999, 10));
        assert!(!is_duplicate(T0, T0 + 10_000, 10));
        // Off.
        assert!(!is_duplicate(T0, T0, 0));
        // A clock that stepped back: no time passed.
        assert!(is_duplicate(T0, T0 - 5_000, 10));
        assert!(!expired(T0, T0 + 9_999, 10));
        assert!(expired(T0, T0 + 10_000, 10));
        assert_eq!(expires_at(T0, 10), T0 + 10_000);
        assert_eq!(expires_at(u64::MAX - 1, 10), u64::MAX);
        assert!(!expired(T0, T0 + 3_599_999, MAX_WINDOW_SECONDS));
    }
}
