//! Schema migrations: append-only, numbered by SQLite's `user_version`.

use rusqlite_migration::{Migrations, M};

/// The schema version this build writes.
pub const SCHEMA_VERSION: usize = 10;

/// Oldest SQLite trusted with a WAL database opened by several connections (3.51.3 fixed a
/// WAL-reset corruption bug).
pub const MIN_SQLITE_VERSION: &str = "3.51.3";

/// The migrations, oldest first. Never edit one that has shipped; append a new one.
pub fn migrations() -> Migrations<'static> {
    Migrations::new(vec![
        M::up(include_str!("migrations/0001_records.sql")),
        M::up(include_str!("migrations/0002_addresses.sql")),
        M::up(include_str!("migrations/0003_outbox.sql")),
        M::up(include_str!("migrations/0004_holders.sql")),
        M::up(include_str!("migrations/0005_epochs.sql")),
        M::up(include_str!("migrations/0006_no_outbox.sql")),
        // The search index of data stored before it is built by `Db::backfill_search`, which
        // can decrypt (SQL cannot).
        M::up(include_str!("migrations/0007_conversations.sql")),
        M::up(include_str!("migrations/0008_files.sql")),
        M::up(include_str!("migrations/0009_profile_pictures.sql")),
        M::up(include_str!("migrations/0010_devices.sql")),
    ])
}

/// Parses "3.51.3" into a comparable triple.
pub(crate) fn version_triple(v: &str) -> (u32, u32, u32) {
    let mut it = v.split('.').map(|p| p.parse::<u32>().unwrap_or(0));
    (
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
        it.next().unwrap_or(0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_valid() {
        migrations().validate().unwrap();
        assert_eq!(version_triple("3.53.2"), (3, 53, 2));
        assert!(version_triple("3.53.2") >= version_triple(MIN_SQLITE_VERSION));
    }
}
