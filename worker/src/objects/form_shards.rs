//! `FormStore` as one of several ingest objects of a form (`shards` > 1): shard 0, the form's
//! own object, keeps the settings and endpoint list and copies them to the others whenever the
//! admin API changes them; every shard stores its own submissions and hands them to the
//! endpoints past its own marks.

use futures_util::future::join_all;

use super::{FormStore, SCHEMA};
use crate::error::ApiResult;
use crate::protocol::{Done, RecoverForm, TakeShard};
use crate::rpc;

impl FormStore {
    /// Shard 0: copies the settings and endpoint ids to shards `1..shards`.
    pub(super) async fn sync_shards(&self) -> ApiResult<Done> {
        let (settings, endpoint_ids) = self.cached()?;
        let calls = (1..settings.shards).map(|shard| {
            let call = TakeShard {
                settings: settings.clone(),
                endpoint_ids: endpoint_ids.clone(),
            };
            async move {
                let stub = rpc::form_shard(&self.env, &call.settings.id, shard)?;
                self.db.work().object_call();
                rpc::call(&stub, &call).await
            }
        });
        for result in join_all(calls).await {
            result?;
        }
        Ok(Done {})
    }

    /// Shard 0 after a restart: the other shards re-arm their pending hand-offs too (best
    /// effort; each also re-arms on its next submission).
    pub(super) async fn recover_shards(&self) {
        let Ok((settings, _)) = self.cached() else {
            return;
        };
        // Only shard 0 (the object named by the form id itself) asks the others.
        let own = self.state.id().to_string();
        let is_first = self.env.durable_object("FORMS").is_ok_and(|ns| {
            ns.id_from_name(&settings.id)
                .is_ok_and(|id| id.to_string() == own)
        });
        if !is_first {
            return;
        }
        let calls = (1..settings.shards).map(|shard| {
            let form_id = settings.id.clone();
            async move {
                let stub = rpc::form_shard(&self.env, &form_id, shard)?;
                rpc::call(&stub, &RecoverForm {}).await
            }
        });
        for result in join_all(calls).await {
            if let Err(err) = result {
                crate::objects::log_failure("form_store", "recover_shard", &err);
            }
        }
    }

    /// Shard `k > 0`: takes shard 0's settings and endpoints; a new endpoint gets what arrives
    /// from now on, a removed one loses its mark.
    pub(super) fn take_shard(&self, call: TakeShard) -> ApiResult<Done> {
        self.db.ensure(&SCHEMA)?;
        self.cache.borrow_mut().take();
        self.db.save_settings(&call.settings)?;
        self.db.exec("DELETE FROM endpoints", vec![])?;
        for id in &call.endpoint_ids {
            self.db.exec(
                "INSERT OR IGNORE INTO endpoints(id) VALUES (?)",
                vec![id.as_str().into()],
            )?;
        }
        for (id, _) in self.marks()? {
            if !call.endpoint_ids.contains(&id) {
                self.forget_mark(&id)?;
            }
        }
        self.ensure_marks(&call.endpoint_ids)?;
        Ok(Done {})
    }
}
