//! A small typed layer over an object's SQLite storage: statements that return rows as types,
//! schemas created once per instance, settings as one JSON value.

use std::cell::Cell;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use worker::{SqlCursor, SqlStorage, SqlStorageValue};

use crate::error::{ApiError, ApiResult};
use crate::work::Work;

/// An object's database.
pub struct Db {
    sql: SqlStorage,
    ready: Cell<bool>,
    /// The object's billable work, counted here for its SQL and by the object for the rest.
    work: Work,
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
            work: Work::default(),
        }
    }

    /// The object's work counters.
    pub fn work(&self) -> &Work {
        &self.work
    }

    /// Adds a finished cursor's rows to the counters (a statement without result rows has done
    /// all its writes when `exec` returns).
    fn counted(&self, cursor: &SqlCursor) {
        self.work.rows(cursor.rows_read(), cursor.rows_written());
    }

    /// Runs a statement.
    pub fn exec(&self, query: &str, bindings: Vec<SqlStorageValue>) -> ApiResult<()> {
        let cursor = self.sql.exec(query, bindings)?;
        self.counted(&cursor);
        Ok(())
    }

    /// Runs a query and reads every row as `T`.
    pub fn rows<T: DeserializeOwned>(
        &self,
        query: &str,
        bindings: Vec<SqlStorageValue>,
    ) -> ApiResult<Vec<T>> {
        let cursor = self.sql.exec(query, bindings)?;
        let rows = cursor.to_array()?;
        self.counted(&cursor);
        Ok(rows)
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
            let cursor = self.sql.exec(statement, None)?;
            self.counted(&cursor);
        }
        self.ready.set(true);
        Ok(())
    }

    /// [`Db::ensure`], then `upgrade` once per instance: it brings tables an older version
    /// created to this version's layout (columns added, indexes chosen by what exists).
    pub fn ensure_upgraded(
        &self,
        ddl: &[&str],
        upgrade: impl FnOnce(&Db) -> ApiResult<()>,
    ) -> ApiResult<()> {
        if self.ready.get() {
            return Ok(());
        }
        for statement in ddl {
            let cursor = self.sql.exec(statement, None)?;
            self.counted(&cursor);
        }
        upgrade(self)?;
        self.ready.set(true);
        Ok(())
    }

    /// The `CREATE` statement SQLite keeps for a table or index, if it exists.
    pub fn definition(&self, name: &str) -> ApiResult<Option<String>> {
        #[derive(Deserialize)]
        struct SqlRow {
            sql: Option<String>,
        }
        Ok(self
            .row::<SqlRow>(
                "SELECT sql FROM sqlite_master WHERE name = ?",
                vec![name.into()],
            )?
            .and_then(|r| r.sql))
    }

    /// The object's settings (JSON in its `kv` table); `None` when absent, including when the
    /// table was never created (an object nobody initialised, or one deleted).
    pub fn load_settings<T: DeserializeOwned>(&self) -> ApiResult<Option<T>> {
        let rows = match self
            .sql
            .exec("SELECT value FROM kv WHERE key = 'config'", None)
        {
            Ok(cursor) => {
                let rows = cursor.to_array::<SettingsRow>()?;
                self.counted(&cursor);
                rows
            }
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
    "CREATE TABLE IF NOT EXISTS kv(key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID";
