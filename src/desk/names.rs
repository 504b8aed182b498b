//! Codes and usernames by id, and units and services by code: read on every ticket, changed
//! almost never. Codes and usernames never change once created, so the id → name maps can
//! never be stale; whole unit and service rows are kept for a minute at most.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use super::DeskResult;
use crate::db::catalog::{ServiceRow, UnitRow};
use crate::db::{catalog, DbConn};

const ROW_TTL: Duration = Duration::from_secs(60);

#[derive(Debug, Default)]
pub struct Names {
    units: RwLock<HashMap<String, String>>,
    services: RwLock<HashMap<String, String>>,
    users: RwLock<HashMap<String, String>>,
    unit_rows: RwLock<HashMap<String, (UnitRow, Instant)>>,
    service_rows: RwLock<HashMap<String, (ServiceRow, Instant)>>,
}

fn fresh<T: Clone>(map: &RwLock<HashMap<String, (T, Instant)>>, key: &str) -> Option<T> {
    let map = map.read().ok()?;
    let (row, at) = map.get(key)?;
    (at.elapsed() < ROW_TTL).then(|| row.clone())
}

/// A fresh cached row, else the database's (kept when found; absence is not cached, so a
/// unit created a moment ago is found).
fn cached_row<T: Clone>(
    map: &RwLock<HashMap<String, (T, Instant)>>,
    key: &str,
    load: impl FnOnce() -> diesel::QueryResult<Option<T>>,
) -> DeskResult<Option<T>> {
    if let Some(row) = fresh(map, key) {
        return Ok(Some(row));
    }
    let row = load()?;
    if let (Some(r), Ok(mut m)) = (&row, map.write()) {
        m.insert(key.to_string(), (r.clone(), Instant::now()));
    }
    Ok(row)
}

fn cached(map: &RwLock<HashMap<String, String>>, id: &str) -> Option<String> {
    map.read().ok().and_then(|m| m.get(id).cloned())
}

fn remember(map: &RwLock<HashMap<String, String>>, id: &str, name: &str) {
    if let Ok(mut m) = map.write() {
        m.insert(id.to_string(), name.to_string());
    }
}

impl Names {
    /// A unit's code if this process has read it before; no database needed.
    pub fn known_unit_code(&self, id: &str) -> Option<String> {
        cached(&self.units, id)
    }

    pub fn unit_code(&self, conn: &mut DbConn, id: &str) -> DeskResult<String> {
        if let Some(code) = cached(&self.units, id) {
            return Ok(code);
        }
        let code = catalog::unit_by_id(conn, id)?.map(|u| u.code).unwrap_or_default();
        remember(&self.units, id, &code);
        Ok(code)
    }

    pub fn service_code(&self, conn: &mut DbConn, id: &str) -> DeskResult<String> {
        if let Some(code) = cached(&self.services, id) {
            return Ok(code);
        }
        let code = catalog::service_by_id(conn, id)?.map(|s| s.code).unwrap_or_default();
        remember(&self.services, id, &code);
        Ok(code)
    }

    pub fn username(&self, conn: &mut DbConn, id: &str) -> DeskResult<String> {
        if let Some(name) = cached(&self.users, id) {
            return Ok(name);
        }
        let name = catalog::user_by_id(conn, id)?.map(|u| u.username).unwrap_or_default();
        remember(&self.users, id, &name);
        Ok(name)
    }

    /// Units are looked up by code (from requests) and by id (from rows); both keys share one map.
    pub fn unit_by_code(&self, conn: &mut DbConn, code: &str) -> DeskResult<Option<UnitRow>> {
        cached_row(&self.unit_rows, &format!("code:{code}"), || catalog::unit_by_code(conn, code))
    }

    pub fn unit_by_id(&self, conn: &mut DbConn, id: &str) -> DeskResult<Option<UnitRow>> {
        cached_row(&self.unit_rows, &format!("id:{id}"), || catalog::unit_by_id(conn, id))
    }

    pub fn service_by_code(&self, conn: &mut DbConn, code: &str) -> DeskResult<Option<ServiceRow>> {
        cached_row(&self.service_rows, code, || catalog::service_by_code(conn, code))
    }

    /// Drops a username from this process's map: the one rename there is, a citizen's account
    /// made anonymous (other processes show the old name in timelines until they restart).
    pub fn forget_user(&self, id: &str) {
        if let Ok(mut m) = self.users.write() {
            m.remove(id);
        }
    }

    /// Drops this process's cached unit and service rows after one was renamed or retired
    /// (other processes see the change within a minute, `ROW_TTL`).
    pub fn forget_rows(&self) {
        if let Ok(mut m) = self.unit_rows.write() {
            m.clear();
        }
        if let Ok(mut m) = self.service_rows.write() {
            m.clear();
        }
    }

    pub fn remember_unit(&self, id: &str, code: &str) {
        remember(&self.units, id, code);
    }
}
