//! SQLite's online backup: a consistent copy while meja keeps writing (WAL readers see one
//! snapshot).

use std::path::Path;

use diesel::connection::SimpleConnection;

use super::DbConn;

/// `VACUUM INTO` the file (which must not exist yet).
pub fn sqlite_vacuum_into(conn: &mut DbConn, target: &Path) -> Result<(), String> {
    let DbConn::Sqlite(c) = conn else { return Err("not a SQLite database".into()) };
    let path = target.to_str().ok_or("the backup path is not UTF-8")?;
    // A literal: VACUUM INTO takes no bound parameter. Quotes are doubled.
    c.batch_execute(&format!("VACUUM INTO '{}'", path.replace('\'', "''"))).map_err(|e| e.to_string())
}
