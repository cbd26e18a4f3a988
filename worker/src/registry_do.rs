//! `Registry`: a single Durable Object listing every form id, so forms can be listed and, after a
//! restart, every form (and through it every endpoint) can be asked to re-arm pending work.

use serde::Deserialize;
use serde_json::json;
use worker::{durable_object, DurableObject, Env, Method, Request, Response, Result, State};

use crate::util::{finish, json_response, read_json, ApiError, ApiResult};

#[durable_object]
pub struct Registry {
    state: State,
    _env: Env,
}

#[derive(Deserialize)]
struct FormRow {
    id: String,
}

impl DurableObject for Registry {
    fn new(state: State, env: Env) -> Self {
        let _ = state.storage().sql().exec(
            "CREATE TABLE IF NOT EXISTS forms(id TEXT PRIMARY KEY, created_ms INTEGER NOT NULL)",
            None,
        );
        Self { state, _env: env }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let path = req.path();
        let result = match (req.method(), path.as_str()) {
            (Method::Post, "/claim") => self.claim(&mut req).await,
            (Method::Post, "/release") => self.release(&mut req).await,
            (Method::Get, "/forms") => self.list(),
            _ => Err(ApiError::new(404, "not_found", "no such route")),
        };
        finish(result)
    }
}

impl Registry {
    /// Reserves a form id; `409 form_exists` if taken.
    async fn claim(&self, req: &mut Request) -> ApiResult {
        let body = read_json(req).await?;
        let id = body["id"].as_str().unwrap_or_default();
        let created = body["created_ms"].as_i64().unwrap_or(0);
        let sql = self.state.storage().sql();
        let existing: Vec<FormRow> = sql
            .exec("SELECT id FROM forms WHERE id = ?", vec![id.into()])?
            .to_array()?;
        if !existing.is_empty() {
            return Err(ApiError::new(
                409,
                "form_exists",
                "a form with this id already exists",
            ));
        }
        sql.exec(
            "INSERT INTO forms(id, created_ms) VALUES (?, ?)",
            vec![id.into(), created.into()],
        )?;
        Ok(json_response(201, &json!({"ok": true}))?)
    }

    async fn release(&self, req: &mut Request) -> ApiResult {
        let body = read_json(req).await?;
        let id = body["id"].as_str().unwrap_or_default();
        self.state
            .storage()
            .sql()
            .exec("DELETE FROM forms WHERE id = ?", vec![id.into()])?;
        Ok(json_response(200, &json!({"ok": true}))?)
    }

    fn list(&self) -> ApiResult {
        let rows: Vec<FormRow> = self
            .state
            .storage()
            .sql()
            .exec("SELECT id FROM forms ORDER BY created_ms, id", None)?
            .to_array()?;
        let ids: Vec<String> = rows.into_iter().map(|r| r.id).collect();
        Ok(json_response(200, &json!(ids))?)
    }
}
