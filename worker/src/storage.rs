//! A small typed layer over an object's SQLite storage: statements that return rows as types,
//! schemas created once per instance, settings as one JSON value.

use std::cell::Cell;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::{SqlStorage, SqlStorageValue};

use crate::error::{ApiError, ApiResult};

/// An object's database.
pub struct Db {
    sql: SqlStorage,
    ready: Cell<bool>,
}

#[derive(Deserialize)]
struct SettingsRow {
    value: String,
}

#[derive(Deserialize)]
struct CountRow {
    n: i64,
}

impl Db {
    /// The object's database; nothing is created yet.
    pub fn new(sql: SqlStorage) -> Self {
        Self {
            sql,
            ready: Cell::new(false),
        }
    }

    /// Runs a statement.
    pub fn exec(&self, query: &str, bindings: Vec<SqlStorageValue>) -> ApiResult<()> {
        self.sql.exec(query, bindings)?;
        Ok(())
    }

    /// Runs a query and reads every row as `T`.
    pub fn rows<T: DeserializeOwned>(
        &self,
        query: &str,
        bindings: Vec<SqlStorageValue>,
    ) -> ApiResult<Vec<T>> {
        Ok(self.sql.exec(query, bindings)?.to_array()?)
    }

    /// The first row, if any.
    pub fn row<T: DeserializeOwned>(
        &self,
        query: &str,
        bindings: Vec<SqlStorageValue>,
    ) -> ApiResult<Option<T>> {
        Ok(self.rows(query, bindings)?.into_iter().next())
    }

    /// `SELECT COUNT(*) AS n …`.
    pub fn count(&self, query: &str, bindings: Vec<SqlStorageValue>) -> ApiResult<u64> {
        Ok(self
            .row::<CountRow>(query, bindings)?
            .map_or(0, |r| u64::try_from(r.n).unwrap_or(0)))
    }

    /// Creates the tables (`CREATE … IF NOT EXISTS`) once per instance; a failure is an error,
    /// and the next request tries again.
    pub fn ensure(&self, ddl: &[&str]) -> ApiResult<()> {
        if self.ready.get() {
            return Ok(());
        }
        for statement in ddl {
            self.sql.exec(statement, None)?;
        }
        self.ready.set(true);
        Ok(())
    }

    /// The object's settings (JSON in its `kv` table); `None` when absent, including when the
    /// table was never created (an object nobody initialised, or one deleted).
    pub fn load_settings<T: DeserializeOwned>(&self) -> ApiResult<Option<T>> {
        let rows = match self
            .sql
            .exec("SELECT value FROM kv WHERE key = 'config'", None)
        {
            Ok(cursor) => cursor.to_array::<SettingsRow>()?,
            Err(err) if err.to_string().contains("no such table") => return Ok(None),
            Err(err) => return Err(err.into()),
        };
        rows.into_iter()
            .next()
            .map(|row| serde_json::from_str(&row.value).map_err(ApiError::internal))
            .transpose()
    }

    /// Writes the object's settings (see [`Db::load_settings`]).
    pub fn save_settings<T: Serialize>(&self, settings: &T) -> ApiResult<()> {
        let text = serde_json::to_string(settings).map_err(ApiError::internal)?;
        self.exec(
            "INSERT INTO kv(key, value) VALUES ('config', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            vec![text.into()],
        )
    }

    /// Forgets that the tables exist (after `deleteAll`).
    pub fn reset(&self) {
        self.ready.set(false);
    }
}

/// `i64` for a SQL binding from a `u64` time or count (saturating).
pub fn int(value: u64) -> SqlStorageValue {
    i64::try_from(value).unwrap_or(i64::MAX).into()
}

/// The DDL of the settings table every object has.
pub const KV_TABLE: &str =
    "CREATE TABLE IF NOT EXISTS kv(key TEXT PRIMARY KEY, value TEXT NOT NULL)";
