//! Codes and usernames by id. Codes and usernames never change once created, so a cached
//! entry can never be stale; a miss reads the database.

use std::collections::HashMap;
use std::sync::RwLock;

use super::DeskResult;
use crate::db::{catalog, DbConn};

#[derive(Debug, Default)]
pub struct Names {
    units: RwLock<HashMap<String, String>>,
    services: RwLock<HashMap<String, String>>,
    users: RwLock<HashMap<String, String>>,
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

    pub fn remember_unit(&self, id: &str, code: &str) {
        remember(&self.units, id, code);
    }
}
