//! A ledger other than persons, read and compared with the records: what the upload page
//! keeps until the commit and what `shequ import` commits, whatever its kind. Each kind is one
//! arm of [`check`]: how it is read, how it is compared, how its report is drawn; the commit is
//! the store's one skeleton (`imports::commit`).

use shequ_store::imports::{self, FileInfo, Kind, Outcome, Progress};
use shequ_store::{Actor, Conn, StoreResult};

use crate::importing::{self, LabelledReading, Report, rows_refused};

/// A ledger read and compared, waiting to be committed.
pub trait Checked: Send + Sync {
    /// What the file holds compared with the records, and what reading refused.
    fn report(&self) -> Report;
    /// Rows refused while reading (they are not in the plan).
    fn refused_on_reading(&self) -> usize;
    fn commit(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        accept: &dyn Fn(usize) -> bool,
        file: &FileInfo,
        progress: &Progress,
    ) -> StoreResult<Outcome>;
}

struct Pair<R, P> {
    reading: R,
    plan: P,
    report: fn(&R, &P) -> Report,
    refused: usize,
}

impl<R: Send + Sync, P: Kind + Send + Sync> Checked for Pair<R, P> {
    fn report(&self) -> Report {
        (self.report)(&self.reading, &self.plan)
    }

    fn refused_on_reading(&self) -> usize {
        self.refused
    }

    fn commit(
        &self,
        conn: &mut Conn,
        actor: &Actor,
        accept: &dyn Fn(usize) -> bool,
        file: &FileInfo,
        progress: &Progress,
    ) -> StoreResult<Outcome> {
        imports::commit(conn, actor, &self.plan, accept, file, progress)
    }
}

fn pair<R: Send + Sync + 'static, P: Kind + Send + Sync + 'static>(
    reading: R,
    plan: P,
    report: fn(&R, &P) -> Report,
    refused: usize,
) -> Box<dyn Checked> {
    Box::new(Pair {
        reading,
        plan,
        report,
        refused,
    })
}

/// The kinds besides persons, as the upload page offers them: (code, what it is).
pub fn kinds() -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("units", "辖区单位台账".to_string()),
        ("rentals", "出租房屋台账".to_string()),
        ("visits", "走访记录（以往的走访台账）".to_string()),
        ("patrols", "巡查记录（以往的巡查台账）".to_string()),
        ("mediation", "矛盾纠纷调解台账（以往的案件）".to_string()),
        ("tickets", "事件台账（以往的事件）".to_string()),
    ];
    out.extend(
        shequ_domain::registry::tags::TAG_KINDS
            .iter()
            .map(|k| (k.code, format!("{}名单", k.label))),
    );
    out
}

/// A ledger read by its column titles (`read`), compared by `plan`, reported by `report`.
fn labelled<R, P>(
    reading: LabelledReading<R>,
    report: fn(&LabelledReading<R>, &P) -> Report,
    plan: impl FnOnce(Vec<R>) -> StoreResult<P>,
) -> Result<Box<dyn Checked>, String>
where
    R: Clone + Send + Sync + 'static,
    P: Kind + Send + Sync + 'static,
{
    let plan = plan(reading.rows.clone()).map_err(|e| e.to_string())?;
    let refused = rows_refused(&reading.rejected);
    Ok(pair(reading, plan, report, refused))
}

/// Reads `bytes` as a ledger of `kind` (any kind but persons) and compares it with the records
/// under `node_id`, writing nothing. The error is the message to show.
pub fn check(
    conn: &mut Conn,
    actor: &Actor,
    node_id: i64,
    kind: &str,
    (bytes, name): (&[u8], &str),
) -> Result<Box<dyn Checked>, String> {
    let store = |e: shequ_store::StoreError| e.to_string();
    Ok(match kind {
        "units" => labelled(
            importing::read_units(bytes, name)?,
            importing::unit_report,
            |rows| imports::units::plan_units(conn, actor, node_id, rows),
        )?,
        "rentals" => labelled(
            importing::read_rentals(bytes, name)?,
            importing::rental_report,
            |rows| imports::rentals::plan_rentals(conn, actor, node_id, rows),
        )?,
        "visits" => labelled(
            importing::read_visits(bytes, name)?,
            |r, p: &imports::visits::VisitPlan| importing::past_report(r, &p.rows, p.counts()),
            |rows| imports::visits::plan_visits(conn, actor, node_id, rows),
        )?,
        "patrols" => labelled(
            importing::read_patrols(bytes, name)?,
            |r, p: &imports::patrols::PatrolPlan| importing::past_report(r, &p.rows, p.counts()),
            |rows| imports::patrols::plan_patrols(conn, actor, node_id, rows),
        )?,
        "mediation" => labelled(
            importing::read_cases(bytes, name)?,
            |r, p: &imports::mediation::CasePlan| importing::past_report(r, &p.rows, p.counts()),
            |rows| imports::mediation::plan_cases(conn, actor, node_id, rows),
        )?,
        "tickets" => labelled(
            importing::read_tickets(bytes, name)?,
            |r, p: &imports::tickets::TicketPlan| importing::past_report(r, &p.rows, p.counts()),
            |rows| imports::tickets::plan_tickets(conn, actor, node_id, rows),
        )?,
        tag => {
            let kind = imports::tags::kind(tag).map_err(store)?;
            let r = importing::read_tags(bytes, name, kind)?;
            let plan = imports::tags::plan_tags(conn, actor, node_id, kind, r.rows.clone())
                .map_err(store)?;
            let refused = rows_refused(&r.rejected);
            pair(r, plan, importing::tag_report, refused)
        }
    })
}
