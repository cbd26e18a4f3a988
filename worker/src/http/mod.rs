//! The worker's HTTP faces: form ingest, the admin API, and the pages it renders itself.

pub mod admin;
pub mod body;
pub mod export;
pub mod ingest;
pub mod pages;
pub mod shards;
pub mod work;
