//! `Registry`: a single Durable Object listing every form id, so forms can be listed and, after a
//! restart, every form (and through it every endpoint) can be asked to re-arm pending work. It
//! also lists endpoint ids, so public routes refuse an unknown id without reaching (and so
//! creating storage for) an object of that name.

use serde::Deserialize;
use worker::{durable_object, DurableObject, Env, Request, Response, Result, State};

use crate::error::{ApiError, ApiResult};
use crate::objects::finish;
use crate::protocol::{
    Call, ClaimForm, Done, HasForm, IndexEndpoints, ListForms, MayHaveEndpoint, ReleaseForm,
    UnlistEndpoint,
};
use crate::rpc::{read, reply};
use crate::storage::{Db, KV_TABLE};

const SCHEMA: [&str; 3] = [
    "CREATE TABLE IF NOT EXISTS forms(id TEXT PRIMARY KEY, created_ms INTEGER NOT NULL)",
    "CREATE TABLE IF NOT EXISTS endpoints(id TEXT PRIMARY KEY, form_id TEXT NOT NULL) WITHOUT ROWID",
    KV_TABLE,
];
/// Set once every endpoint is listed (endpoints made before the list existed are added by the
/// first recovery sweep).
const ENDPOINTS_COMPLETE: &str = "endpoints_complete";

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
            HasForm::PATH => reply(self.has(read(req).await?)),
            IndexEndpoints::PATH => reply(self.index_endpoints(read(req).await?)),
            UnlistEndpoint::PATH => reply(self.unlist_endpoint(read(req).await?)),
            MayHaveEndpoint::PATH => reply(self.may_have_endpoint(read(req).await?)),
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

    fn has(&self, call: HasForm) -> ApiResult<bool> {
        Ok(self.db.count(
            "SELECT COUNT(*) AS n FROM forms WHERE id = ?",
            vec![call.id.into()],
        )? > 0)
    }

    fn release(&self, call: ReleaseForm) -> ApiResult<Done> {
        self.db.exec(
            "DELETE FROM endpoints WHERE form_id = ?",
            vec![call.id.as_str().into()],
        )?;
        self.db
            .exec("DELETE FROM forms WHERE id = ?", vec![call.id.into()])?;
        Ok(Done {})
    }

    fn index_endpoints(&self, call: IndexEndpoints) -> ApiResult<Done> {
        for entry in call.entries {
            self.db.exec(
                "INSERT OR IGNORE INTO endpoints(id, form_id) VALUES (?, ?)",
                vec![entry.id.into(), entry.form_id.into()],
            )?;
        }
        if call.complete {
            self.db.exec(
                "INSERT OR IGNORE INTO kv(key, value) VALUES (?, '1')",
                vec![ENDPOINTS_COMPLETE.into()],
            )?;
        }
        Ok(Done {})
    }

    fn unlist_endpoint(&self, call: UnlistEndpoint) -> ApiResult<Done> {
        self.db
            .exec("DELETE FROM endpoints WHERE id = ?", vec![call.id.into()])?;
        Ok(Done {})
    }

    fn may_have_endpoint(&self, call: MayHaveEndpoint) -> ApiResult<bool> {
        let listed = self.db.count(
            "SELECT COUNT(*) AS n FROM endpoints WHERE id = ?",
            vec![call.id.into()],
        )? > 0;
        let complete = self.db.count(
            "SELECT COUNT(*) AS n FROM kv WHERE key = ?",
            vec![ENDPOINTS_COMPLETE.into()],
        )? > 0;
        Ok(listed || !complete)
    }

    fn list(&self, _: ListForms) -> ApiResult<Vec<String>> {
        let rows: Vec<FormRow> = self
            .db
            .rows("SELECT id FROM forms ORDER BY created_ms, id", vec![])?;
        Ok(rows.into_iter().map(|r| r.id).collect())
    }
}
