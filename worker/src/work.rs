//! Counting the billable work of one object instance: requests (fetches and alarm runs, as
//! Cloudflare bills them), SQL rows read and written (from each cursor's `rowsRead` /
//! `rowsWritten`), alarms set (each billed as a row written), calls to other objects and
//! deliveries sent. In memory only: a restart starts from zero, which is fine for what reads
//! them, the benchmark (`GET /api/forms/{form_id}/work`, which reads before and after a run and
//! takes the difference).

use std::cell::Cell;

use serde::{Deserialize, Serialize};

/// What one object (or a sum of objects) did since its instance started.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, schemars::JsonSchema,
)]
pub struct WorkCounts {
    /// Requests to the object: fetches and alarm runs (reading these counters is not counted).
    pub requests: u64,
    /// SQL rows read.
    pub rows_read: u64,
    /// SQL rows written (indexes included, as SQLite reports them).
    pub rows_written: u64,
    /// Alarms set (Cloudflare bills each as one row written).
    pub alarms_set: u64,
    /// Calls made to other objects (each one of their requests).
    pub object_calls: u64,
    /// Webhook attempts sent.
    pub deliveries_sent: u64,
}

impl WorkCounts {
    /// The sum of two counts.
    pub fn plus(self, other: Self) -> Self {
        Self {
            requests: self.requests + other.requests,
            rows_read: self.rows_read + other.rows_read,
            rows_written: self.rows_written + other.rows_written,
            alarms_set: self.alarms_set + other.alarms_set,
            object_calls: self.object_calls + other.object_calls,
            deliveries_sent: self.deliveries_sent + other.deliveries_sent,
        }
    }
}

/// `GET /api/forms/{form_id}/work`: the form's object and each endpoint's, and their sum.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct WorkView {
    /// The form's object.
    pub form: WorkCounts,
    /// Each endpoint's object, by endpoint id.
    pub endpoints: Vec<EndpointWork>,
    /// The form's other ingest objects (shards 1, 2, …; empty unless `shards` > 1).
    pub shards: Vec<WorkCounts>,
    /// Everything above added up.
    pub total: WorkCounts,
}

/// One endpoint's counters.
#[derive(Debug, Serialize, Deserialize, schemars::JsonSchema)]
pub struct EndpointWork {
    /// `ep_…`.
    pub id: String,
    /// Its object's counters.
    pub work: WorkCounts,
}

/// An object's running counts.
#[derive(Default)]
pub struct Work(Cell<WorkCounts>);

impl Work {
    fn add(&self, change: impl FnOnce(&mut WorkCounts)) {
        let mut counts = self.0.get();
        change(&mut counts);
        self.0.set(counts);
    }

    /// One request (a fetch or an alarm run).
    pub fn request(&self) {
        self.add(|c| c.requests += 1);
    }

    /// The rows a finished SQL cursor read and wrote.
    pub fn rows(&self, read: usize, written: usize) {
        self.add(|c| {
            c.rows_read += read as u64;
            c.rows_written += written as u64;
        });
    }

    /// One alarm set.
    pub fn alarm_set(&self) {
        self.add(|c| c.alarms_set += 1);
    }

    /// One call to another object.
    pub fn object_call(&self) {
        self.add(|c| c.object_calls += 1);
    }

    /// One webhook attempt sent.
    pub fn delivery_sent(&self) {
        self.add(|c| c.deliveries_sent += 1);
    }

    /// The counts so far.
    pub fn counts(&self) -> WorkCounts {
        self.0.get()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_add_up() {
        let work = Work::default();
        work.request();
        work.rows(3, 2);
        work.rows(1, 0);
        work.alarm_set();
        work.object_call();
        work.delivery_sent();
        let counts = work.counts();
        assert_eq!(
            counts,
            WorkCounts {
                requests: 1,
                rows_read: 4,
                rows_written: 2,
                alarms_set: 1,
                object_calls: 1,
                deliveries_sent: 1,
            }
        );
        assert_eq!(counts.plus(counts).rows_read, 8);
    }
}
