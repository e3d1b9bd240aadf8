//! Per-user test data, like Locust's CSV data, Gatling's feeders or k6's `SharedArray`: a
//! [`Feeder`] holds rows (read once from a CSV file, or given as a `Vec`) that every user shares,
//! and hands one out per call to [`Feeder::next`], in order, at most once each, or at random
//! ([`Pick`]). Reading a row is one atomic add and an index, with no lock, so thousands of users
//! can draw from one feeder on every core.
//!
//! It is not a data store: rows are loaded whole before the test and never change, a row handed
//! out is never given back (a user that needs its own account for the whole test takes it once in
//! `on_start`), and it knows nothing of protocols or of where the rows came from after loading.
//!
//! CSV line numbers in errors count like an editor does: the header is line 1, the first data row
//! line 2 (a quoted field spanning lines reports the line its row starts on).
//!
//! ```no_run
//! use serde::Deserialize;
//! use swarm_core::{Feeder, Pick, TaskError};
//!
//! #[derive(Deserialize)]
//! struct Account {
//!     name: String,
//!     password: String,
//! }
//!
//! // In a user's `on_start`: `?` turns an exhausted feeder into a `TaskError`.
//! fn take_account(accounts: &Feeder<Account>) -> Result<(String, String), TaskError> {
//!     let account = accounts.next()?;
//!     Ok((account.name.clone(), account.password.clone()))
//! }
//!
//! // Once, before the test; clones share the rows and the cursor.
//! let accounts: Feeder<Account> = Feeder::from_csv("users.csv", Pick::Unique)?;
//! let for_users = accounts.clone();
//! let (name, _password) = take_account(&for_users)?;
//! println!("logging in as {name}");
//! # Ok::<(), TaskError>(())
//! ```

use serde::de::DeserializeOwned;
use std::fmt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// How a [`Feeder`] chooses the row each call to [`Feeder::next`] returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Pick {
    /// The next row in file order, starting again from the first after the last.
    Sequential,
    /// Each row handed out at most once; once all are taken, [`FeederError::Exhausted`].
    Unique,
    /// A row at random on every call (rows may repeat); reproducible with [`Feeder::seeded`].
    Random,
}

/// Why a [`Feeder`] could not be built or could not hand out a row.
#[derive(Debug, thiserror::Error, Clone, PartialEq, Eq)]
pub enum FeederError {
    /// The data file could not be opened or read.
    #[error(
        "cannot read test data {path}: {reason}: check the path (a relative one starts in the working directory) and that the file is readable"
    )]
    Unreadable {
        /// The file as it was named.
        path: String,
        /// The operating system's reason.
        reason: String,
    },
    /// A row does not fit the row type.
    #[error(
        "bad row at {source_name}:{line}: {reason}: fix that line, or change the row type to match the file"
    )]
    BadRow {
        /// The file (or other source) the row came from.
        source_name: String,
        /// The line the row starts on, the header being line 1.
        line: u64,
        /// What the CSV reader or the row type's deserializer objected to.
        reason: String,
    },
    /// The source has no data rows.
    #[error(
        "no test data in {source_name}: add at least one row (in a CSV file, below the header line)"
    )]
    Empty {
        /// The file (or other source) that was empty.
        source_name: String,
    },
    /// A [`Pick::Unique`] feeder has handed out every row.
    #[error(
        "all {rows} rows of {source_name} are taken: add rows, run fewer users, or use Pick::Sequential"
    )]
    Exhausted {
        /// The file (or other source) whose rows ran out.
        source_name: String,
        /// How many rows it had.
        rows: usize,
    },
}

impl From<FeederError> for crate::TaskError {
    fn from(e: FeederError) -> Self {
        Self::Exception(e.to_string())
    }
}

/// Rows of test data shared by all users, handed out one per [`Feeder::next`] call.
///
/// `Clone` is cheap: clones share the rows and the cursor, so a [`Pick::Unique`] row taken
/// through one clone is taken for all.
pub struct Feeder<T> {
    rows: Arc<[T]>,
    cursor: Arc<AtomicU64>,
    source_name: Arc<str>,
    pick: Pick,
    seed: u64,
}

