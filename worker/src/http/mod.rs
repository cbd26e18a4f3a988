//! The worker's HTTP faces: form ingest, the admin API, file links, and the pages it renders
//! itself.

pub mod admin;
pub mod body;
pub mod export;
pub mod files;
pub mod ingest;
pub mod pages;
pub mod shards;
pub mod work;
