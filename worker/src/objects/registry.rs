//! `Registry`: a single Durable Object listing every form id, so forms can be listed and, after a
//! restart, every form (and through it every endpoint) can be asked to re-arm pending work.

use serde::Deserialize;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::error::{ApiError, ApiResult};
use crate::objects::finish;
use crate::protocol::{Call, ClaimForm, Done, ListForms, ReleaseForm};
use crate::rpc::{read, reply};
use crate::storage::Db;

const SCHEMA: [&str; 1] =
    ["CREATE TABLE IF NOT EXISTS forms(id TEXT PRIMARY KEY, created_ms INTEGER NOT NULL)"];

#[derive(Deserialize)]
struct FormRow {
    id: String,
}

/// The list of forms.
#[durable_object]
pub struct Registry {
    db: Db,
}

impl DurableObject for Registry {
    fn new(state: State, _env: Env) -> Self {
        Self {
            db: Db::new(state.storage().sql()),
        }
    }

    async fn fetch(&self, mut req: Request) -> Result<Response> {
        let result = self.route(&mut req).await;
        finish("registry", &req, result)
    }
}

impl Registry {
    async fn route(&self, req: &mut Request) -> ApiResult<Response> {
        self.db.ensure(&SCHEMA)?;
        match req.path().as_str() {
            ClaimForm::PATH => reply(self.claim(read(req).await?)),
            ReleaseForm::PATH => reply(self.release(read(req).await?)),
            ListForms::PATH => reply(self.list(read(req).await?)),
            _ => Err(ApiError::no_route()),
        }
    }

    fn claim(&self, call: ClaimForm) -> ApiResult<Done> {
        let taken = self.db.count(
            "SELECT COUNT(*) AS n FROM forms WHERE id = ?",
            vec![call.id.as_str().into()],
        )?;
        if taken > 0 {
            return Err(ApiError::new(
                409,
                "form_exists",
                "a form with this id already exists",
            ));
        }
        self.db.exec(
            "INSERT INTO forms(id, created_ms) VALUES (?, ?)",
            vec![call.id.into(), call.created_ms.into()],
        )?;
        Ok(Done {})
    }

    fn release(&self, call: ReleaseForm) -> ApiResult<Done> {
        self.db
            .exec("DELETE FROM forms WHERE id = ?", vec![call.id.into()])?;
        Ok(Done {})
    }

    fn list(&self, _: ListForms) -> ApiResult<Vec<String>> {
        let rows: Vec<FormRow> = self
            .db
            .rows("SELECT id FROM forms ORDER BY created_ms, id", vec![])?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }
}