// Written by hand so that cloning a feeder does not require `T: Clone`.
impl<T> Clone for Feeder<T> {
    fn clone(&self) -> Self {
        Self {
            rows: Arc::clone(&self.rows),
            cursor: Arc::clone(&self.cursor),
            source_name: Arc::clone(&self.source_name),
            pick: self.pick,
            seed: self.seed,
        }
    }
}

// Written by hand so that a feeder of thousands of rows does not print them all.
impl<T> fmt::Debug for Feeder<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Feeder")
            .field("source_name", &&*self.source_name)
            .field("rows", &self.rows.len())
            .field("pick", &self.pick)
            .field("calls", &self.cursor.load(Ordering::Relaxed))
            .finish()
    }
}

impl<T> Feeder<T> {
    /// A feeder over `rows`; `source_name` is what errors call them (a file name, say).
    pub fn new(
        source_name: impl Into<String>,
        rows: Vec<T>,
        pick: Pick,
    ) -> Result<Self, FeederError> {
        let source_name = source_name.into();
        if rows.is_empty() {
            return Err(FeederError::Empty { source_name });
        }
        Ok(Self {
            rows: rows.into(),
            cursor: Arc::new(AtomicU64::new(0)),
            source_name: source_name.into(),
            pick,
            seed: default_seed(),
        })
    }

    /// The next row, chosen as [`Pick`] says; only a [`Pick::Unique`] feeder ever fails.
    pub fn next(&self) -> Result<&T, FeederError> {
        // Relaxed is enough: the read-modify-write alone makes every call see a distinct count,
        // and the rows never change after construction (they were published by the `Arc`).
        let call = self.cursor.fetch_add(1, Ordering::Relaxed);
        // Lossless: a slice never holds more than `u64::MAX` elements.
        let len = self.rows.len() as u64;
        let index = match self.pick {
            // Wraps at `u64::MAX` calls too, which no test reaches.
            Pick::Sequential => call % len,
            Pick::Unique if call < len => call,
            Pick::Unique => {
                return Err(FeederError::Exhausted {
                    source_name: self.source_name.to_string(),
                    rows: self.rows.len(),
                });
            }
            // A hash of the call count rather than a shared RNG, so no lock is needed and a
            // seed replays the same picks; the modulo bias is below 1e-9 for any real row count.
            Pick::Random => splitmix64(self.seed ^ call) % len,
        };
        // `index < len`, so it fits in usize and is in bounds.
        Ok(&self.rows[index as usize])
    }

    /// How many rows there are.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Always `false`: a feeder is never built without rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// All rows, in source order.
    pub fn rows(&self) -> &[T] {
        &self.rows
    }

    /// How rows are chosen.
    pub fn pick(&self) -> Pick {
        self.pick
    }

    /// What errors call the rows' source (the file name for [`Feeder::from_csv`]).
    pub fn source_name(&self) -> &str {
        &self.source_name
    }

    /// The same feeder with [`Pick::Random`] picks made reproducible by `seed`; seed before
    /// cloning, since clones made earlier keep their own seed.
    pub fn seeded(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }
}

impl<T: DeserializeOwned> Feeder<T> {
    /// A feeder over the rows of the CSV file at `path`: the first line is the header, and
    /// columns map to `T`'s fields by name (`HashMap<String, String>` takes any columns).
    pub fn from_csv(path: impl AsRef<Path>, pick: Pick) -> Result<Self, FeederError> {
        let path = path.as_ref();
        let file = std::fs::File::open(path).map_err(|e| FeederError::Unreadable {
            path: path.display().to_string(),
            reason: e.to_string(),
        })?;
        Self::from_csv_reader(path.display().to_string(), file, pick)
    }

    /// A feeder over CSV text from `reader`, read as [`Feeder::from_csv`] reads a file;
    /// `source_name` is what errors call it.
    pub fn from_csv_reader(
        source_name: impl Into<String>,
        reader: impl std::io::Read,
        pick: Pick,
    ) -> Result<Self, FeederError> {
        let source_name = source_name.into();
        let mut csv = csv::ReaderBuilder::new()
            .has_headers(true)
            .from_reader(reader);
        let headers = csv
            .headers()
            .map_err(|e| csv_error(&source_name, None, e))?
            .clone();
        let mut rows = Vec::new();
        let mut record = csv::StringRecord::new();
        loop {
            match csv.read_record(&mut record) {
                Ok(false) => break,
                Ok(true) => {
                    let row = record
                        .deserialize(Some(&headers))
                        .map_err(|e| csv_error(&source_name, Some(&headers), e))?;
                    rows.push(row);
                }
                Err(e) => return Err(csv_error(&source_name, Some(&headers), e)),
            }
        }
        Self::new(source_name, rows, pick)
    }
}

/// Turns a CSV reader's error into ours, naming the column by its header where one is known.
fn csv_error(source_name: &str, headers: Option<&csv::StringRecord>, e: csv::Error) -> FeederError {
    let (line, reason) = match e.kind() {
        csv::ErrorKind::Io(io) => {
            return FeederError::Unreadable {
                path: source_name.to_owned(),
                reason: io.to_string(),
            };
        }
        csv::ErrorKind::Deserialize { pos, err } => {
            let reason = match err.field() {
                Some(field) => format!("column {}: {}", column_name(headers, field), err.kind()),
                None => err.kind().to_string(),
            };
            (pos.as_ref().map(csv::Position::line), reason)
        }
        csv::ErrorKind::UnequalLengths {
            pos,
            expected_len,
            len,
        } => (
            pos.as_ref().map(csv::Position::line),
            format!("it has {len} fields but the header has {expected_len}"),
        ),
        csv::ErrorKind::Utf8 { pos, err } => (
            pos.as_ref().map(csv::Position::line),
            format!(
                "column {} is not valid UTF-8",
                column_name(headers, err.field() as u64)
            ),
        ),
        _ => (None, e.to_string()),
    };
    FeederError::BadRow {
        source_name: source_name.to_owned(),
        // Without a position the error came from the header, which is line 1.
        line: line.unwrap_or(1),
        // Messages stay on one line whatever a deserializer writes.
        reason: reason.replace(['\r', '\n'], " "),
    }
}

/// A column's header in backquotes, or its 1-based number when there is no header for it.
fn column_name(headers: Option<&csv::StringRecord>, field: u64) -> String {
    let header = usize::try_from(field)
        .ok()
        .and_then(|i| headers.and_then(|h| h.get(i)));
    match header {
        Some(name) => format!("`{name}`"),
        None => format!("{}", field.saturating_add(1)),
    }
}

/// A seed that differs between runs, so unseeded random feeders do not all pick alike.
fn default_seed() -> u64 {
    use rand::TryRngCore;
    rand::rngs::OsRng.try_next_u64().unwrap_or_else(|_| {
        // No OS randomness (rare sandboxes): the clock still varies between runs.
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64)
    })
}

/// SplitMix64's finaliser: spreads consecutive inputs over the whole `u64` range.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;
    use std::collections::{HashMap, HashSet};

    /// A CSV file under the temp dir, removed when dropped so failed tests leave nothing behind.
    struct TempCsv(std::path::PathBuf);

    impl TempCsv {
        fn new(tag: &str, text: &str) -> Self {
            static NEXT: AtomicU64 = AtomicU64::new(0);
            let name = format!(
                "swarm-feeder-{}-{}-{tag}.csv",
                std::process::id(),
                NEXT.fetch_add(1, Ordering::Relaxed)
            );
            let path = std::env::temp_dir().join(name);
            std::fs::write(&path, text).expect("write temp CSV");
            Self(path)
        }

        fn name(&self) -> String {
            self.0.display().to_string()
        }
    }

    impl Drop for TempCsv {
        fn drop(&mut self) {
            let _ = std::fs::remove_file(&self.0);
        }
    }

    #[derive(Debug, Deserialize, PartialEq)]
    struct Account {
        name: String,
        age: u32,
    }

    fn numbers(n: u32, pick: Pick) -> Feeder<u32> {
        Feeder::new("numbers", (0..n).collect(), pick).expect("non-empty rows")
    }

    #[test]
    fn feeder_is_send_sync_and_clones_share_the_cursor() {
        fn assert_send_sync<S: Send + Sync>() {}
        assert_send_sync::<Feeder<String>>();
        assert_send_sync::<Feeder<HashMap<String, String>>>();

        let a = numbers(3, Pick::Sequential);
        let b = a.clone();
        assert_eq!(a.next(), Ok(&0));
        assert_eq!(b.next(), Ok(&1));
        assert_eq!(a.next(), Ok(&2));
        assert_eq!(
            (a.len(), a.is_empty(), a.pick()),
            (3, false, Pick::Sequential)
        );
        assert_eq!(a.rows(), &[0, 1, 2]);
        assert_eq!(a.source_name(), "numbers");
    }

    #[test]
    fn sequential_hands_out_rows_in_order_and_wraps() {
        for (rows, calls, want) in [
            (1, 3, vec![0, 0, 0]),
            (3, 3, vec![0, 1, 2]),
            (3, 7, vec![0, 1, 2, 0, 1, 2, 0]),
        ] {
            let feeder = numbers(rows, Pick::Sequential);
            let got: Vec<u32> = (0..calls)
                .map(|_| *feeder.next().expect("sequential never runs out"))
                .collect();
            assert_eq!(got, want, "{rows} rows, {calls} calls");
        }
    }

    #[test]
    fn unique_hands_each_row_to_one_of_50_threads_then_is_exhausted() {
        let feeder = Feeder::new("users.csv", (0..50).collect::<Vec<u32>>(), Pick::Unique)
            .expect("non-empty rows");
        let taken: Vec<u32> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..50)
                .map(|_| {
                    let feeder = feeder.clone();
                    s.spawn(move || *feeder.next().expect("50 rows for 50 threads"))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("thread ran"))
                .collect()
        });
        let distinct: HashSet<u32> = taken.iter().copied().collect();
        assert_eq!(distinct, (0..50).collect::<HashSet<u32>>());

        let err = feeder.next().expect_err("the 51st call finds no row");
        assert_eq!(
            err,
            FeederError::Exhausted {
                source_name: "users.csv".into(),
                rows: 50
            }
        );
        assert_eq!(
            err.to_string(),
            "all 50 rows of users.csv are taken: add rows, run fewer users, or use Pick::Sequential"
        );
        assert_eq!(
            crate::TaskError::from(err.clone()),
            crate::TaskError::Exception(err.to_string())
        );
    }

    #[test]
    fn random_is_reproducible_with_a_seed_and_reaches_every_row() {
        let draw = |feeder: &Feeder<u32>, n: usize| -> Vec<u32> {
            (0..n)
                .map(|_| *feeder.next().expect("random never runs out"))
                .collect()
        };
        let a = numbers(10, Pick::Random).seeded(42);
        let b = numbers(10, Pick::Random).seeded(42);
        let first = draw(&a, 10_000);
        assert_eq!(first, draw(&b, 10_000));
        assert_ne!(
            first,
            draw(&numbers(10, Pick::Random).seeded(43), 10_000),
            "another seed, other picks"
        );
        let seen: HashSet<u32> = first.into_iter().collect();
        assert_eq!(seen, (0..10).collect::<HashSet<u32>>());
    }

    #[test]
    fn new_without_rows_is_empty_error() {
        let err =
            Feeder::<u32>::new("accounts", Vec::new(), Pick::Sequential).expect_err("no rows");
        assert_eq!(
            err.to_string(),
            "no test data in accounts: add at least one row (in a CSV file, below the header line)"
        );
    }

    #[test]
    fn csv_typed_rows_parse_in_order() {
        let file = TempCsv::new("typed", "name,age\nalice,30\nbob,41\n");
        let feeder: Feeder<Account> =
            Feeder::from_csv(&file.0, Pick::Sequential).expect("valid CSV");
        assert_eq!(
            feeder.rows(),
            &[
                Account {
                    name: "alice".into(),
                    age: 30
                },
                Account {
                    name: "bob".into(),
                    age: 41
                },
            ]
        );
        assert_eq!(feeder.source_name(), file.name());
    }

    #[test]
    fn csv_column_order_follows_the_header_not_the_struct() {
        let feeder: Feeder<Account> =
            Feeder::from_csv_reader("inline", "age,name\n7,carol\n".as_bytes(), Pick::Unique)
                .expect("valid CSV");
        assert_eq!(
            feeder.next(),
            Ok(&Account {
                name: "carol".into(),
                age: 7
            })
        );
    }

    #[test]
    fn csv_untyped_rows_work_as_hash_maps() {
        let file = TempCsv::new("untyped", "user,password,team\nu1,p1,red\nu2,p2,blue\n");
        let feeder: Feeder<HashMap<String, String>> =
            Feeder::from_csv(&file.0, Pick::Sequential).expect("valid CSV");
        assert_eq!(feeder.len(), 2);
        let second = &feeder.rows()[1];
        assert_eq!(second.get("user").map(String::as_str), Some("u2"));
        assert_eq!(second.get("team").map(String::as_str), Some("blue"));
        assert_eq!(second.len(), 3);
    }

    #[test]
    fn csv_errors_name_the_source_the_line_and_the_fix() {
        let cases: [(&str, &str, &str); 4] = [
            (
                "non-number on line 3",
                "name,age\nalice,30\nbob,forty\n",
                "bad row at {file}:3: column `age`: invalid digit found in string: fix that line, or change the row type to match the file",
            ),
            (
                "too few fields on line 2",
                "name,age\nalice\n",
                "bad row at {file}:2: it has 1 fields but the header has 2: fix that line, or change the row type to match the file",
            ),
            (
                "header lacks a field",
                "name\nalice\n",
                "bad row at {file}:2: missing field `age`: fix that line, or change the row type to match the file",
            ),
            (
                "header only",
                "name,age\n",
                "no test data in {file}: add at least one row (in a CSV file, below the header line)",
            ),
        ];
        for (what, text, want) in cases {
            let file = TempCsv::new("bad", text);
            let err = Feeder::<Account>::from_csv(&file.0, Pick::Sequential).expect_err(what);
            assert_eq!(
                err.to_string(),
                want.replace("{file}", &file.name()),
                "{what}"
            );
        }
    }

    #[test]
    fn csv_bad_row_carries_source_and_line_as_fields() {
        let err = Feeder::<Account>::from_csv_reader(
            "users.csv",
            "name,age\nalice,30\nbob,forty\n".as_bytes(),
            Pick::Unique,
        )
        .expect_err("age is not a number");
        assert!(
            matches!(&err, FeederError::BadRow { source_name, line: 3, .. } if source_name == "users.csv"),
            "{err:?}"
        );
    }

    #[test]
    fn csv_empty_file_is_empty_error() {
        let file = TempCsv::new("empty", "");
        let err = Feeder::<HashMap<String, String>>::from_csv(&file.0, Pick::Random)
            .expect_err("no header, no rows");
        assert_eq!(
            err,
            FeederError::Empty {
                source_name: file.name()
            }
        );
    }

    #[test]
    fn csv_missing_file_is_unreadable_naming_path_and_reason() {
        let path = std::env::temp_dir().join(format!(
            "swarm-feeder-{}-does-not-exist.csv",
            std::process::id()
        ));
        let err = Feeder::<Account>::from_csv(&path, Pick::Sequential).expect_err("no file");
        let FeederError::Unreadable {
            path: named,
            reason,
        } = &err
        else {
            panic!("want Unreadable, got {err:?}");
        };
        assert_eq!(named, &path.display().to_string());
        let os_reason = std::fs::File::open(&path).expect_err("no file").to_string();
        assert_eq!(reason, &os_reason);
        assert_eq!(
            err.to_string(),
            format!(
                "cannot read test data {named}: {reason}: check the path (a relative one starts in the working directory) and that the file is readable"
            )
        );
    }
}
